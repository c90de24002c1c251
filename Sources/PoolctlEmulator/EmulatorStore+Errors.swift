import PoolctlAPI
import PoolctlModel

/// The store's errors: `APIError.http` naming the endpoint, with the status
/// and code the HTTP front sends, and the checks that throw them.
extension EmulatorStore {
    static func error(_ endpoint: Endpoint, _ status: Int, _ message: String) -> APIError {
        APIError.http(
            status, message, method: endpoint.method, path: String(endpoint.rawValue.drop { $0 != " " }.dropFirst()),
            code: EmulatorErrors.code(for: status))
    }

    static func badRequest(_ endpoint: Endpoint, _ message: String) -> APIError { error(endpoint, 400, message) }

    func requireID(_ id: String, _ kind: EmulatorIDKind, _ endpoint: Endpoint, what: String) throws(APIError) {
        if let problem = FieldRules.idProblem(id, kind: kind, what: what) { throw Self.badRequest(endpoint, problem) }
    }

    func existingPool(_ id: String, _ endpoint: Endpoint) throws(APIError) -> PoolRecord {
        guard let pool = pools[id] else { throw Self.error(endpoint, 404, "SenderPool \(id) was not found") }
        return pool
    }

    /// 409 while an operation on the pool is PROCESSING.
    func requireIdle(_ pool: PoolRecord, _ endpoint: Endpoint) throws(APIError) {
        if let operation = pool.activeOperation {
            throw Self.error(endpoint, 409, "SenderPool \(pool.id) has operation \(operation.id) in progress; retry when it has finished")
        }
    }
}

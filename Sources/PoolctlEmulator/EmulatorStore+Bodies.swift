import PoolctlAPI
import PoolctlModel

/// The `/v1` bodies the HTTP front serves, built with `Wire` on the actor,
/// where the records live (they never leave it).
extension EmulatorStore {
    func senderPoolsBody(_ query: SenderPoolQuery) throws(APIError) -> JSONValue {
        try listPools(query, Wire.senderPool).body(.senderPools)
    }

    func senderPoolBody(id: String) throws(APIError) -> JSONValue {
        let pool = try fetchPool(id: id)
        return Wire.senderPool(pool, as: pool.current)
    }

    func operationsBody(_ query: OperationQuery) throws(APIError) -> JSONValue {
        try listOperations(query, Wire.operation).body(.operations)
    }

    func operationBody(id: String) throws(APIError) -> JSONValue {
        let (operation, now) = try fetchOperationRecord(id: id)
        return Wire.operation(operation, at: now)
    }

    func operationBody(poolID: String, id: String) throws(APIError) -> JSONValue {
        let (operation, now) = try fetchOperationRecord(poolID: poolID, id: id)
        return Wire.operation(operation, at: now)
    }
}

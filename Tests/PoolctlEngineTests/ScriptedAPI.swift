import Foundation
import PoolctlAPI
import Synchronization
import Testing

/// A CommsAPI double that answers only the calls a test scripted, in order,
/// and records an issue for any other call. As a `ServerClock` it answers
/// the time a test set (nil by default: no `Date` header seen).
final class ScriptedAPI: CommsAPI, ServerClock, Sendable {
    enum Call: Equatable, Sendable {
        case listSenderPools(operationId: String?)
        case createSenderPool(name: String?, senders: Int)
        case fetchSenderPool(String)
        case updateSenderPool(String)
        case deleteSenderPool(String)
        case listPoolSenders(String)
        case addSenders(String, [String])
        case removeSender(String, String)
        case listOperations
        case fetchOperation(String)
        case fetchPoolSendersOperation(String, String)

    }

    enum Answer: Sendable {
        case pools([SenderPool])
        /// One page of a listing with a next-page token.
        case poolsPage([SenderPool], next: String)
        case pool(SenderPool)
        case senders([String])
        case operationAccepted(String)
        /// An accepted operation with its `operationLocation`.
        case operationAcceptedAt(String, location: String)
        case resourceAccepted(String)
        /// A 202 that names no operation (no id, no location).
        case acceptedWithoutOperation
        case operation(SenderPoolOperation)
        case operations([SenderPoolOperation])
        /// One page of a listing of operations with a next-page token.
        case operationsPage([SenderPoolOperation], next: String)
        case error(APIError)
        /// A listing of one pool with the tags its latest PATCH sent: the
        /// read-back of a fingerprint write.
        case poolAsLastPatched(String)
        /// A call whose first attempt failed and which the live client
        /// repeats: `meanwhile` runs (what happened during the retry wait),
        /// then the task's `RetryGuard` is asked, as the client asks it,
        /// and its error thrown; else `error`.
        case failedThenRepeated(meanwhile: @Sendable () -> Void, error: APIError)
    }

    private let script: Mutex<[(Call, Answer)]>
    private let log = Mutex<[Call]>([])
    private let bodies = Mutex<(creates: [CreateSenderPoolRequest], updates: [UpdateSenderPoolRequest])>(([], []))
    private let serverTime = Mutex<Date?>(nil)

    init(_ script: [(Call, Answer)]) {
        self.script = Mutex(script)
    }

    var calls: [Call] { log.withLock { $0 } }
    var unanswered: Int { script.withLock { $0.count } }
    /// The bodies of Create and Update calls, in order.
    var createRequests: [CreateSenderPoolRequest] { bodies.withLock { $0.creates } }
    var updateRequests: [UpdateSenderPoolRequest] { bodies.withLock { $0.updates } }

    func setServerTime(_ date: Date?) { serverTime.withLock { $0 = date } }
    func estimatedServerTime() -> Date? { serverTime.withLock { $0 } }

    private func answer(_ call: Call) throws -> Answer {
        log.withLock { $0.append(call) }
        let next: (Call, Answer)? = script.withLock { script in
            guard let first = script.first, first.0 == call else { return nil }
            return script.removeFirst()
        }
        guard let (_, answer) = next else {
            let expected = script.withLock { $0.first.map { "\($0.0)" } ?? "nothing" }
            Issue.record("unscripted call \(call); expected \(expected)")
            throw APIError(kind: .invalidResponse, message: "unscripted call \(call)")
        }
        if case .error(let error) = answer { throw error }
        if case .failedThenRepeated(let meanwhile, let error) = answer {
            meanwhile()
            try RetryGuard.check?()
            throw error
        }
        return answer
    }

    func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        switch try answer(.listSenderPools(operationId: query.operationId)) {
        case .pools(let pools): return Page(items: pools, pagination: Pagination(next: nil, current: "p0"))
        case .poolsPage(let pools, let next): return Page(items: pools, pagination: Pagination(next: next, current: "p0"))
        case .poolAsLastPatched(let id):
            let tags = bodies.withLock { $0.updates.last?.tags } ?? [:]
            return Page(
                items: [SenderPool(id: id, name: "A", tags: tags, createdAt: "", updatedAt: "")],
                pagination: Pagination(next: nil, current: "p0"))
        default: throw wrong()
        }
    }

    func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        bodies.withLock { $0.creates.append(request) }
        switch try answer(.createSenderPool(name: request.name, senders: request.senders?.count ?? 0)) {
        case .operationAccepted(let id): return OperationAccepted(operationId: id, operationLocation: nil)
        case .acceptedWithoutOperation: return OperationAccepted(operationId: nil, operationLocation: nil)
        default: throw wrong()
        }
    }

    func fetchSenderPool(id: String) async throws -> SenderPool {
        guard case .pool(let pool) = try answer(.fetchSenderPool(id)) else { throw wrong() }
        return pool
    }

    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        bodies.withLock { $0.updates.append(request) }
        guard case .resourceAccepted(let id) = try answer(.updateSenderPool(id)) else { throw wrong() }
        return ResourceAccepted(resourceId: id, resourceLocation: nil)
    }

    func deleteSenderPool(id: String) async throws -> ResourceAccepted {
        guard case .resourceAccepted(let id) = try answer(.deleteSenderPool(id)) else { throw wrong() }
        return ResourceAccepted(resourceId: id, resourceLocation: nil)
    }

    func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        guard case .senders(let ids) = try answer(.listPoolSenders(poolID)) else { throw wrong() }
        let senders = ids.map {
            Sender(id: $0, displayName: nil, address: "+1", channel: .sms, status: .activated, tags: [:], createdAt: "", updatedAt: "")
        }
        return Page(items: senders, pagination: Pagination(next: nil, current: "p0"))
    }

    func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        switch try answer(.addSenders(poolID, senderIDs)) {
        case .operationAccepted(let id): return OperationAccepted(operationId: id, operationLocation: nil)
        case .operationAcceptedAt(let id, let location): return OperationAccepted(operationId: id, operationLocation: location)
        default: throw wrong()
        }
    }

    func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        guard case .resourceAccepted(let id) = try answer(.removeSender(poolID, senderID)) else { throw wrong() }
        return ResourceAccepted(resourceId: id, resourceLocation: nil)
    }

    func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        switch try answer(.listOperations) {
        case .operations(let operations): return Page(items: operations, pagination: Pagination(next: nil, current: "o0"))
        case .operationsPage(let operations, let next): return Page(items: operations, pagination: Pagination(next: next, current: "o0"))
        default: throw wrong()
        }
    }

    func fetchOperation(id: String) async throws -> SenderPoolOperation {
        guard case .operation(let operation) = try answer(.fetchOperation(id)) else { throw wrong() }
        return operation
    }

    func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        guard case .operation(let operation) = try answer(.fetchPoolSendersOperation(poolID, operationID)) else { throw wrong() }
        return operation
    }

    private func wrong() -> APIError { APIError(kind: .invalidResponse, message: "the script answered with the wrong kind") }
}

/// The PATCH that records a converged pool's `poolctl-applied` fingerprint,
/// then the listing that reads it back: the last calls of an apply that
/// changed the pool (issue 21).
func fingerprintWrite(_ poolID: String) -> [(ScriptedAPI.Call, ScriptedAPI.Answer)] {
    [(.updateSenderPool(poolID), .resourceAccepted(poolID)), (.listSenderPools(operationId: nil), .poolAsLastPatched(poolID))]
}

import PoolctlAPI
import PoolctlModel

/// The store as a `CommsAPI` that counts calls by endpoint, as the live
/// client does, so that in-process apply reports carry real call counts.
struct CountingAPI: CommsAPI {
    let base: any CommsAPI
    let counter = CallCounter()

    private func counted<T>(_ endpoint: Endpoint, _ call: () async throws -> T) async rethrows -> T {
        counter.record(endpoint)
        return try await call()
    }

    func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        try await counted(.listSenderPools) { try await base.listSenderPools(query) }
    }
    func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        try await counted(.createSenderPool) { try await base.createSenderPool(request) }
    }
    func fetchSenderPool(id: String) async throws -> SenderPool {
        try await counted(.fetchSenderPool) { try await base.fetchSenderPool(id: id) }
    }
    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        try await counted(.updateSenderPool) { try await base.updateSenderPool(id: id, request) }
    }
    func deleteSenderPool(id: String) async throws -> ResourceAccepted {
        try await counted(.deleteSenderPool) { try await base.deleteSenderPool(id: id) }
    }
    func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        try await counted(.listPoolSenders) { try await base.listPoolSenders(poolID: poolID, query) }
    }
    func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        try await counted(.addSenders) { try await base.addSenders(poolID: poolID, senderIDs: senderIDs) }
    }
    func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        try await counted(.removeSender) { try await base.removeSender(poolID: poolID, senderID: senderID) }
    }
    func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        try await counted(.listOperations) { try await base.listOperations(query) }
    }
    func fetchOperation(id: String) async throws -> SenderPoolOperation {
        try await counted(.fetchOperation) { try await base.fetchOperation(id: id) }
    }

    func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        try await counted(.fetchPoolSendersOperation) { try await base.fetchPoolSendersOperation(poolID: poolID, operationID: operationID) }
    }
}

import PoolctlAPI
import PoolctlModel

/// `CommsAPI` in process: the endpoints the HTTP front serves, with their
/// results as the client's models, for tests that call the store directly.
/// The only place the emulator meets those models: the HTTP front serves
/// its own bodies (`Wire`), so the client's decoding is checked against the
/// emulator rather than against itself.
extension EmulatorStore {
    public func listSenderPools(_ query: SenderPoolQuery) throws(APIError) -> Page<SenderPool> {
        try listPools(query, Self.model).clientPage
    }

    public func createSenderPool(_ request: CreateSenderPoolRequest) throws(APIError) -> OperationAccepted {
        try createSenderPool(request, origin: origin, source: .client).operationAccepted
    }

    public func fetchSenderPool(id: String) throws(APIError) -> SenderPool {
        let pool = try fetchPool(id: id)
        return Self.model(pool, pool.current)
    }

    public func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) throws(APIError) -> ResourceAccepted {
        try updateSenderPool(id: id, request, origin: origin, source: .client).resourceAccepted
    }

    public func deleteSenderPool(id: String) throws(APIError) -> ResourceAccepted {
        try deleteSenderPool(id: id, origin: origin, source: .client).resourceAccepted
    }

    public func listPoolSenders(poolID: String, _ query: SenderQuery) throws(APIError) -> Page<Sender> {
        let inventory = self.inventory
        return try listPoolSenderIndices(poolID: poolID, query).map { inventory[Int($0)] }.clientPage
    }

    public func addSenders(poolID: String, senderIDs: [String]) throws(APIError) -> OperationAccepted {
        try addSenders(poolID: poolID, senderIDs: senderIDs, origin: origin, source: .client).operationAccepted
    }

    public func removeSender(poolID: String, senderID: String) throws(APIError) -> ResourceAccepted {
        try removeSender(poolID: poolID, senderID: senderID, origin: origin, source: .client).resourceAccepted
    }

    public func listOperations(_ query: OperationQuery) throws(APIError) -> Page<SenderPoolOperation> {
        try listOperations(query, Self.model).clientPage
    }

    public func fetchOperation(id: String) throws(APIError) -> SenderPoolOperation {
        let (operation, now) = try fetchOperationRecord(id: id)
        return Self.model(operation, at: now)
    }

    /// `GET /v1/SenderPools/{poolId}/Senders/Operations/{operationId}`.
    public func fetchOperation(poolID: String, id: String) throws(APIError) -> SenderPoolOperation {
        let (operation, now) = try fetchOperationRecord(poolID: poolID, id: id)
        return Self.model(operation, at: now)
    }

    /// `CommsAPI`'s name for the nested operation path.
    public func fetchPoolSendersOperation(poolID: String, operationID: String) throws(APIError) -> SenderPoolOperation {
        try fetchOperation(poolID: poolID, id: operationID)
    }

    /// `GET /v1/Senders`: the account's inventory.
    public func listSenders(_ query: SenderQuery) throws(APIError) -> Page<Sender> {
        let inventory = self.inventory
        return try listSenderIndices(query).map { inventory[Int($0)] }.clientPage
    }

    private static func model(_ pool: PoolRecord, _ shown: PoolVersion) -> SenderPool {
        SenderPool(id: pool.id, name: shown.name, tags: shown.tags, createdAt: pool.createdAt, updatedAt: shown.updatedAt)
    }

    private static func model(_ operation: OperationRecord, at t: Int64) -> SenderPoolOperation {
        let shown = operation.progress(at: t)
        return SenderPoolOperation(
            id: operation.id, status: OperationStatus(rawValue: shown.state.rawValue),
            stats: OperationStats(total: shown.total, queued: shown.queued, created: shown.created, failed: shown.failed),
            createdAt: operation.createdAt, updatedAt: shown.updatedAt)
    }
}

extension ListPage where Item: Sendable {
    var clientPage: Page<Item> { Page(items: items, pagination: Pagination(next: next, current: current)) }
}

extension Accepted {
    var operationAccepted: OperationAccepted { OperationAccepted(operationId: id, operationLocation: location) }
    var resourceAccepted: ResourceAccepted { ResourceAccepted(resourceId: id, resourceLocation: location) }
}

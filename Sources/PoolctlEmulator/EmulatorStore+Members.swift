import PoolctlAPI
import PoolctlModel

/// A pool's members: list them, add senders (an operation), remove one.
extension EmulatorStore {
    public func listPoolSenders(poolID: String, _ query: SenderQuery) throws(APIError) -> Page<Sender> {
        let page = try listPoolSenderIndices(poolID: poolID, query)
        let inventory = self.inventory
        return Page(items: page.items.map { inventory[Int($0)] }, pagination: page.pagination)
    }

    /// One page of a pool's members as inventory indices: what the HTTP
    /// front serves, from each sender's encoded bytes (`SenderBodies`).
    func listPoolSenderIndices(poolID: String, _ query: SenderQuery) throws(APIError) -> Page<Int32> {
        let endpoint = Endpoint.listPoolSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        let parameters = try listParameters(
            endpoint, kind: .sender, pageToken: query.pageToken, pageSize: query.pageSize,
            startDate: query.startDate, endDate: query.endDate)
        try Self.checkSenderFilters(query, endpoint)
        _ = tick()
        // Fetch decides whether the pool exists; under list-lag the members are those of listLag ago.
        let pool = try existingPool(poolID, endpoint)
        let members = listed(pool, at: listTime)?.members ?? []
        let inventory = self.inventory
        let micros = self.inventoryMicros
        return members.withUnsafeBufferPointer { members in
            Self.page(
                count: members.count,
                micros: { micros[Int(members[$0])] },
                id: { inventory[Int(members[$0])].id },
                parameters: parameters,
                include: Self.senderFilter(query, inventory: inventory, map: { Int(members[$0]) }),
                item: { members[$0] }
            )
        }
    }

    public func addSenders(poolID: String, senderIDs: [String]) throws(APIError) -> OperationAccepted {
        try addSenders(poolID: poolID, senderIDs: senderIDs, origin: origin, source: .client)
    }

    func addSenders(poolID: String, senderIDs: [String], origin: String, source: WriteSource) throws(APIError) -> OperationAccepted {
        let endpoint = Endpoint.addSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        if let problem = FieldRules.senderListProblem(senderIDs, allowEmpty: false, limit: behaviors.addBatchLimit) {
            throw Self.badRequest(endpoint, problem)
        }
        let now = tick()
        let pool = try existingPool(poolID, endpoint)
        try requireIdle(pool, endpoint)
        let operation = startOperation(.addSenders, pool: pool, senderIDs: senderIDs, now: now)
        logWrite(
            .addSenders, source: source, poolID: poolID, senderIDs: senderIDs, status: 202, tagsBefore: pool.tags,
            tagsAfter: pool.tags, at: now)
        return OperationAccepted(
            operationId: operation.id,
            operationLocation: origin + "/v1/SenderPools/" + poolID + "/Senders/Operations/" + operation.id)
    }

    public func removeSender(poolID: String, senderID: String) throws(APIError) -> ResourceAccepted {
        try removeSender(poolID: poolID, senderID: senderID, origin: origin, source: .client)
    }

    func removeSender(poolID: String, senderID: String, origin: String, source: WriteSource) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.removeSender
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        try requireID(senderID, .sender, endpoint, what: "senderId")
        let now = tick()
        let pool = try existingPool(poolID, endpoint)
        try requireIdle(pool, endpoint)
        guard let index = inventoryIndex[senderID], SortedIndices.index(of: index, in: pool.members) != nil else {
            throw Self.error(endpoint, 404, "Sender \(senderID) is not a member of SenderPool \(poolID)")
        }
        perform(.removeSender(pool, index), now: now)
        logWrite(
            .removeSender, source: source, poolID: poolID, senderIDs: [senderID], status: behaviors.deleteStatus,
            tagsBefore: pool.tags, tagsAfter: pool.tags, at: now)
        return ResourceAccepted(resourceId: senderID, resourceLocation: origin + "/v1/SenderPools/" + poolID + "/Senders/" + senderID)
    }

    /// Remove Sender's effect (a no-op once the pool or the membership is gone).
    func applyRemove(_ pool: PoolRecord, index: Int32, at: Int64) {
        guard pool.deletedAt == nil, let position = SortedIndices.index(of: index, in: pool.members) else { return }
        pool.members.remove(at: position)
        changed(pool, at: at)
    }
}

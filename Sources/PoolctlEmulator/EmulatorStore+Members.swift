import PoolctlAPI
import PoolctlModel

/// A pool's members: list them, add senders (an operation), remove one.
extension EmulatorStore {
    /// One page of a pool's members as inventory indices: what the HTTP
    /// front serves, from each sender's encoded bytes (`SenderBodies`).
    func listPoolSenderIndices(poolID: String, _ query: SenderQuery) throws(APIError) -> ListPage<Int32> {
        let endpoint = Endpoint.listPoolSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        let parameters = try listParameters(endpoint, kind: .sender, window: query.window)
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

    func addSenders(poolID: String, senderIDs: [String], origin: String, source: WriteSource) throws(APIError) -> Accepted {
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
        return Accepted(
            kind: .operation, id: operation.id, location: origin + "/v1/SenderPools/" + poolID + "/Senders/Operations/" + operation.id)
    }

    func removeSender(poolID: String, senderID: String, origin: String, source: WriteSource) throws(APIError) -> Accepted {
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
        return Accepted(kind: .resource, id: senderID, location: origin + "/v1/SenderPools/" + poolID + "/Senders/" + senderID)
    }

    /// Remove Sender's effect (a no-op once the pool or the membership is gone).
    func applyRemove(_ pool: PoolRecord, index: Int32, at: Int64) {
        guard pool.deletedAt == nil, let position = SortedIndices.index(of: index, in: pool.members) else { return }
        pool.members.remove(at: position)
        changed(pool, at: at)
    }
}

import PoolctlAPI

/// A pool's members: list them, add senders (an operation), remove one.
extension EmulatorStore {
    public func listPoolSenders(poolID: String, _ query: SenderQuery) throws(APIError) -> Page<Sender> {
        let endpoint = Endpoint.listPoolSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        let parameters = try Self.listParameters(endpoint, kind: .sender, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        try Self.checkSenderFilters(query, endpoint)
        _ = tick()
        let members = try existingPool(poolID, endpoint).members
        let inventory = self.inventory
        let seconds = self.inventorySeconds
        return Self.page(
            count: members.count,
            seconds: { seconds[Int(members[$0])] },
            id: { inventory[Int(members[$0])].id },
            parameters: parameters,
            include: Self.senderFilter(query, inventory: inventory, map: { Int(members[$0]) }),
            item: { inventory[Int(members[$0])] }
        )
    }

    public func addSenders(poolID: String, senderIDs: [String]) throws(APIError) -> OperationAccepted {
        try addSenders(poolID: poolID, senderIDs: senderIDs, origin: origin)
    }

    func addSenders(poolID: String, senderIDs: [String], origin: String) throws(APIError) -> OperationAccepted {
        let endpoint = Endpoint.addSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        if let problem = FieldRules.senderListProblem(senderIDs, allowEmpty: false) { throw Self.badRequest(endpoint, problem) }
        let now = tick()
        let pool = try existingPool(poolID, endpoint)
        try requireIdle(pool, endpoint)
        let operation = startOperation(pool: pool, senderIDs: senderIDs, now: now)
        return OperationAccepted(operationId: operation.id,
                                 operationLocation: origin + "/v1/SenderPools/" + poolID + "/Senders/Operations/" + operation.id)
    }

    public func removeSender(poolID: String, senderID: String) throws(APIError) -> ResourceAccepted {
        try removeSender(poolID: poolID, senderID: senderID, origin: origin)
    }

    func removeSender(poolID: String, senderID: String, origin: String) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.removeSender
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        try requireID(senderID, .sender, endpoint, what: "senderId")
        _ = tick()
        let pool = try existingPool(poolID, endpoint)
        try requireIdle(pool, endpoint)
        guard let index = inventoryIndex[senderID], let position = SortedIndices.index(of: index, in: pool.members) else {
            throw Self.error(endpoint, 404, "Sender \(senderID) is not a member of SenderPool \(poolID)")
        }
        pool.members.remove(at: position)
        return ResourceAccepted(resourceId: senderID, resourceLocation: origin + "/v1/SenderPools/" + poolID + "/Senders/" + senderID)
    }
}

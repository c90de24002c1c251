import Algorithms
import PoolctlAPI

/// The SenderPool endpoints: list, create, fetch, update and delete.
extension EmulatorStore {
    public func listSenderPools(_ query: SenderPoolQuery) throws(APIError) -> Page<SenderPool> {
        let endpoint = Endpoint.listSenderPools
        let parameters = try Self.listParameters(endpoint, kind: .senderPool, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        if let operationID = query.operationId {
            try requireID(operationID, .operation, endpoint, what: "operationId")
        }
        _ = tick()
        // With an operationId, at most one pool: the one the operation was started against.
        let order = query.operationId.map { id in operations[id].flatMap { pools[$0.poolID] }.map { [$0] } ?? [] } ?? poolOrder
        return Self.page(count: order.count, seconds: { order[$0].seconds }, id: { order[$0].id },
                         parameters: parameters, include: { _ in true }, item: { order[$0].wire })
    }

    public func createSenderPool(_ request: CreateSenderPoolRequest) throws(APIError) -> OperationAccepted {
        try createSenderPool(request, origin: origin)
    }

    func createSenderPool(_ request: CreateSenderPoolRequest, origin: String) throws(APIError) -> OperationAccepted {
        let endpoint = Endpoint.createSenderPool
        let name = request.name ?? ""
        let tags = request.tags ?? [:]
        let senderIDs = (request.senders ?? []).map(\.senderId)
        if let problem = FieldRules.nameProblem(name) ?? FieldRules.tagsProblem(tags)
            ?? FieldRules.senderListProblem(senderIDs, allowEmpty: true) {
            throw Self.badRequest(endpoint, problem)
        }
        let now = tick()
        let seconds = Timestamp.floorDiv(now, 1000)
        let stamp = Timestamp.format(seconds: seconds)
        let pool = PoolRecord(id: EmulatorIDKind.senderPool.prefix + ids.next(milliseconds: now), seconds: seconds,
                              createdAt: stamp, name: name, tags: tags)
        let operation = startOperation(pool: pool, senderIDs: senderIDs, now: now)
        pools[pool.id] = pool
        insertPool(pool)
        return OperationAccepted(operationId: operation.id, operationLocation: origin + "/v1/SenderPools/Operations/" + operation.id)
    }

    public func fetchSenderPool(id: String) throws(APIError) -> SenderPool {
        let endpoint = Endpoint.fetchSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        _ = tick()
        return try existingPool(id, endpoint).wire
    }

    public func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) throws(APIError) -> ResourceAccepted {
        try updateSenderPool(id: id, request, origin: origin)
    }

    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest, origin: String) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.updateSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        if request.name == nil && request.tags == nil { throw Self.badRequest(endpoint, "give at least one of name and tags") }
        if let name = request.name, let problem = FieldRules.nameProblem(name) { throw Self.badRequest(endpoint, problem) }
        if let tags = request.tags, let problem = FieldRules.tagsProblem(tags) { throw Self.badRequest(endpoint, problem) }
        let now = tick()
        let pool = try existingPool(id, endpoint)
        try requireIdle(pool, endpoint)
        if let name = request.name { pool.name = name }
        if let tags = request.tags { pool.tags = tags }
        pool.updatedAt = Timestamp.format(seconds: Timestamp.floorDiv(now, 1000))
        return ResourceAccepted(resourceId: id, resourceLocation: origin + "/v1/SenderPools/" + id)
    }

    public func deleteSenderPool(id: String) throws(APIError) -> ResourceAccepted {
        try deleteSenderPool(id: id, origin: origin)
    }

    func deleteSenderPool(id: String, origin: String) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.deleteSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        _ = tick()
        let pool = try existingPool(id, endpoint)
        try requireIdle(pool, endpoint)
        pools[id] = nil
        let index = poolIndex(pool.position)
        if index < poolOrder.count, poolOrder[index] === pool { poolOrder.remove(at: index) }
        return ResourceAccepted(resourceId: id, resourceLocation: origin + "/v1/SenderPools/" + id)
    }

    private func insertPool(_ pool: PoolRecord) {
        if let last = poolOrder.last, !(last.position < pool.position) {
            poolOrder.insert(pool, at: poolIndex(pool.position))
        } else {
            poolOrder.append(pool)
        }
    }

    /// First index in `poolOrder` whose position is >= `position`.
    private func poolIndex(_ position: Cursor.Position) -> Int {
        poolOrder.partitioningIndex { !($0.position < position) }
    }
}

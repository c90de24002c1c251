import PoolctlAPI

/// Operations: started by Create and Add Senders, listed and fetched.
/// They complete in `EmulatorStore+Settling`.
extension EmulatorStore {
    func startOperation(pool: PoolRecord, senderIDs: [String], now: Int64) -> OperationRecord {
        let seconds = Timestamp.floorDiv(now, 1000)
        var known: [Int32] = []
        known.reserveCapacity(senderIDs.count)
        for id in senderIDs {
            if let index = inventoryIndex[id] { known.append(index) }
        }
        known.sort()
        let operation = OperationRecord(
            id: EmulatorIDKind.operation.prefix + ids.next(milliseconds: now),
            poolID: pool.id,
            seconds: seconds,
            createdAt: Timestamp.format(seconds: seconds),
            total: senderIDs.count,
            known: SortedIndices.uniqued(known),
            deadline: now + operationDelayMS,
            cancel: rng.chance(cancelRate)
        )
        pool.activeOperation = operation
        operations[operation.id] = operation
        operationOrder.append(operation)
        pending.append(operation)
        return operation
    }

    public func listOperations(_ query: OperationQuery) throws(APIError) -> Page<SenderPoolOperation> {
        let endpoint = Endpoint.listOperations
        let parameters = try Self.listParameters(endpoint, kind: .operation, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        if let status = query.status, !OperationStatus.documented.contains(status) {
            throw Self.badRequest(endpoint, "status '\(FieldRules.clip(status.rawValue))' is not one of PROCESSING, COMPLETED, CANCELED")
        }
        _ = tick()
        let order = operationOrder
        let include: (Int) -> Bool = query.status.map { status in { order[$0].status == status } } ?? { _ in true }
        return Self.page(count: order.count, seconds: { order[$0].seconds }, id: { order[$0].id },
                         parameters: parameters, include: include, item: { order[$0].wire })
    }

    public func fetchOperation(id: String) throws(APIError) -> SenderPoolOperation {
        let endpoint = Endpoint.fetchOperation
        try requireID(id, .operation, endpoint, what: "operationId")
        _ = tick()
        guard let operation = operations[id] else { throw Self.error(endpoint, 404, "Operation \(id) was not found") }
        return operation.wire
    }

    /// `GET /v1/SenderPools/{poolId}/Senders/Operations/{operationId}`: 404
    /// unless the operation was started against that pool (which need not
    /// still exist).
    public func fetchOperation(poolID: String, id: String) throws(APIError) -> SenderPoolOperation {
        let endpoint = Endpoint.fetchPoolSendersOperation
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        try requireID(id, .operation, endpoint, what: "operationId")
        _ = tick()
        guard let operation = operations[id], operation.poolID == poolID else {
            throw Self.error(endpoint, 404, "Operation \(id) was not found for SenderPool \(poolID)")
        }
        return operation.wire
    }
}

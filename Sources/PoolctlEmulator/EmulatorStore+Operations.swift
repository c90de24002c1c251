import PoolctlAPI
import PoolctlModel

/// Operations: started by Create and Add Senders, listed and fetched.
/// They complete in `EmulatorStore+Settling`.
extension EmulatorStore {
    func startOperation(_ kind: OperationRecord.Kind, pool: PoolRecord, senderIDs: [String], now: Int64) -> OperationRecord {
        var known: [Int32] = []
        known.reserveCapacity(senderIDs.count)
        for id in senderIDs {
            if let index = inventoryIndex[id] { known.append(index) }
        }
        known.sort()
        let micros = stamp(now)
        // operation-statuses=extended: SCHEDULED for the first half of the delay.
        let scheduledUntil = behaviors.operationStatuses == .extended ? now + operationDelayMS / 2 : nil
        let operation = OperationRecord(
            id: EmulatorIDKind.operation.prefix + ids.next(milliseconds: now),
            kind: kind,
            pool: pool,
            startedAt: now,
            micros: micros,
            createdAt: timestampStyle.render(micros: micros),
            total: senderIDs.count,
            known: SortedIndices.uniqued(known),
            deadline: now + operationDelayMS,
            scheduledUntil: scheduledUntil,
            processingSince: scheduledUntil.map { timestampStyle.render(micros: max(micros, timestampStyle.micros(atMS: $0))) },
            cancel: rng.chance(cancelRate)
        )
        pool.activeOperation = operation
        operations[operation.id] = operation
        operationOrder.append(operation)
        pending.append(.operation(operation))
        return operation
    }

    /// One page of List Sender Pool Operations, each shown as `item` makes it at the list's time.
    func listOperations<Item>(_ query: OperationQuery, _ item: (OperationRecord, Int64) -> Item) throws(APIError) -> ListPage<Item> {
        let endpoint = Endpoint.listOperations
        let parameters = try listParameters(endpoint, kind: .operation, window: served(query.window))
        let statuses = behaviors.operationStatuses == .extended ? OperationState.extended : OperationState.documented
        let wanted = query.status.map(\.rawValue)
        if let wanted, !statuses.contains(where: { $0.rawValue == wanted }) {
            throw Self.badRequest(
                endpoint, "status '\(FieldRules.clip(wanted))' is not one of \(statuses.map(\.rawValue).joined(separator: ", "))")
        }
        _ = tick()
        // Under list-lag the list shows the operations as they were listLag ago.
        let t = listTime
        let nestedOnly = behaviors.operationPaths == .nestedOnly
        let order = operationOrder
        let include: (Int) -> Bool = { i in
            let operation = order[i]
            if nestedOnly && operation.kind == .addSenders { return false }
            return operation.startedAt <= t && (wanted.map { operation.status(at: t).rawValue == $0 } ?? true)
        }
        return Self.page(
            count: order.count, micros: { order[$0].micros }, id: { order[$0].id },
            parameters: parameters, include: include, item: { item(order[$0], t) })
    }

    /// Fetch a SenderPool Operation: the record and the time to show it at.
    func fetchOperationRecord(id: String) throws(APIError) -> (OperationRecord, Int64) {
        let endpoint = Endpoint.fetchOperation
        try requireID(id, .operation, endpoint, what: "operationId")
        let now = tick()
        // operation-paths=nested-only: Add Senders operations only at their nested path.
        guard let operation = operations[id], !(behaviors.operationPaths == .nestedOnly && operation.kind == .addSenders) else {
            throw Self.error(endpoint, 404, "Operation \(id) was not found")
        }
        return (operation, now)
    }

    /// `GET /v1/SenderPools/{poolId}/Senders/Operations/{operationId}`: 404
    /// unless the operation was started against that pool (which need not
    /// still exist).
    func fetchOperationRecord(poolID: String, id: String) throws(APIError) -> (OperationRecord, Int64) {
        let endpoint = Endpoint.fetchPoolSendersOperation
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        try requireID(id, .operation, endpoint, what: "operationId")
        let now = tick()
        guard let operation = operations[id], operation.poolID == poolID else {
            throw Self.error(endpoint, 404, "Operation \(id) was not found for SenderPool \(poolID)")
        }
        return (operation, now)
    }
}

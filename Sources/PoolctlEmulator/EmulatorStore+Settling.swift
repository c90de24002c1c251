/// Lazy settling: every call reads the clock first and completes the
/// operations whose deadline has passed, in deadline order.
extension EmulatorStore {
    /// The current time (never going back), after settling due operations.
    func tick() -> Int64 {
        let now = clock.milliseconds()
        if now > lastNow { lastNow = now }
        settle(lastNow)
        return lastNow
    }

    private func settle(_ now: Int64) {
        while let first = pending.first, first.deadline <= now {
            complete(pending.removeFirst())
        }
    }

    private func complete(_ operation: OperationRecord) {
        operation.updatedAt = Timestamp.format(seconds: Timestamp.floorDiv(operation.deadline, 1000))
        let pool = pools[operation.poolID]
        if pool?.activeOperation === operation { pool?.activeOperation = nil }
        if operation.cancel {
            operation.status = .canceled
            operation.failed = operation.total
            return
        }
        operation.status = .completed
        guard let pool else {
            operation.failed = operation.total
            return
        }
        pool.members = SortedIndices.union(pool.members, operation.known)
        operation.created = operation.known.count
        operation.failed = operation.total - operation.known.count
    }
}

import PoolctlAPI

/// Something due at a time: an operation to complete, or a `writes=async`
/// effect to land.
enum Due {
    case operation(OperationRecord)
    case write(PendingWrite)

    var at: Int64 {
        switch self {
        case .operation(let operation): return operation.deadline
        case .write(let write): return write.at
        }
    }
}

/// Lazy settling: every call reads the clock first, then completes the
/// operations and lands the writes that are due, in time order.
extension EmulatorStore {
    /// The current time (never going back), after settling what is due.
    func tick() -> Int64 {
        let now = clock.milliseconds()
        if now > lastNow { lastNow = now }
        settle(lastNow)
        forgetLingering(lastNow)
        return lastNow
    }

    private func settle(_ now: Int64) {
        while let first = pending.first, first.at <= now {
            switch pending.removeFirst() {
            case .operation(let operation): complete(operation)
            case .write(let write): land(write)
            }
        }
    }

    private func complete(_ operation: OperationRecord) {
        let at = operation.deadline
        operation.updatedAt = timestampStyle.render(micros: max(operation.micros, stamp(at)))
        let pool = operation.pool
        if pool.activeOperation === operation { pool.activeOperation = nil }
        // Under create-visibility=after-completion the pool appears now, with its members.
        defer { if operation.kind == .create, pools[pool.id] == nil, pool.deletedAt == nil { reveal(pool) } }
        if operation.cancel {
            operation.status = behaviors.operationStatuses == .extended ? .failed : .canceled
            operation.failed = operation.total
            return
        }
        operation.status = .completed
        guard pool.deletedAt == nil else {
            operation.failed = operation.total
            return
        }
        pool.members = SortedIndices.union(pool.members, operation.known)
        operation.created = operation.known.count
        operation.failed = operation.total - operation.known.count
        if pools[pool.id] === pool { changed(pool, at: at) }
    }
}

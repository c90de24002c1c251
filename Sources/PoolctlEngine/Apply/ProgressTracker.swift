import PoolctlModel

/// Counts finished pools and senders for progress lines.
actor ProgressTracker {
    let total: Int
    let emit: @Sendable (ApplyEvent) -> Void
    var done = 0
    var added = 0
    var removed = 0

    init(total: Int, emit: @escaping @Sendable (ApplyEvent) -> Void) {
        self.total = total
        self.emit = emit
    }

    func step(_ key: String, _ message: String, added: Int, removed: Int) {
        self.added += added
        self.removed += removed
        emit(
            ApplyEvent(
                key: key, message: message, poolsDone: done, poolsTotal: total, sendersAdded: self.added, sendersRemoved: self.removed))
    }

    func poolFinished(_ key: String, _ result: PoolResult) {
        done += 1
        let message: String
        switch result.status {
        // Writes finished; whether the pool converged is told by verification, at the end.
        case .converged: message = result.action.deletesPool ? "deleted \(result.poolID ?? "")" : "writes done (verified at the end)"
        // Verification may still find the pool as planned (a lost answer, a canceled but made create).
        case .failed: message = "failed: \(result.error ?? "differences remain") (the report at the end says where the pool stands)"
        case .skipped: message = "skipped: \(result.error ?? "")"
        }
        emit(ApplyEvent(key: key, message: message, poolsDone: done, poolsTotal: total, sendersAdded: added, sendersRemoved: removed))
    }
}

import PoolctlAPI

/// A pool as the store keeps it: members as sorted inventory indices and
/// the operation that blocks writes, if any.
final class PoolRecord {
    let id: String
    /// `createdAt` in microseconds (`Timestamp`): the list order.
    let micros: Int64
    let createdAt: String
    var name: String
    var tags: Tags
    var updatedAt: String
    var members: [Int32] = []
    var activeOperation: OperationRecord?
    /// When it became visible (ms): its create, or under
    /// `create-visibility=after-completion` the create's completion.
    var visibleFrom: Int64
    /// When its deletion landed (ms), if it did.
    var deletedAt: Int64?
    /// Under `list-lag` only: the states the lists may still show, oldest
    /// first (`EmulatorStore+ListLag`).
    var versions: [PoolVersion] = []

    init(id: String, micros: Int64, createdAt: String, name: String, tags: Tags, visibleFrom: Int64) {
        self.id = id
        self.micros = micros
        self.createdAt = createdAt
        self.name = name
        self.tags = tags
        self.updatedAt = createdAt
        self.visibleFrom = visibleFrom
    }

    var position: Cursor.Position { Cursor.Position(micros: micros, id: id) }

    var wire: SenderPool {
        SenderPool(id: id, name: name, tags: tags, createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// A pool's listable fields from `at` (ms) on.
struct PoolVersion {
    var at: Int64
    var name: String
    var tags: Tags
    var updatedAt: String
    var members: [Int32]
}

/// An operation as the store keeps it, with its deadline and whether the
/// dice cancelled it.
final class OperationRecord {
    enum Kind { case create, addSenders }

    let id: String
    let kind: Kind
    let pool: PoolRecord
    /// `createdAt` in microseconds (`Timestamp`): the list order.
    let micros: Int64
    let createdAt: String
    var updatedAt: String
    /// PROCESSING until it settles; then its final status.
    var status: OperationStatus = .processing
    let total: Int
    var created = 0
    var failed = 0
    /// Requested senders that are in the inventory, sorted.
    let known: [Int32]
    /// When it was started (ms).
    let startedAt: Int64
    let deadline: Int64
    /// Under `operation-statuses=extended`: SCHEDULED before this (ms).
    let scheduledUntil: Int64?
    /// `updatedAt` once PROCESSING, under `operation-statuses=extended`.
    let processingSince: String?
    let cancel: Bool

    init(
        id: String, kind: Kind, pool: PoolRecord, startedAt: Int64, micros: Int64, createdAt: String, total: Int, known: [Int32],
        deadline: Int64, scheduledUntil: Int64?, processingSince: String?, cancel: Bool
    ) {
        self.id = id
        self.kind = kind
        self.pool = pool
        self.micros = micros
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.total = total
        self.known = known
        self.startedAt = startedAt
        self.deadline = deadline
        self.scheduledUntil = scheduledUntil
        self.processingSince = processingSince
        self.cancel = cancel
    }

    var poolID: String { pool.id }

    /// The status it showed at `t` (ms); `t` is never after the store's now.
    func status(at t: Int64) -> OperationStatus {
        if status != .processing && t >= deadline { return status }
        if let scheduledUntil, t < scheduledUntil { return .scheduled }
        return .processing
    }

    /// As it was at `t` (ms): the list endpoints under `list-lag` look back.
    func wire(at t: Int64) -> SenderPoolOperation {
        let shown = status(at: t)
        guard shown.isTerminal else {
            let changed = shown == .processing ? processingSince : nil
            return SenderPoolOperation(
                id: id, status: shown, stats: OperationStats(total: total, queued: total, created: 0, failed: 0),
                createdAt: createdAt, updatedAt: changed ?? createdAt)
        }
        return SenderPoolOperation(
            id: id, status: shown, stats: OperationStats(total: total, queued: 0, created: created, failed: failed),
            createdAt: createdAt, updatedAt: updatedAt)
    }
}

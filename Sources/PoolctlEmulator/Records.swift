import PoolctlAPI

/// What pools and operations share: an id and a creation time, which
/// together are the list order, and an `updatedAt` that starts equal to
/// `createdAt`.
class ListedRecord {
    let id: String
    /// `createdAt` in microseconds (`Timestamp`): the list order.
    let micros: Int64
    let createdAt: String
    var updatedAt: String

    init(id: String, micros: Int64, createdAt: String) {
        self.id = id
        self.micros = micros
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    var position: Cursor.Position { Cursor.Position(micros: micros, id: id) }
}

/// A pool as the store keeps it: members as sorted inventory indices and
/// the operation that blocks writes, if any.
final class PoolRecord: ListedRecord {
    var name: String
    var tags: Tags
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
        self.name = name
        self.tags = tags
        self.visibleFrom = visibleFrom
        super.init(id: id, micros: micros, createdAt: createdAt)
    }

    /// Its listable fields as they are now.
    var current: PoolVersion {
        PoolVersion(at: 0, name: name, tags: tags, updatedAt: updatedAt, members: members)
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
final class OperationRecord: ListedRecord {
    enum Kind { case create, addSenders }

    let kind: Kind
    let pool: PoolRecord
    /// PROCESSING until it settles; then its final status.
    var status: OperationState = .processing
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
        self.kind = kind
        self.pool = pool
        self.total = total
        self.known = known
        self.startedAt = startedAt
        self.deadline = deadline
        self.scheduledUntil = scheduledUntil
        self.processingSince = processingSince
        self.cancel = cancel
        super.init(id: id, micros: micros, createdAt: createdAt)
    }

    var poolID: String { pool.id }

    /// The status it showed at `t` (ms); `t` is never after the store's now.
    func status(at t: Int64) -> OperationState {
        if status != .processing && t >= deadline { return status }
        if let scheduledUntil, t < scheduledUntil { return .scheduled }
        return .processing
    }

    /// As it was at `t` (ms), for the list endpoints under `list-lag` too:
    /// while not terminal every requested sender is queued.
    func progress(at t: Int64) -> OperationProgress {
        let shown = status(at: t)
        guard shown.isTerminal else {
            let changed = shown == .processing ? processingSince : nil
            return OperationProgress(
                state: shown, total: total, queued: total, created: 0, failed: 0, updatedAt: changed ?? createdAt)
        }
        return OperationProgress(state: shown, total: total, queued: 0, created: created, failed: failed, updatedAt: updatedAt)
    }
}

/// An operation's status, counters and `updatedAt` at one time.
struct OperationProgress {
    var state: OperationState
    var total, queued, created, failed: Int
    var updatedAt: String
}

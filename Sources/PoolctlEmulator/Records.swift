import PoolctlAPI

/// A pool as the store keeps it: members as sorted inventory indices and
/// the operation that blocks writes, if any.
final class PoolRecord {
    let id: String
    let seconds: Int64
    let createdAt: String
    var name: String
    var tags: Tags
    var updatedAt: String
    var members: [Int32] = []
    var activeOperation: OperationRecord?

    init(id: String, seconds: Int64, createdAt: String, name: String, tags: Tags) {
        self.id = id
        self.seconds = seconds
        self.createdAt = createdAt
        self.name = name
        self.tags = tags
        self.updatedAt = createdAt
    }

    var position: Cursor.Position { Cursor.Position(seconds: seconds, id: id) }

    var wire: SenderPool {
        SenderPool(id: id, name: name, tags: tags, createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// An operation as the store keeps it, with its deadline and whether the
/// dice cancelled it.
final class OperationRecord {
    let id: String
    let poolID: String
    let seconds: Int64
    let createdAt: String
    var updatedAt: String
    var status: OperationStatus = .processing
    let total: Int
    var created = 0
    var failed = 0
    /// Requested senders that are in the inventory, sorted.
    let known: [Int32]
    let deadline: Int64
    let cancel: Bool

    init(id: String, poolID: String, seconds: Int64, createdAt: String, total: Int, known: [Int32], deadline: Int64, cancel: Bool) {
        self.id = id
        self.poolID = poolID
        self.seconds = seconds
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.total = total
        self.known = known
        self.deadline = deadline
        self.cancel = cancel
    }

    var wire: SenderPoolOperation {
        let queued = status == .processing ? total : 0
        return SenderPoolOperation(id: id, status: status,
                                   stats: OperationStats(total: total, queued: queued, created: created, failed: failed),
                                   createdAt: createdAt, updatedAt: updatedAt)
    }
}

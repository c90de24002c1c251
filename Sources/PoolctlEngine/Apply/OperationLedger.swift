/// The operations one run started, when each request left and when a list
/// first showed each: what tells a create whose outcome is unknown apart
/// from the operations the run can account for, and how far behind the
/// operations list may be (`Applier.operationsEvidence`).
actor OperationLedger {
    private var sent: [String: Duration]
    private var firstListed: [String: Duration] = [:]
    /// `started`: operations from before apply (the lease's create), by an
    /// instant no later than their request.
    init(started: [String: Duration]) {
        sent = started
    }

    /// An accepted POST's operation, by when its request left (or earlier:
    /// an earlier time only makes the lag bound larger).
    func record(_ operationID: String, sentAt: Duration) {
        sent[operationID] = sentAt
    }

    /// A list answered by `at` showed the operation.
    func listed(_ operationID: String, at: Duration) {
        if firstListed[operationID] == nil { firstListed[operationID] = at }
    }

    func accounts(for operationID: String) -> Bool { sent[operationID] != nil }

    /// How far behind the operations list may be: an operation listed by
    /// `seen` was created after its request left, so the list then lagged
    /// by no more than `seen − sent`. Nil until one of the run's was listed.
    var lagBound: Duration? {
        firstListed.compactMap { id, seen in sent[id].map { seen - $0 } }.min()
    }
}

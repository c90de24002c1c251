/// The operations one run started, when each request left and when a list
/// first showed each: what tells a create whose outcome is unknown apart
/// from the operations the run can account for, and how far behind the
/// operations list may be (`Applier.operationsEvidence`).
actor OperationLedger {
    private var sent: [String: Duration]
    private var firstListed: [String: Duration] = [:]
    /// Lost creates and Add Senders that were then shown to have run: each
    /// started one operation, between its request and its failure, whose id
    /// the run never learnt.
    private var resolved: [(sent: Duration, failed: Duration, senders: Int)] = []
    /// Lost creates still looking for their pool, by token.
    private var looking: [Int: (sent: Duration, failed: Duration)] = [:]
    private var nextToken = 0

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

    func startLooking(sent: Duration, failed: Duration) -> Int {
        nextToken += 1
        looking[nextToken] = (sent, failed)
        return nextToken
    }

    func stopLooking(_ token: Int) {
        looking[token] = nil
    }

    /// `senders`: how many the request carried, which its operation counts.
    func resolved(sent: Duration, failed: Duration, senders: Int) {
        resolved.append((sent, failed, senders))
    }

    /// Other lost requests still looking whose operation would fall within `from...to`.
    func othersLooking(within from: Duration, _ to: Duration, besides token: Int) -> Bool {
        looking.contains { $0.key != token && $0.value.sent <= to && $0.value.failed >= from }
    }

    /// Resolved requests sent and failed within `from...to`: operations of
    /// theirs that a recent listing of that span must show.
    func resolved(within from: Duration, _ to: Duration, senders: Int) -> Int {
        resolved.filter { $0.sent >= from && $0.failed <= to && $0.senders == senders }.count
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel

/// Tracks every open operation of one apply in a single poller, so that a
/// pool waiting on its operation holds no request slot (Terraform #30770).
///
/// A poll round is one listing of this run's operations
/// (`GET /v1/SenderPools/Operations?startDate=…&pageSize=1000`: one call per
/// 1,000 operations); an operation the listing cannot show (an API that
/// serves some only at their own location, or a listing that lags) is
/// fetched on its own, at its returned location. The first poll of an
/// operation waits as long as this run's operations have taken so far.
///
/// An API may ignore `startDate` and page through every operation in the
/// account. The first operation created before `startDate` gives that away:
/// the listing stops there, and for the rest of the run every operation is
/// fetched by id instead (issue 19).
actor OperationWatcher {
    private struct Waiter {
        var reference: OperationReference
        var key: String
        var registered: Duration
        /// The apply's deadline, or the per-operation budget if sooner.
        var limit: Duration
        var due: Duration
        /// From the first wait, doubling up to `maximumWait`.
        var waits: Backoff.Waits
        var polls = 0
        var seenStatuses: Set<OperationStatus> = []
        var continuation: CheckedContinuation<WatchedOperation, any Error>
    }

    private let api: any CommsAPI
    private let clock: PoolctlClock
    /// `startDate` of the listing: the apply's start (server time) less a margin.
    private let since: String
    private let sinceDate: Date?
    /// Set once a listing showed an operation older than `startDate`.
    private(set) var filterIgnored = false
    private let budget: Duration
    private let maximumWait: Duration
    /// False: no listing, every due operation is fetched on its own.
    private let useListing: Bool
    private let report: @Sendable (String, OperationReference, OperationStatus) -> Void
    private let observe: @Sendable (OperationPoll) -> Void
    private var waiters: [String: Waiter] = [:]
    /// Each open operation as last seen, kept when its wait ends without its
    /// end (deadline, lost lease, signal): the report still names it.
    private var lastSeen: [String: WatchedOperation] = [:]
    private var loop: Task<Void, Never>?
    /// How long this run's operations took to finish, as observed.
    private var observed: [Duration] = []
    private(set) var rounds = 0
    /// Operations still open.
    var pending: Int { waiters.count }
    private(set) var singleFetches = 0

    init(
        api: any CommsAPI, clock: PoolctlClock, since: String, useListing: Bool = true, budget: Duration = .seconds(300),
        maximumWait: Duration = .seconds(5),
        report: @escaping @Sendable (String, OperationReference, OperationStatus) -> Void = { _, _, _ in },
        observe: @escaping @Sendable (OperationPoll) -> Void = { _ in }
    ) {
        self.api = api
        self.clock = clock
        self.since = since
        self.sinceDate = WireTime.parseRFC3339(since)
        self.useListing = useListing
        self.budget = budget
        self.maximumWait = maximumWait
        self.report = report
        self.observe = observe
    }

    /// Waits until the operation ends (COMPLETED, CANCELED or FAILED).
    func wait(for reference: OperationReference, key: String, deadline: Duration) async throws -> WatchedOperation {
        try await withCheckedThrowingContinuation { continuation in
            let now = clock.now()
            let first = expectedDuration
            var waits = Backoff(initial: first, cap: maximumWait).waits()
            _ = waits.next()  // the first wait may exceed the cap: it is what this run's operations took
            waiters[reference.id] = Waiter(
                reference: reference, key: key, registered: now, limit: min(now + budget, deadline), due: now + first, waits: waits,
                continuation: continuation)
            if loop == nil { loop = Task { await self.run() } }
        }
    }

    /// The typical time an operation of this run took, 250 ms before any finished.
    private var expectedDuration: Duration {
        guard !observed.isEmpty else { return .milliseconds(250) }
        let sorted = observed.sorted()
        return max(.milliseconds(50), sorted[sorted.count / 2])
    }

    private func run() async {
        while let next = waiters.values.map(\.due).min() {
            let now = clock.now()
            if next > now {
                do { try await clock.sleep(next - now) } catch {
                    fail(all: error)
                    break
                }
            }
            await round()
        }
        loop = nil
    }

    /// One listing for everything, then single fetches for the due ones it did not show.
    private func round() async {
        rounds += 1
        let now = clock.now()
        var listed: [String: SenderPoolOperation] = [:]
        if useListing, !filterIgnored {
            do {
                var query = OperationQuery(startDate: since, pageSize: APIFormat.maxPageSize)
                var tokens: Set<String> = []
                var streak = PageStreak(method: "GET", path: "/v1/SenderPools/Operations")
                while true {
                    let page = try await api.listOperations(query)
                    try streak.record(added: page.items.count, next: page.pagination.next != nil)
                    for operation in page.items {
                        if waiters[operation.id] != nil { listed[operation.id] = operation }
                        if let sinceDate, let created = WireTime.parseRFC3339(operation.createdAt), created < sinceDate {
                            filterIgnored = true
                        }
                    }
                    // An ignored filter would page through the account's whole history: stop.
                    guard !filterIgnored, let next = page.pagination.next, tokens.insert(next).inserted else { break }
                    query.window.pageToken = next
                }
            } catch {
                // A failed listing is no verdict: the due ones are fetched one by one.
            }
        }
        for (id, operation) in listed { receive(operation, id: id, via: .listing) }
        // Everything the listing showed still running was just polled: align
        // its next poll with this round instead of setting off rounds of its own.
        for id in listed.keys where waiters[id] != nil && waiters[id]!.due > now { reschedule(id) }
        let missing = waiters.values.filter { $0.due <= now && listed[$0.reference.id] == nil }.map(\.reference)
        for reference in missing {
            singleFetches += 1
            do {
                receive(try await api.fetchOperation(reference), id: reference.id, via: .fetch)
            } catch let error as APIError where error.isNotFound {
                reschedule(reference.id)  // Not visible yet: try again later.
            } catch {
                finish(reference.id, .failure(error))
            }
        }
        // Whatever is still open and due waits longer before its next poll.
        for id in waiters.keys where waiters[id]!.due <= now { reschedule(id) }
    }

    private func receive(_ operation: SenderPoolOperation, id: String, via: OperationPoll.Via) {
        guard var waiter = waiters[id] else { return }
        waiter.polls += 1
        observe(
            OperationPoll(
                operationID: id, key: waiter.key, poolID: waiter.reference.poolID,
                status: operation.status.rawValue, via: via))
        if operation.status.isTerminal {
            lastSeen[id] = nil
            observed.append(clock.now() - waiter.registered)
            waiters[id] = waiter
            finish(id, .success(WatchedOperation(operation: operation, polls: waiter.polls)))
            return
        }
        lastSeen[id] = WatchedOperation(operation: operation, polls: waiter.polls)
        if operation.status != .processing, waiter.seenStatuses.insert(operation.status).inserted {
            report(waiter.key, waiter.reference, operation.status)
        }
        waiters[id] = waiter
    }

    /// How an operation whose wait failed was last seen, if it was.
    func seen(_ id: String) -> WatchedOperation? { lastSeen[id] }

    private func reschedule(_ id: String) {
        guard var waiter = waiters[id] else { return }
        let now = clock.now()
        let wait = waiter.waits.next()
        if now + wait > waiter.limit {
            finish(id, .failure(APIError(kind: .deadlineExceeded, message: "operation \(id) had not finished after \(waiter.polls) polls")))
            return
        }
        waiter.due = now + wait
        waiters[id] = waiter
    }

    private func finish(_ id: String, _ result: Result<WatchedOperation, any Error>) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(with: result)
    }

    private func fail(all error: any Error) {
        for id in Array(waiters.keys) { finish(id, .failure(error)) }
    }
}

/// One poll's view of one operation, for machine-readable logs.
public struct OperationPoll: Sendable, Hashable {
    public enum Via: String, Sendable, Hashable {
        /// The round's listing of this run's operations.
        case listing
        /// A fetch of the operation alone, at its location.
        case fetch
    }

    public var operationID: String
    /// The pool key of the plan the operation belongs to.
    public var key: String
    public var poolID: String?
    /// The API's status, e.g. `PROCESSING`.
    public var status: String
    public var via: Via

    public init(operationID: String, key: String, poolID: String?, status: String, via: Via) {
        self.operationID = operationID
        self.key = key
        self.poolID = poolID
        self.status = status
        self.via = via
    }
}

/// An operation that ended, and how many polls saw it.
struct WatchedOperation: Sendable {
    var operation: SenderPoolOperation
    var polls: Int
}

import Foundation
import PoolctlAPI
import PoolctlModel

/// A create whose outcome is unknown (a reset, a timeout, a 5xx) may have
/// made its pool, and the API has no idempotency key: a second POST could
/// make a second pool. It is repeated only on evidence that it did not run.
extension Applier {
    enum Lookup: Equatable {
        case found(SenderPool)
        /// Every listing missed it, one was shown to have skipped nothing,
        /// and the operations since show that the create did not run.
        case absent
        /// No such proof; the reason says what is missing.
        case unconfirmed(String)
    }

    /// The pool listings first (`settleLook`), then the operations the API
    /// started between the request and its failure (`operationsEvidence`):
    /// pool listings alone cannot tell a pool that is not there from one
    /// that a lagging list, or an API that shows a pool only once its
    /// operation completes, still hides.
    func lookAfterUnknownCreate(
        _ ownership: Ownership, senders: Int, sent: Duration, deadline: Duration, run: ApplyRun
    ) async throws -> Lookup {
        let look = try await settleLook(ownership, deadline: deadline)
        guard look == .absent else { return look }
        switch await operationsEvidence(sent: sent, senders: senders, deadline: deadline, run: run) {
        case .notRun:
            return .absent
        case .notRecent:
            return .unconfirmed(
                "no listing of operations could be shown to be recent enough to hold the create's, had it run (a list may lag)")
        case .unreadable(let reason):
            return .unconfirmed("the operations started since could not be listed (\(reason))")
        case .finished(_, let at):
            // Each finished by `at`; a pool one of them made is listed once the lists catch up with that.
            let ready = at + (await run.ledger.lagBound ?? .zero)
            guard ready - clock.now() <= Self.evidenceWait, ready < deadline else {
                return .unconfirmed("the operations list lags too far behind to wait for")
            }
            if ready > clock.now() { try await clock.sleep(ready - clock.now()) }
            // The lists have caught up: no need to wait out a lag again, only to list without skipping.
            return try await settleLook(ownership, deadline: deadline, caughtUp: true)
        case .unaccounted(let count):
            let again = try await settleLook(ownership, deadline: deadline)
            if case .found = again { return again }
            return .unconfirmed(
                "\(count) operation\(count == 1 ? "" : "s") started meanwhile that this run cannot account for, and the create may be one")
        }
    }

    /// Pool listings with backoff for `settleWindow` (250 ms, then
    /// doubling), each with other page boundaries than the one before; the
    /// key counts as having no pool only when they all missed it and their
    /// boundaries differ (`PoolSightings.confirmsAbsence`).
    /// `caughtUp`: the lists are known to show the pool if it exists, so a
    /// listing shown to skip nothing is enough.
    func settleLook(_ ownership: Ownership, deadline: Duration, caughtUp: Bool = false) async throws -> Lookup {
        var sightings = PoolSightings()
        var waits = Self.settleBackoff(options).waits()
        var waited = Duration.zero
        while true {
            let pageSize = sightings.listings.isEmpty ? APIFormat.maxPageSize : sightings.nextPageSize
            let listing = try await PoolListing.read(api, pageSize: pageSize)
            if let pool = listing.pools.first(where: { Ownership(tags: $0.tags)?.identity == ownership.identity }) {
                return .found(pool)
            }
            sightings.add(listing)
            if caughtUp, sightings.confirmsAbsence { return .absent }
            if waited + waits.scheduled > options.settleWindow || clock.now() + waits.scheduled > deadline {
                if sightings.confirmsAbsence { return .absent }
                // Settled, but pages shifted under other writes: more listings, at once, while they can still confirm.
                if !sightings.mayConfirmWithMoreListings || clock.now() > deadline {
                    return .unconfirmed("pages shifted under other writes, so no listing could be shown to have skipped nothing")
                }
                continue
            }
            let wait = waits.next()
            try await clock.sleep(wait)
            waited += wait
        }
    }

    enum OperationsEvidence: Equatable {
        /// Recent enough, and every operation from the request to the
        /// failure is accounted for: the create did not run.
        case notRun
        /// Not shown to be recent: a lagging list may not show the create's operation yet.
        case notRecent
        case unreadable(String)
        /// Recent, with operations this run cannot account for, all finished
        /// by `at` (any pool one of them made is listed by `at` plus the lag).
        case finished(Int, at: Duration)
        /// Operations this run cannot account for, some still running or in a listing not shown recent.
        case unaccounted(Int)
    }

    /// Lists the operations created since the request (`sent`), in the
    /// server's time less 2 s (its `Date` header counts whole seconds),
    /// with no upper cut: a server may process a request after its client
    /// gave up. Without the server's time there is no verdict. The listing
    /// counts only when recent: begun at least the list's lag bound
    /// (`OperationLedger.lagBound`) after the failure, waiting for that up
    /// to `evidenceWait`. An operation there that the run did not start
    /// may be the create's, unless it completed counting another number of
    /// senders; the others are waited for until they end.
    func operationsEvidence(sent: Duration, senders: Int, deadline: Duration, run: ApplyRun) async -> OperationsEvidence {
        // Later than the failure itself: stricter, and it covers a request processed during the pool listings.
        let failed = clock.now()
        var waited = false
        while true {
            let begun = clock.now()
            // Local clocks may be off by any amount: only the server's time places its operations.
            guard let now = (api as? ServerClock)?.estimatedServerTime() else {
                return .unreadable("the server's time is unknown (no Date header), so its operations cannot be placed in time")
            }
            let start = now.addingTimeInterval(-(begun - sent).inSeconds - 2)
            let listed: [SenderPoolOperation]
            do {
                listed = try await listOperations(since: start, deadline: deadline)
            } catch {
                return .unreadable((error as? APIError)?.description ?? "\(type(of: error))")
            }
            let answered = clock.now()
            for operation in listed { await run.ledger.listed(operation.id, at: answered) }
            var unaccounted: [SenderPoolOperation] = []
            for operation in listed where !(await run.ledger.accounts(for: operation.id)) {
                // An API that ignores the filter lists older ones too; one with no readable time may be in the span.
                if WireTime.parseRFC3339(operation.createdAt).map({ $0 >= start }) ?? true { unaccounted.append(operation) }
            }
            // Completed, an operation counts its senders: one that did not carry this create's number is not
            // it. A CANCELED or FAILED one may count fewer and still have made the pool.
            unaccounted = await finished(unaccounted, deadline: deadline).filter {
                $0.status != .completed || $0.stats.total == senders
            }
            let lag = await run.ledger.lagBound
            guard let lag, begun - failed >= lag else {
                let ready = lag.map { failed + $0 }
                if !waited, let ready, ready - clock.now() <= Self.evidenceWait, ready < deadline {
                    waited = true
                    try? await clock.sleep(max(ready - clock.now(), .milliseconds(1)))
                    continue
                }
                return unaccounted.isEmpty ? .notRecent : .unaccounted(unaccounted.count)
            }
            if unaccounted.isEmpty { return .notRun }
            if unaccounted.allSatisfy(\.status.isTerminal) { return .finished(unaccounted.count, at: clock.now()) }
            return .unaccounted(unaccounted.count)
        }
    }

    /// How long a lost create waits for the operations list to catch up.
    static let evidenceWait = Duration.seconds(30)
    /// 50 pages at the documented page size of 1,000. Pages are capped
    /// apart (`evidencePages`), far higher: where a server caps pages at 4
    /// to 8 while other users write, a few seconds' operations took more
    /// than 50 pages (a soak's quiet apply exited 3 on that).
    static let evidenceOperations = 50_000
    /// Calls one lost create's evidence may cost at most, whatever the page
    /// size: as many as the creates of 1,000 pools.
    static let evidencePages = 1_000

    /// The operations as they ended: each still running is fetched by id
    /// until it ends (kept as it was when a fetch fails or time runs out).
    private func finished(_ operations: [SenderPoolOperation], deadline: Duration) async -> [SenderPoolOperation] {
        var ended: [SenderPoolOperation] = []
        for operation in operations {
            ended.append(operation.status.isTerminal ? operation : await waitFinished(operation, deadline: deadline))
        }
        return ended
    }

    /// The operations created since `start`, all pages, then each once
    /// (offset pages repeat one when others create; the later copy is
    /// kept). At most `evidenceOperations` listed (repeats included) and
    /// `evidencePages`, and only until `deadline`. `Paginated` throws on a
    /// page token returned twice and on pages that bring nothing: pages not
    /// all read, no verdict.
    private func listOperations(since start: Date, deadline: Duration) async throws -> [SenderPoolOperation] {
        var listed: [SenderPoolOperation] = []
        var pages = 0
        func failure(_ kind: APIError.Kind, _ message: String) -> APIError {
            APIError(kind: kind, method: "GET", path: "/v1/SenderPools/Operations", message: message)
        }
        for try await page in api.allOperations(OperationQuery(startDate: WireTime.formatRFC3339(start))).pages {
            listed += page
            pages += 1
            guard listed.count <= Self.evidenceOperations, pages <= Self.evidencePages else {
                throw failure(
                    .invalidResponse,
                    "more than \(Self.evidencePages) pages or \(Self.evidenceOperations) operations listed since the request")
            }
            guard clock.now() < deadline else {
                throw failure(.deadlineExceeded, "the apply's time ran out while listing them (\(pages) page\(pages == 1 ? "" : "s") read)")
            }
        }
        return listed.latestSightings(by: \.id)
    }

    /// Polls an operation by id (a fetch shows it now, where a list may lag)
    /// until it is finished, the deadline passes or a fetch fails.
    private func waitFinished(_ operation: SenderPoolOperation, deadline: Duration) async -> SenderPoolOperation {
        var latest = operation
        var waits = Backoff(initial: .milliseconds(250), cap: .seconds(5)).waits()
        while clock.now() < deadline {
            let wait = min(waits.next(), deadline - clock.now())
            guard wait > .zero, (try? await clock.sleep(wait)) != nil else { break }
            guard let fetched = try? await api.fetchOperation(id: operation.id) else { break }
            latest = fetched
            if fetched.status.isTerminal { break }
        }
        return latest
    }

    /// The unknown create's error, saying why it was not sent again.
    static func notRepeated(_ error: APIError, because reason: String) -> APIError {
        var refused = error
        refused.message =
            "\(error.cause); it was not sent again, since a second create could make a second pool: \(reason). The next plan finds the pool if it was made"
        return refused
    }
}

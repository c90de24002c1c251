import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEngine

/// What the operations started around a lost create tell about it
/// (`Applier.operationsEvidence`): the create is sent again only when a
/// listing recent enough shows nothing this run cannot account for.
@Suite struct UnknownCreateEvidenceTests {
    private let later = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v09"
    private let lease = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v07"

    private func op(_ id: String, _ status: OperationStatus = .completed, createdAt: String) -> SenderPoolOperation {
        SenderPoolOperation(
            id: id, status: status, stats: OperationStats(total: 0, queued: 0, created: 0, failed: 0), createdAt: createdAt,
            updatedAt: createdAt)
    }

    /// The server's clock reads 12:00:10; this create was sent at 12:00:01
    /// (the manual clock at 1 s) and the evidence is asked for at 10 s.
    /// `later` (sent at 5 s, listed at 5.2 s) bounds the list's lag to
    /// 200 ms, so a listing begun 200 ms after 10 s is recent.
    private func evidence(
        _ api: ScriptedAPI, later laterSent: Bool = true, senders: Int = 0, serverTime: Bool = true,
        deadline: Duration = .seconds(600)
    ) async -> Applier.OperationsEvidence {
        let clock = ManualClock()
        clock.advance(seconds: 10)
        if serverTime { api.setServerTime(WireTime.parseRFC3339("2026-12-07T12:00:10Z")) }
        let ledger = OperationLedger(started: [lease: .zero])
        if laterSent {
            await ledger.record(later, sentAt: .seconds(5))
            await ledger.listed(later, at: .milliseconds(5200))
        }
        let run = Applier.ApplyRun(
            watcher: OperationWatcher(api: api, clock: clock.clock, since: "2026-12-07T11:55:00Z"),
            finder: CreatedPoolFinder(api: api, since: "2026-12-07T11:55:00Z"), permits: WritePermits([]), ledger: ledger,
            stack: "web")
        return await Applier(api: api, clock: clock.clock).operationsEvidence(
            sent: .seconds(1), senders: senders, deadline: deadline, run: run)
    }

    private func finished(_ evidence: Applier.OperationsEvidence) -> Int? {
        if case .finished(let count, _) = evidence { count } else { nil }
    }

    private func listing(_ operations: [SenderPoolOperation]) -> (ScriptedAPI.Call, ScriptedAPI.Answer) {
        (.listOperations, .operations(operations))
    }

    /// The first listing, begun at once, may be up to 200 ms behind; the
    /// second, begun after that, is recent and shows only the run's own.
    @Test func aRecentListingOfOnlyOurOwnOperationsProvesTheCreateDidNotRun() async {
        let ours = [op(lease, createdAt: "2026-12-07T12:00:00Z"), op(later, createdAt: "2026-12-07T12:00:05Z")]
        let api = ScriptedAPI([listing(ours), listing(ours)])
        #expect(await evidence(api) == .notRun)
        #expect(api.unanswered == 0)
    }

    /// Only the lease's operation bounds the lag: listed at 10 s, sent at
    /// 0 s, so the list may be 10 s behind. One more listing, begun 10 s
    /// later, is recent enough.
    @Test func withOnlyTheLeaseToGoByTheListingIsTakenAgainOnceTheLagHasPassed() async {
        let api = ScriptedAPI([
            listing([op(lease, createdAt: "2026-12-07T12:00:00Z")]), listing([op(lease, createdAt: "2026-12-07T12:00:00Z")]),
        ])
        #expect(await evidence(api, later: false) == .notRun)
        #expect(api.unanswered == 0)
    }

    @Test func aListThatNeverShowedOneOfOurOperationsMayLag() async {
        let api = ScriptedAPI([listing([])])
        #expect(await evidence(api, later: false) == .notRecent)
        #expect(api.unanswered == 0)
    }

    /// Without the server's time its operations cannot be placed: no call, no verdict.
    @Test func withoutTheServersTimeThereIsNoVerdict() async {
        let api = ScriptedAPI([])
        guard case .unreadable(let reason) = await evidence(api, serverTime: false) else {
            Issue.record("expected unreadable")
            return
        }
        #expect(reason.contains("no Date header"))
    }

    @Test func anOperationNoOneAccountsForIsWaitedForUntilItEnds() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let api = ScriptedAPI([
            listing([op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z")]),
            (.fetchOperation(stranger), .operation(op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z"))),
            (.fetchOperation(stranger), .operation(op(stranger, .completed, createdAt: "2026-12-07T12:00:02Z"))),
            listing([op(stranger, .completed, createdAt: "2026-12-07T12:00:02Z")]),
        ])
        // Recent, and finished: the pools are listed again once the lists catch up.
        #expect(finished(await evidence(api)) == 1)
        #expect(api.unanswered == 0)
    }

    /// Still running when the fetches stop: no verdict.
    @Test func anOperationStillRunningLeavesItUnaccounted() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let api = ScriptedAPI([
            listing([op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z")]),
            (.fetchOperation(stranger), .error(APIError.http(503, "unavailable", method: "GET", path: "/v1/SenderPools/Operations"))),
            listing([op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z")]),
            (.fetchOperation(stranger), .error(APIError.http(503, "unavailable", method: "GET", path: "/v1/SenderPools/Operations"))),
        ])
        #expect(await evidence(api) == .unaccounted(1))
    }

    /// Before the request (the server's time less 2 s) they are not the
    /// create: an API that ignores `startDate` lists them. After it, with no
    /// upper cut (a server may process a request after its client gave up),
    /// or with no time at all, they may be.
    @Test func onlyOperationsFromBeforeTheRequestAreRuledOutByTime() async {
        let old = [op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0b", createdAt: "2026-12-07T11:59:58Z")]
        #expect(await evidence(ScriptedAPI([listing(old), listing(old)])) == .notRun)
        for createdAt in ["2026-12-07T11:59:59Z", "2026-12-07T12:00:09Z", ""] {
            let maybe = [op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0d", createdAt: createdAt)]
            #expect(finished(await evidence(ScriptedAPI([listing(maybe), listing(maybe)]))) == 1, "\(createdAt)")
        }
    }

    /// A completed operation counts its senders: the lease's create (none)
    /// is not this create of 3. A canceled one may count fewer and still
    /// have made the pool.
    @Test func aCompletedOperationOfAnotherSizeIsNotTheCreate() async {
        let completed = [op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a", createdAt: "2026-12-07T12:00:02Z")]
        #expect(await evidence(ScriptedAPI([listing(completed), listing(completed)]), senders: 3) == .notRun)
        #expect(finished(await evidence(ScriptedAPI([listing(completed), listing(completed)]), senders: 0)) == 1)
        let canceled = [op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a", .canceled, createdAt: "2026-12-07T12:00:02Z")]
        #expect(finished(await evidence(ScriptedAPI([listing(canceled), listing(canceled)]), senders: 3)) == 1)
    }

    /// A listing of 60 pages of 4, as from a server that caps pages low
    /// while others create: `page` repeats the last operation of the page
    /// before (an offset shift), and `stranger`, still running, is on the
    /// first two pages.
    private func pagedListing(stranger: String) -> [(ScriptedAPI.Call, ScriptedAPI.Answer)] {
        var previous = op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z")
        return (0..<60).map { page in
            let filler = (0..<3).map { n in
                op(String(format: "comms_operation_01jd8a7k2m3n4p5q6r7s8%03d%03d", page, n), createdAt: "2026-12-07T12:00:03Z")
            }
            defer { previous = filler[2] }
            let items = [previous] + filler
            return page == 59 ? listing(items) : (.listOperations, .operationsPage(items, next: "o\(page + 1)"))
        }
    }

    /// Evidence is counted in operations, not pages: 60 pages of 4 are
    /// read to the end, and an operation that two pages show is waited for
    /// once. Completed with no senders, none of them is this create of 3.
    @Test func aServerThatCapsPagesLowStillGivesItsEvidenceEachOperationOnce() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let done = op(stranger, .completed, createdAt: "2026-12-07T12:00:02Z")
        let api = ScriptedAPI(
            pagedListing(stranger: stranger) + [(.fetchOperation(stranger), .operation(done))] + pagedListing(stranger: stranger)
                + [(.fetchOperation(stranger), .operation(done))])
        #expect(await evidence(api, senders: 3) == .notRun)
        #expect(api.unanswered == 0)
    }

    /// Paging stops at the apply's deadline: no verdict on a part-read list.
    @Test func pagingStopsAtTheDeadline() async {
        let api = ScriptedAPI(Array(pagedListing(stranger: later).prefix(1)))
        guard case .unreadable(let reason) = await evidence(api, deadline: .seconds(10)) else {
            Issue.record("expected unreadable")
            return
        }
        #expect(reason.contains("the apply's time ran out while listing them (1 page read)"), "\(reason)")
        #expect(api.unanswered == 0)
    }

    @Test func aFailedListingIsNoEvidence() async {
        let api = ScriptedAPI([
            (.listOperations, .error(APIError.http(503, "unavailable", method: "GET", path: "/v1/SenderPools/Operations")))
        ])
        guard case .unreadable(let reason) = await evidence(api) else {
            Issue.record("expected unreadable")
            return
        }
        #expect(reason.contains("503"))
    }
}

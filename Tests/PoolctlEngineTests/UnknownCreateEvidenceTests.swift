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

    /// The server's clock reads 12:00:10 when the test asks; the lease's
    /// create was sent at 12:00:00, this create at 12:00:01 and it failed at
    /// 12:00:03 (the manual clock at 0, 1 and 3 s, asked at 10 s).
    /// `later` (sent at 5 s, listed at 5.2 s) bounds the list's lag to 200 ms.
    private func evidence(
        _ api: ScriptedAPI, later laterSent: Bool = true, resolved: Bool = false, senders: Int = 0
    ) async -> Applier.OperationsEvidence {
        let clock = ManualClock()
        clock.advance(seconds: 10)
        let serverAtZero = WireTime.parseRFC3339("2026-12-07T12:00:00Z")!
        api.setServerTime(serverAtZero.addingTimeInterval(10))
        let ledger = OperationLedger(started: [lease: .zero])
        if laterSent {
            await ledger.record(later, sentAt: .seconds(5))
            await ledger.listed(later, at: .milliseconds(5200))
        }
        if resolved { await ledger.resolved(sent: .milliseconds(1500), failed: .milliseconds(2500), senders: 0) }
        let run = Applier.ApplyRun(
            watcher: OperationWatcher(api: api, clock: clock.clock, since: "2026-12-07T11:55:00Z"),
            finder: CreatedPoolFinder(api: api, since: "2026-12-07T11:55:00Z"), permits: WritePermits([]), ledger: ledger,
            stack: "web")
        return await Applier(api: api, clock: clock.clock).operationsEvidence(
            sent: .seconds(1), failed: .seconds(3), senders: senders, deadline: .seconds(600), run: run)
    }

    private func finished(_ evidence: Applier.OperationsEvidence) -> Int? {
        if case .finished(let count, _) = evidence { count } else { nil }
    }

    /// Still running when the fetches stop (the deadline): no verdict.
    @Test func anOperationStillRunningLeavesItUnaccounted() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let api = ScriptedAPI(
            [(.listOperations, .operations([op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z")]))]
                + [
                    (
                        .fetchOperation(stranger),
                        .error(APIError.http(503, "unavailable", method: "GET", path: "/v1/SenderPools/Operations"))
                    )
                ])
        #expect(await evidence(api) == .unaccounted(1))
    }

    @Test func aRecentListingOfOnlyOurOwnOperationsProvesTheCreateDidNotRun() async {
        let api = ScriptedAPI([
            (.listOperations, .operations([op(lease, createdAt: "2026-12-07T12:00:00Z"), op(later, createdAt: "2026-12-07T12:00:05Z")]))
        ])
        #expect(await evidence(api) == .notRun)
        #expect(api.unanswered == 0)
    }

    /// Only the lease's operation bounds the lag: listed at 10 s, sent at
    /// 0 s, so the list may be 10 s behind. One more listing, begun 10 s after
    /// the failure (at 13 s), is recent enough.
    @Test func withOnlyTheLeaseToGoByTheListingIsTakenAgainOnceTheLagHasPassed() async {
        let api = ScriptedAPI([
            (.listOperations, .operations([op(lease, createdAt: "2026-12-07T12:00:00Z")])),
            (.listOperations, .operations([op(lease, createdAt: "2026-12-07T12:00:00Z")])),
        ])
        #expect(await evidence(api, later: false) == .notRun)
        #expect(api.unanswered == 0)
    }

    @Test func aListThatNeverShowedOneOfOurOperationsMayLag() async {
        let api = ScriptedAPI([(.listOperations, .operations([]))])
        #expect(await evidence(api, later: false) == .notRecent)
        #expect(api.unanswered == 0)
    }

    @Test func anOperationNoOneAccountsForIsWaitedForAndBlocksTheRepeat() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let api = ScriptedAPI([
            (.listOperations, .operations([op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z")])),
            (.fetchOperation(stranger), .operation(op(stranger, .processing, createdAt: "2026-12-07T12:00:02Z"))),
            (.fetchOperation(stranger), .operation(op(stranger, .completed, createdAt: "2026-12-07T12:00:02Z"))),
        ])
        // Recent, and finished now: the pools are listed again once the lists catch up.
        #expect(finished(await evidence(api)) == 1)
        #expect(api.unanswered == 0)
    }

    /// Another lost request of the run, sent and failed within the span and
    /// shown to have run: its operation is the one nobody else accounts for.
    @Test func anotherLostRequestShownToHaveRunAccountsForOneOperation() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let listing = [(ScriptedAPI.Call.listOperations, ScriptedAPI.Answer.operations([op(stranger, createdAt: "2026-12-07T12:00:02Z")]))]
        #expect(await evidence(ScriptedAPI(listing), resolved: true) == .notRun)
        #expect(finished(await evidence(ScriptedAPI(listing), resolved: false)) == 1)
    }

    /// Outside the request's span (2 s either side in the server's time):
    /// an API that ignores `startDate` lists them, and they are not the create.
    @Test func operationsOutsideTheSpanAreNotTheCreate() async {
        let api = ScriptedAPI([
            (
                .listOperations,
                .operations([
                    op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0b", createdAt: "2026-12-07T11:59:58Z"),
                    op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0c", createdAt: "2026-12-07T12:00:06Z"),
                ])
            )
        ])
        #expect(await evidence(api) == .notRun)
        // Just inside either edge, or with no time at all: it may be.
        for createdAt in ["2026-12-07T11:59:59Z", "2026-12-07T12:00:05Z", ""] {
            let inside = ScriptedAPI([
                (.listOperations, .operations([op("comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0d", createdAt: createdAt)]))
            ])
            #expect(finished(await evidence(inside)) == 1, "\(createdAt)")
        }
    }

    /// A finished operation counts its senders: the lease's create (none),
    /// or another pool's of another size, is not this create of 3.
    @Test func aFinishedOperationOfAnotherSizeIsNotTheCreate() async {
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let listing = [(ScriptedAPI.Call.listOperations, ScriptedAPI.Answer.operations([op(stranger, createdAt: "2026-12-07T12:00:02Z")]))]
        #expect(await evidence(ScriptedAPI(listing), senders: 3) == .notRun)
        #expect(finished(await evidence(ScriptedAPI(listing), senders: 0)) == 1)
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

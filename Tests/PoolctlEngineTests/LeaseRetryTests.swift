import PoolctlAPI
import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlEngine

/// The one loop by which the lease tries a call again (its steps and its deletes).
@Suite struct LeaseRetryTests {
    private static let busy = APIError.http(503, "unavailable", method: "GET", path: "/v1/SenderPools")
    private static let conflict = APIError.http(409, "an operation is running", method: "DELETE", path: "/v1/SenderPools/p1")
    private static let forbidden = APIError.http(403, "forbidden", method: "DELETE", path: "/v1/SenderPools/p1")

    /// Fails with `failures` in order, then answers the number of calls made.
    private final class Script: Sendable {
        private let state: Mutex<(failures: [APIError], calls: Int)>
        init(_ failures: [APIError]) { state = Mutex((failures, 0)) }
        var calls: Int { state.withLock { $0.calls } }
        func call() throws -> Int {
            try state.withLock { state in
                state.calls += 1
                if !state.failures.isEmpty { throw state.failures.removeFirst() }
                return state.calls
            }
        }
    }

    private static func retry(deadline: Duration? = nil, conflicts: Bool = false, attempts: Int = 5) -> LeaseRetry {
        LeaseRetry(backoff: Backoff(initial: .seconds(1), cap: .seconds(4)), attempts: attempts, deadline: deadline, conflicts: conflicts)
    }

    @Test func aTransientFailureIsTriedAgainAfterEachWait() async throws {
        let clock = ManualClock()
        let script = Script([Self.busy, Self.busy, Self.busy])
        let answer = try await Self.retry().run(clock: clock.clock, random: { 0 }) { try script.call() }
        #expect(answer == 4)
        #expect(clock.sleeps == [.seconds(1), .seconds(2), .seconds(4)])
    }

    @Test func theLastOfTheAttemptsThrowsItsFailure() async {
        let clock = ManualClock()
        let script = Script(Array(repeating: Self.busy, count: 9))
        await #expect(throws: Self.busy) {
            try await Self.retry(attempts: 3).run(clock: clock.clock, random: { 0 }) { try script.call() }
        }
        #expect(script.calls == 3)
    }

    @Test(arguments: [(false, 1), (true, 2)])
    func aConflictIsWaitedOutOnlyByADelete(conflicts: Bool, calls: Int) async {
        let script = Script([Self.conflict, Self.forbidden])
        await #expect(throws: calls == 1 ? Self.conflict : Self.forbidden) {
            try await Self.retry(conflicts: conflicts).run(clock: ManualClock().clock, random: { 0 }) { try script.call() }
        }
        // A 403 is never tried again.
        #expect(script.calls == calls)
    }

    @Test func noWaitEndsPastTheDeadline() async {
        let clock = ManualClock()
        let script = Script(Array(repeating: Self.busy, count: 9))
        // Waits of 1 s and 2 s end by 3 s; the next, of 4 s, would end at 7 s.
        await #expect(throws: Self.busy) {
            try await Self.retry(deadline: .seconds(6)).run(clock: clock.clock, random: { 0 }) { try script.call() }
        }
        #expect(script.calls == 3)
        #expect(clock.now == .seconds(3))
    }

    @Test func aTaskCancelledWhileWaitingGetsTheFailureItMet() async throws {
        // Waits of a second or more park, so the task is cancelled in one.
        let clock = ManualClock(autoAdvanceBelow: .milliseconds(1))
        let script = Script([Self.busy, Self.busy])
        let task = Task {
            try await Self.retry().run(clock: clock.clock, random: { 0 }) { try script.call() }
        }
        #expect(await clock.parked() == .seconds(1))
        task.cancel()
        let outcome = await task.result
        #expect(throws: Self.busy) { try outcome.get() }
        #expect(script.calls == 1)
    }
}

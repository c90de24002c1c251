import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPIHTTP

/// The shared scheduler on a manual clock: its waits are recorded, never slept.
@Suite(.timeLimit(.minutes(1))) struct RequestSchedulerTests {
    @Test func aCapSpacesRequestsEvenly() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 4, maxRPS: 2), clock: clock.clock)
        try await answerInTurn(scheduler, 4)
        // The first has a token; then one every 1/2 s.
        #expect(clock.sleeps == [.milliseconds(500), .milliseconds(500), .milliseconds(500)])
    }

    @Test func a429HalvesTheRateAndPausesEveryRequestForRetryAfter() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 8, maxRPS: 10), clock: clock.clock)
        try await scheduler.start()
        try await scheduler.start()
        // Both in flight when the server says 429 (Retry-After 3 s): one halving, one pause.
        scheduler.finished(.rateLimited(retryAfter: .seconds(3)))
        scheduler.finished(.rateLimited(retryAfter: .seconds(3)))
        #expect(scheduler.rate == 5)
        #expect(scheduler.rateLimitedCount == 2)
        try await scheduler.start()
        // 100 ms for the second token at 10/s, then the pause.
        #expect(clock.sleeps == [.milliseconds(100), .seconds(3)])
    }

    @Test func withoutACapTheWindowStartsAtTwoAndGrowsByOnePerAnswer() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 16), clock: clock.clock)
        #expect(scheduler.rate == nil)
        #expect(scheduler.inFlightLimit == 2)
        try await scheduler.start()
        try await scheduler.start()
        // A third waits for a slot: two are in flight.
        let third = Task { try await scheduler.start() }
        while scheduler.waitingCount == 0 { await Task.yield() }
        // One answer frees a slot and widens the window: the waiter starts,
        // and a fourth request starts at once.
        scheduler.finished(.answered)
        try await third.value
        #expect(scheduler.inFlightLimit == 3)
        try await scheduler.start()
        #expect(scheduler.waitingCount == 0)
        for _ in 0..<3 { scheduler.finished(.answered) }
        #expect(scheduler.inFlightLimit == 6)
        // Growth stops at maxInFlight; nothing ever waited on the clock.
        try await answerInTurn(scheduler, 40)
        #expect(scheduler.inFlightLimit == 16)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func sequentialRequestsNeverWaitDuringSlowStart() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 16), clock: clock.clock)
        try await answerInTurn(scheduler, 5, clock: clock, after: .milliseconds(10))
        #expect(clock.sleeps.isEmpty)
    }

    @Test func theFirst429EndsSlowStartAtHalfTheRateItReached() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 64), clock: clock.clock)
        // 10 answered within a second, then an 11th draws a 429.
        try await answerInTurn(scheduler, 10, clock: clock, after: .milliseconds(50))
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: nil))
        // 11 requests started in the last second: the rate becomes half of that...
        #expect(scheduler.rate == 5.5)
        #expect(scheduler.inFlightLimit == 64)
        // ...and answers no longer widen a window or double anything.
        try await scheduler.start()
        scheduler.finished(.answered)
        #expect((scheduler.rate ?? 0) < 5.5 * 1.1)
    }

    @Test func theRateClimbsBackFastToJustUnderTheGrantedRateThenProbesSlowly() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1, maxRPS: 20), clock: clock.clock)
        // Two seconds at 20/s, all answered: the server granted 20/s.
        try await answerInTurn(scheduler, 40)
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: .seconds(1)))
        #expect(scheduler.rate == 10)
        try await answerInTurn(scheduler, 60)
        // Most of the way back to 95% of the granted rate...
        let recovered = scheduler.rate ?? 0
        #expect(recovered > 18.5 && recovered <= 19)
        try await answerInTurn(scheduler, 60)
        // ...then above it only slowly.
        #expect((scheduler.rate ?? 0) < 19.5)
    }

    @Test func theCeilingCountsOnlyTheTimeSinceThePauseEnded() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1, maxRPS: 20), clock: clock.clock)
        try await answerInTurn(scheduler, 40)
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: .seconds(1)))
        #expect(scheduler.ceiling == 20)
        // After the 1 s pause, 10 answers at the recovering rate, then a 429.
        let pauseEnds = clock.now + .seconds(1)
        try await answerInTurn(scheduler, 10)
        let rate = try #require(scheduler.rate)
        try await scheduler.start()
        let elapsed = (clock.now - pauseEnds).inSeconds
        scheduler.finished(.rateLimited(retryAfter: .seconds(1)))
        // The answers over the time since the pause: counting the paused
        // second too would have put it near 10 / (1 + elapsed).
        let ceiling = try #require(scheduler.ceiling)
        #expect(abs(ceiling - min(rate, 10 / elapsed)) < 0.5, "ceiling \(ceiling), rate \(rate), \(elapsed) s")
        #expect(ceiling > 10 / (1 + elapsed) + 2)
    }

    @Test func slotsBoundRequestsInFlight() async throws {
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1), clock: ManualClock().clock)
        try await scheduler.start()
        let started = Mutex(false)
        let second = Task {
            try await scheduler.start()
            started.withLock { $0 = true }
        }
        // The second request queues for the one slot, and stays queued.
        while scheduler.waitingCount == 0 { await Task.yield() }
        for _ in 0..<100 { await Task.yield() }
        #expect(!started.withLock { $0 }, "a second request started while the only slot was taken")
        #expect(scheduler.waitingCount == 1)
        // Freeing the slot lets it start.
        scheduler.finished(.answered)
        try await second.value
        #expect(started.withLock { $0 })
        #expect(scheduler.waitingCount == 0)
        scheduler.finished(.answered)
    }
}

/// Runs `count` requests one after another, each answered `after` it started.
private func answerInTurn(
    _ scheduler: RequestScheduler, _ count: Int, clock: ManualClock? = nil, after: Duration = .zero
) async throws {
    for _ in 0..<count {
        try await scheduler.start()
        clock?.advance(by: after)
        scheduler.finished(.answered)
    }
}

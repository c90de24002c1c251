import PoolctlAPI
import PoolctlModel
import Testing
@testable import PoolctlAPIHTTP

/// The shared scheduler on a manual clock: its waits are recorded, never slept.
@Suite struct RequestSchedulerTests {
    @Test func aCapSpacesRequestsEvenly() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 4, maxRPS: 2), clock: clock.clock)
        for _ in 0..<4 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
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

    @Test func withoutACapTheFirst429SetsHalfTheObservedRate() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 64), clock: clock.clock)
        for _ in 0..<20 { try await scheduler.start() }
        #expect(clock.sleeps.isEmpty)
        #expect(scheduler.rate == nil)
        scheduler.finished(.rateLimited(retryAfter: nil))
        #expect(scheduler.rate == 10)
    }

    @Test func theRateClimbsBackFastToJustUnderTheCeilingThenProbesSlowly() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1, maxRPS: 100), clock: clock.clock)
        // Say the limit is 20/s: a 429 at 20 halves to 10.
        for _ in 0..<80 {
            try await scheduler.start()
            scheduler.finished(.answered)
            if clock.now > .seconds(10) { break }
        }
        let before = scheduler.rate ?? 0
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: .seconds(1)))
        #expect(scheduler.rate == before / 2)
        for _ in 0..<60 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
        let recovered = scheduler.rate ?? 0
        // Most of the way back to 90% of the rate that drew the 429...
        #expect(recovered > before * 0.8 && recovered < before * 0.9)
        for _ in 0..<60 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
        // ...then above it only slowly.
        #expect((scheduler.rate ?? 0) < before * 1.05)
    }

    @Test func slotsBoundRequestsInFlight() async throws {
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1), clock: ManualClock().clock)
        try await scheduler.start()
        async let second: Void = scheduler.start()
        // The second start can only return once the first slot is freed.
        scheduler.finished(.answered)
        try await second
        scheduler.finished(.answered)
    }
}

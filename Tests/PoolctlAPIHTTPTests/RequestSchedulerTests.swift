import Foundation
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

    @Test func withoutACapTheRateStartsSlowGrowsFastAndHalvesOnTheFirst429() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 64), clock: clock.clock)
        #expect(scheduler.rate == 10)
        for _ in 0..<10 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
        // 10% more per answer: 10 * 1.1^10.
        let grown = try #require(scheduler.rate)
        #expect(abs(grown - 10 * pow(1.1, 10)) < 0.001)
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: nil))
        #expect(scheduler.rate == grown / 2)
        // No more slow start: answers no longer grow the rate by 10%.
        try await scheduler.start()
        scheduler.finished(.answered)
        #expect((scheduler.rate ?? 0) < grown / 2 * 1.1)
    }

    @Test func theRateClimbsBackFastToJustUnderTheGrantedRateThenProbesSlowly() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1, maxRPS: 20), clock: clock.clock)
        // Two seconds at 20/s, all answered: the server granted 20/s.
        for _ in 0..<40 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: .seconds(1)))
        #expect(scheduler.rate == 10)
        for _ in 0..<60 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
        // Most of the way back to 95% of the granted rate...
        let recovered = scheduler.rate ?? 0
        #expect(recovered > 18.5 && recovered <= 19)
        for _ in 0..<60 {
            try await scheduler.start()
            scheduler.finished(.answered)
        }
        // ...then above it only slowly.
        #expect((scheduler.rate ?? 0) < 19.5)
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

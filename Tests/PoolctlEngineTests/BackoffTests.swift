import PoolctlModel
import Testing

@testable import PoolctlEngine

@Suite struct BackoffTests {
    @Test func waitsDoubleUpToTheCap() {
        var waits = Backoff(initial: .milliseconds(250), cap: .seconds(1)).waits()
        let seen = (0..<5).map { _ in waits.next() }
        #expect(seen == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(1), .seconds(1)])
    }

    @Test func ceilingMatchesTheWaitsInOrder() {
        let backoff = Backoff(initial: .milliseconds(500), cap: .seconds(10))
        var waits = backoff.waits()
        for retry in 0..<8 {
            #expect(backoff.ceiling(forRetry: retry) == waits.next(), "retry \(retry)")
        }
        #expect(backoff.ceiling(forRetry: 1_000) == .seconds(10))
    }

    @Test func anInitialAboveTheCapStartsAtTheCap() {
        var waits = Backoff(initial: .seconds(3), cap: .seconds(1)).waits()
        #expect(waits.next() == .seconds(1))
        #expect(waits.next() == .seconds(1))
    }

    @Test func fullJitterScalesTheWaitByRandom() {
        let backoff = Backoff(initial: .seconds(2), cap: .seconds(8), jitter: .full)
        #expect(backoff.delay(forRetry: 1, random: 0.25) == .seconds(1))
        #expect(backoff.delay(forRetry: 0, random: 0) == .zero)
        // Out-of-range randoms are clamped, never negative or above the ceiling.
        #expect(backoff.delay(forRetry: 0, random: -3) == .zero)
        #expect(backoff.delay(forRetry: 0, random: 7) == .seconds(2))
    }

    @Test func aroundJitterSpreadsHalfEitherWay() {
        var waits = Backoff(initial: .seconds(4), cap: .seconds(16), jitter: .around).waits()
        #expect(waits.next(random: 0) == .seconds(2))
        #expect(waits.next(random: 0.5) == .seconds(8))
        #expect(waits.scheduled == .seconds(16))
    }
}

@Suite struct BoundedTasksTests {
    /// Counts tasks running at once, to show the limit holds.
    actor Gauge {
        var running = 0
        var peak = 0
        func enter() {
            running += 1
            peak = max(peak, running)
        }
        func leave() { running -= 1 }
    }

    @Test func neverRunsMoreThanTheLimitAndRunsEveryItem() async {
        let gauge = Gauge()
        let outputs = await BoundedTasks.run(Array(0..<40), limit: 3) { item in
            await gauge.enter()
            await Task.yield()
            await gauge.leave()
            return item * 2
        }
        #expect(outputs.sorted() == (0..<40).map { $0 * 2 })
        #expect(await gauge.peak <= 3)
        #expect(await gauge.peak >= 1)
    }

    @Test func receiveReturningFalseStartsNothingMore() async throws {
        let started = Gauge()
        var received = 0
        try await BoundedTasks.run(Array(0..<50), limit: 2) { item in
            await started.enter()
            return item
        } receive: { _ in
            received += 1
            return false
        }
        // The first two were started before any answer; nothing after the first answer.
        #expect(await started.running == 2)
        #expect(received == 2)
    }

    @Test func anErrorFromReceiveEndsTheRun() async {
        struct Stop: Error {}
        var received = 0
        await #expect(throws: Stop.self) {
            try await BoundedTasks.run(Array(0..<10), limit: 1) { item in
                item
            } receive: { outcome in
                received += 1
                if try outcome.get() == 3 { throw Stop() }
                return true
            }
        }
        #expect(received == 4)
    }

    @Test func workErrorsReachReceive() async throws {
        struct Failed: Error {}
        var failures = 0
        var successes = 0
        try await BoundedTasks.run(Array(0..<6), limit: 4) { item in
            if item.isMultiple(of: 2) { throw Failed() }
            return item
        } receive: { outcome in
            if case .failure = outcome { failures += 1 } else { successes += 1 }
            return true
        }
        #expect(failures == 3)
        #expect(successes == 3)
    }
}

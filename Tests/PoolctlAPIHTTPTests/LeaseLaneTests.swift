import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPIHTTP

/// The stack lease's own lane, and the cap on `Retry-After`.
@Suite struct LeaseLaneTests {
    @Test func aLeaseRequestDoesNotQueueBehindTheApplysRequests() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 1, maxRPS: 1000), clock: clock.clock)
        try await scheduler.start()
        // A second normal request waits for the only slot...
        let order = Mutex<[String]>([])
        let queued = Task {
            try await scheduler.start()
            order.withLock { $0.append("normal") }
            scheduler.finished(.answered)
        }
        // ...a lease request does not: it takes a slot beyond the limit.
        try await RequestLane.$current.withValue(.lease) {
            try await scheduler.start(lane: RequestLane.current)
        }
        order.withLock { $0.append("lease") }
        scheduler.finished(.answered, lane: .lease)
        #expect(order.withLock { $0 } == ["lease"])
        // Its slot was extra, so freeing it did not hand a slot on; the first request's does.
        scheduler.finished(.answered)
        try await queued.value
        #expect(order.withLock { $0 } == ["lease", "normal"])
    }

    @Test func aLeaseRequestBorrowsATokenButStillWaitsOutA429Pause() async throws {
        let clock = ManualClock()
        let scheduler = RequestScheduler(settings: .init(maxInFlight: 4, maxRPS: 1), clock: clock.clock)
        try await scheduler.start()
        scheduler.finished(.answered)
        // The bucket is empty: a normal request would wait 1 s; the lease goes now, once.
        try await scheduler.start(lane: .lease)
        scheduler.finished(.answered, lane: .lease)
        #expect(clock.sleeps == [])
        // The borrowed token is paid back: the next normal request waits 2 s, so the rate holds.
        try await scheduler.start()
        scheduler.finished(.rateLimited(retryAfter: .seconds(5)))
        #expect(clock.sleeps == [.seconds(2)])
        // A 429 pause holds the lease lane too.
        try await scheduler.start(lane: .lease)
        scheduler.finished(.answered, lane: .lease)
        #expect(clock.sleeps.dropFirst().first == .seconds(5))
    }

    @Test func retryAfterIsCappedAndTheWaitCountsAgainstTheCallDeadline() async throws {
        let list = #"{"senderPools":[],"pagination":{"current":"p0"}}"#
        let h = try Harness([
            .respond(429, headers: [(name: "Retry-After", value: "999999999")], body: ""),
            .respond(200, body: list),
        ]) { $0.maxRetryAfter = .seconds(60) }
        _ = try await h.api.listSenderPools(SenderPoolQuery())
        // 10^9 s asked for, 60 s waited.
        #expect(h.clock.sleeps == [.seconds(60)])

        // A capped wait still longer than what is left of the call's deadline fails the call at once.
        let short = try Harness([.respond(429, headers: [(name: "Retry-After", value: "999999999")], body: "")]) {
            $0.maxRetryAfter = .seconds(60)
            $0.callDeadline = .seconds(30)
        }
        let error = try #require(await apiError { _ = try await short.api.listSenderPools(SenderPoolQuery()) })
        #expect(error.kind == .deadlineExceeded)
        #expect(error.message.contains("next try would wait 60.0 s"))
        #expect(short.clock.sleeps.isEmpty)
    }
}

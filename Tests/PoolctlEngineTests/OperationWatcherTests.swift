import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPI
@testable import PoolctlEngine

private let pool = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let op1 = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v01"
private let op2 = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v02"
private let op3 = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v03"

private func operation(_ id: String, _ status: OperationStatus) -> SenderPoolOperation {
    SenderPoolOperation(
        id: id, status: status, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "", updatedAt: "")
}

/// One poller for every open operation of an apply.
@Suite struct OperationWatcherTests {
    @Test func oneListingServesEveryOperationAndOnlyWhatItCannotShowIsFetchedAlone() async throws {
        let api = ScriptedAPI([
            // Round 1: the listing shows op1 done and op2 running; op3 (an Add
            // Senders operation served only at its nested location) is missing.
            (.listOperations, .operations([operation(op1, .completed), operation(op2, .processing)])),
            (.fetchPoolSendersOperation(pool, op3), .operation(operation(op3, .scheduled))),
            // Round 2: both left are done; the listing still cannot show op3.
            (.listOperations, .operations([operation(op1, .completed), operation(op2, .completed)])),
            (.fetchPoolSendersOperation(pool, op3), .operation(operation(op3, .completed))),
        ])
        // Every sleep parks until the test moves time: all three are registered first.
        let clock = ManualClock(autoAdvanceBelow: .nanoseconds(1))
        let polls = Mutex<[OperationPoll]>([])
        let watcher = OperationWatcher(
            api: api, clock: clock.clock, since: "2025-01-01T00:00:00Z", observe: { poll in polls.withLock { $0.append(poll) } })
        let deadline = Duration.seconds(60)
        async let first = watcher.wait(for: OperationReference(id: op1), key: "a", deadline: deadline)
        async let second = watcher.wait(for: OperationReference(id: op2), key: "b", deadline: deadline)
        async let third = watcher.wait(
            for: OperationReference(id: op3, location: "/v1/SenderPools/\(pool)/Senders/Operations/\(op3)", poolID: pool),
            key: "c", deadline: deadline)
        while await watcher.pending < 3 { await Task.yield() }
        #expect(await clock.parked() == .milliseconds(250))
        clock.advance(by: .milliseconds(250))
        #expect(await clock.parked() == .milliseconds(500))
        clock.advance(by: .milliseconds(500))
        let results = try await [first, second, third]
        #expect(results.map(\.operation.status) == [.completed, .completed, .completed])
        #expect(results.map(\.polls) == [1, 2, 2])
        #expect(await watcher.rounds == 2)
        #expect(await watcher.singleFetches == 2)
        #expect(api.unanswered == 0)
        // Every poll is reported (for `--log-format ndjson`), with how it was seen;
        // op1, done in round 1, is not reported again from round 2's listing.
        let seen = polls.withLock { $0 }.map { [$0.operationID, $0.key, $0.poolID ?? "-", $0.status, $0.via.rawValue] }
        #expect(
            Set(seen) == [
                [op1, "a", "-", "COMPLETED", "listing"], [op2, "b", "-", "PROCESSING", "listing"],
                [op3, "c", pool, "SCHEDULED", "fetch"], [op2, "b", "-", "COMPLETED", "listing"],
                [op3, "c", pool, "COMPLETED", "fetch"],
            ])
        #expect(seen.count == 5)
    }

    @Test func theFirstPollWaitsAsLongAsThisRunsOperationsHaveTaken() async throws {
        let api = ScriptedAPI([
            (.listOperations, .operations([operation(op1, .processing)])),
            (.listOperations, .operations([operation(op1, .completed)])),
            (.listOperations, .operations([operation(op1, .completed), operation(op2, .completed)])),
        ])
        let clock = ManualClock()
        let watcher = OperationWatcher(api: api, clock: clock.clock, since: "2025-01-01T00:00:00Z")
        _ = try await watcher.wait(for: OperationReference(id: op1), key: "a", deadline: .seconds(60))
        // 250 ms before anything finished, then the wait doubles: op1 took 750 ms.
        #expect(clock.sleeps == [.milliseconds(250), .milliseconds(500)])
        _ = try await watcher.wait(for: OperationReference(id: op2), key: "b", deadline: .seconds(60))
        #expect(clock.sleeps.last == .milliseconds(750))
        #expect(api.unanswered == 0)
    }

    @Test func aListingThatIgnoresStartDateIsNoticedAndOperationsAreFetchedByID() async throws {
        // The API ignores startDate: an operation from last year comes back.
        let old = SenderPoolOperation(
            id: op3, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0),
            createdAt: "2024-03-01T00:00:00Z", updatedAt: "2024-03-01T00:00:00Z")
        let api = ScriptedAPI([
            (.listOperations, .operations([operation(op1, .processing), old])),
            // From then on: no listing, only this run's operation by id.
            (.fetchOperation(op1), .operation(operation(op1, .processing))),
            (.fetchOperation(op1), .operation(operation(op1, .completed))),
        ])
        let watcher = OperationWatcher(api: api, clock: ManualClock().clock, since: "2025-01-01T00:00:00Z")
        let result = try await watcher.wait(for: OperationReference(id: op1), key: "a", deadline: .seconds(60))
        #expect(result.operation.status == .completed)
        #expect(await watcher.filterIgnored)
        #expect(await watcher.rounds == 3)
        #expect(await watcher.singleFetches == 2)
        #expect(api.unanswered == 0)
    }

    @Test func aListingThatHonoursStartDateKeepsServingThePolls() async throws {
        let recent = SenderPoolOperation(
            id: op3, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0),
            createdAt: "2025-01-01T00:00:01Z", updatedAt: "2025-01-01T00:00:01Z")
        let api = ScriptedAPI([
            (.listOperations, .operations([operation(op1, .processing), recent])),
            (.listOperations, .operations([operation(op1, .completed), recent])),
        ])
        let watcher = OperationWatcher(api: api, clock: ManualClock().clock, since: "2025-01-01T00:00:00Z")
        _ = try await watcher.wait(for: OperationReference(id: op1), key: "a", deadline: .seconds(60))
        #expect(await !watcher.filterIgnored)
        #expect(await watcher.singleFetches == 0)
        #expect(api.unanswered == 0)
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEngine

private let leaseA = "comms_senderpool_0aaaaaaaaaaaaaaaaaaaaaaaaa"
private let leaseA2 = "comms_senderpool_0aaaaaaaaaaaaaaaaaaaaaaaa2"
private let leaseB = "comms_senderpool_0bbbbbbbbbbbbbbbbbbbbbbbbb"
private let staleID = "comms_senderpool_0ccccccccccccccccccccccccc"
private let ownedPool = "comms_senderpool_0ddddddddddddddddddddddddd"
private let op1 = "comms_operation_0aaaaaaaaaaaaaaaaaaaaaaaaa"
private let op2 = "comms_operation_0aaaaaaaaaaaaaaaaaaaaaaaa2"

private let hostA = LeaseHolder(id: "runner-a.101", host: "runner-a")
private let hostB = LeaseHolder(id: "runner-b.202", host: "runner-b", ciRun: "77")
private let nameA = "poolctl lease: web (runner-a)"
private let nameB = "poolctl lease: web (runner-b, CI run 77)"

private func date(_ text: String) -> Date { WireTime.parseRFC3339(text)! }

private func lease(
    _ id: String, holder: String, stack: String = "web", ttl: Int = 120,
    createdAt: String = "2025-03-01T12:00:00Z", updatedAt: String? = nil, name: String? = nil
) -> SenderPool {
    SenderPool(
        id: id, name: name ?? "poolctl lease: \(stack) (\(holder.prefix { $0 != "." }))",
        tags: ["poolctl-lease": "v1~\(stack)~\(holder)~\(ttl)"],
        createdAt: createdAt, updatedAt: updatedAt ?? createdAt)
}

private let ownA = lease(leaseA, holder: "runner-a.101")
private let ownB = lease(leaseB, holder: "runner-b.202", createdAt: "2025-03-01T11:59:30Z", name: nameB)

private func completed(_ id: String) -> SenderPoolOperation {
    SenderPoolOperation(
        id: id, status: .completed, stats: OperationStats(total: 0, queued: 0, created: 0, failed: 0), createdAt: "", updatedAt: "")
}

/// Create, one poll, find by operationId: the start of every attempt.
private func created(_ name: String, op: String, pool: SenderPool) -> [(ScriptedAPI.Call, ScriptedAPI.Answer)] {
    [
        (.createSenderPool(name: name, senders: 0), .operationAccepted(op)),
        (.fetchOperation(op), .operation(completed(op))),
        (.listSenderPools(operationId: op), .pools([pool])),
    ]
}

private func locker(_ api: ScriptedAPI, _ clock: ManualClock, _ events: LeaseEvents = LeaseEvents()) -> StackLease {
    StackLease(api: api, clock: clock.clock, random: { 0.5 }, report: events.report)
}

private func stackLocked(_ body: () async throws -> Void) async -> StackLocked? {
    do {
        try await body()
    } catch let locked as StackLocked {
        return locked
    } catch {
        Issue.record("expected StackLocked, got \(error)")
    }
    return nil
}

private func isWrite(_ call: ScriptedAPI.Call) -> Bool {
    switch call {
    case .createSenderPool, .updateSenderPool, .deleteSenderPool, .addSenders, .removeSender: true
    default: false
    }
}

@Suite struct StackLeaseTests {
    @Test func twoContendersThatSeeEachOtherBothBackOff() async throws {
        let apiA = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownB, ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let apiB = ScriptedAPI(
            created(nameB, op: op2, pool: ownB) + [
                (.listSenderPools(operationId: nil), .pools([ownB, ownA])),
                (.fetchSenderPool(leaseB), .pool(ownB)),
                (.deleteSenderPool(leaseB), .resourceAccepted(leaseB)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        async let lockedA = stackLocked { _ = try await locker(apiA, clock).acquire(stack: "web", holder: hostA) }
        async let lockedB = stackLocked { _ = try await locker(apiB, clock).acquire(stack: "web", holder: hostB) }
        let (a, b) = await (lockedA, lockedB)
        #expect(a?.holder == "runner-b.202")
        #expect(b?.holder == "runner-a.101")
        // Each wrote only its own lease and deleted it again.
        #expect(apiA.calls.filter(isWrite) == [.createSenderPool(name: nameA, senders: 0), .deleteSenderPool(leaseA)])
        #expect(apiB.calls.filter(isWrite) == [.createSenderPool(name: nameB, senders: 0), .deleteSenderPool(leaseB)])
        #expect(apiA.unanswered == 0 && apiB.unanswered == 0)
    }

    @Test func onlyTheContenderThatSeesTheOtherYields() async throws {
        let apiA = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownB, ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        // B's listing does not show A yet: B proceeds.
        let apiB = ScriptedAPI(
            created(nameB, op: op2, pool: ownB) + [
                (.listSenderPools(operationId: nil), .pools([ownB])),
                (.fetchSenderPool(leaseB), .pool(ownB)),
                (.deleteSenderPool(leaseB), .resourceAccepted(leaseB)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let locked = await stackLocked { _ = try await locker(apiA, clock).acquire(stack: "web", holder: hostA) }
        #expect(locked?.poolID == leaseB)

        let held = try await locker(apiB, clock).acquire(stack: "web", holder: hostB)
        #expect(held.poolID == leaseB)
        try held.ensureHeld()
        try await held.release()
        #expect(apiB.calls.filter(isWrite) == [.createSenderPool(name: nameB, senders: 0), .deleteSenderPool(leaseB)])
        #expect(apiB.createRequests.first?.tags == ["poolctl-lease": "v1~web~runner-b.202~120"])
        #expect(apiA.unanswered == 0 && apiB.unanswered == 0)
    }

    @Test func lockTimeoutZeroFailsAtOnceNamingTheHolderSinceAndExpiry() async throws {
        let other = lease(leaseB, holder: "runner-b.202", ttl: 300, createdAt: "2025-03-01T11:40:00Z", updatedAt: "2025-03-01T11:59:00Z")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA, other])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let locked = await stackLocked { _ = try await locker(api, clock).acquire(stack: "web", holder: hostA) }
        #expect(
            locked
                == StackLocked(
                    stack: "web", holder: "runner-b.202", poolID: leaseB,
                    since: date("2025-03-01T11:40:00Z"), expiresAt: date("2025-03-01T12:04:00Z")))
        #expect(
            locked?.description
                == "the stack is locked by runner-b.202 since 2025-03-01T11:40:00Z; the lease expires at 2025-03-01T12:04:00Z")
        // Only the create's poll waited: no backoff.
        #expect(clock.sleeps == [.milliseconds(100)])
        #expect(locked?.waited == nil)
        #expect(api.unanswered == 0)
    }

    @Test func lockTimeoutRetriesWithBackoffUntilTheOtherLeaseIsGone() async throws {
        let ownA2 = lease(leaseA2, holder: "runner-a.101", createdAt: "2025-03-01T12:00:02Z")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownB, ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ] + created(nameA, op: op2, pool: ownA2) + [
                (.listSenderPools(operationId: nil), .pools([ownA2])),
                (.fetchSenderPool(leaseA2), .pool(ownA2)),
                (.deleteSenderPool(leaseA2), .resourceAccepted(leaseA2)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let events = LeaseEvents()
        let lock = StackLease(api: api, clock: clock.clock, random: { 0.9 }, report: events.report)
        let held = try await lock.acquire(stack: "web", holder: hostA, lockTimeout: .seconds(60))
        #expect(held.poolID == leaseA2)
        // Poll, backoff of 1 s jittered by 0.5 + 0.9, poll.
        #expect(clock.sleeps == [.milliseconds(100), .milliseconds(1400), .milliseconds(100)])
        guard case .waiting(let blocker, let wait)? = events.all.first else {
            Issue.record("no waiting event: \(events.all)")
            return
        }
        #expect(blocker.holder == "runner-b.202" && wait == .milliseconds(1400))
        try await held.release()
        #expect(
            lock.calls.calls == [.createSenderPool: 2, .fetchOperation: 2, .listSenderPools: 4, .fetchSenderPool: 2, .deleteSenderPool: 2])
        #expect(api.unanswered == 0)
    }

    /// Locked after waiting: the error says how long, so that exit 5's
    /// advice is not "pass --lock-timeout" to a run that passed it.
    @Test func aLeaseStillHeldAfterTheLockTimeoutSaysHowLongItWaited() async throws {
        let ownA2 = lease(leaseA2, holder: "runner-a.101", createdAt: "2025-03-01T12:00:02Z")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownB, ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ] + created(nameA, op: op2, pool: ownA2) + [
                (.listSenderPools(operationId: nil), .pools([ownB, ownA2])),
                (.fetchSenderPool(leaseA2), .pool(ownA2)),
                (.deleteSenderPool(leaseA2), .resourceAccepted(leaseA2)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let lock = StackLease(api: api, clock: clock.clock, random: { 0.9 })
        let locked = await stackLocked { _ = try await lock.acquire(stack: "web", holder: hostA, lockTimeout: .seconds(1)) }
        #expect(locked?.holder == "runner-b.202")
        #expect(locked?.waited == .seconds(1))
        #expect(api.unanswered == 0)
    }

    @Test func aListingThatLagsOurLeaseIsReadAgainAfterGrowingWaits() async throws {
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([])),
                (.listSenderPools(operationId: nil), .pools([])),
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let held = try await locker(api, clock).acquire(stack: "web", holder: hostA)
        #expect(held.poolID == leaseA)
        // The create's poll, then the lease backoff's first two waits (unjittered).
        #expect(clock.sleeps == [.milliseconds(100), .milliseconds(400), .milliseconds(800)])
        try await held.release()
        #expect(api.unanswered == 0)
    }

    @Test func aStaleLeaseIsDeletedAndAcquisitionProceeds() async throws {
        // Expired at 11:52; our own lease says the server's time is 12:00.
        let stale = lease(staleID, holder: "dead-host.9", createdAt: "2025-03-01T11:00:00Z", updatedAt: "2025-03-01T11:50:00Z")
        let otherStack = lease(leaseB, holder: "runner-b.202", stack: "other")
        let owned = SenderPool(
            id: ownedPool, name: "web pool", tags: ["poolctl": "v1~web~a"], createdAt: "2025-03-01T11:00:00Z",
            updatedAt: "2025-03-01T11:00:00Z")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([stale, otherStack, owned, ownA])),
                // A lease in every respect: no senders, and still stale when read again.
                (.listPoolSenders(staleID), .senders([])),
                (.fetchSenderPool(staleID), .pool(stale)),
                (.deleteSenderPool(staleID), .resourceAccepted(staleID)),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let events = LeaseEvents()
        let held = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30)), events).acquire(stack: "web", holder: hostA)
        #expect(held.staleDeleted.map(\.poolID) == [staleID])
        #expect(
            events.all.map(\.description) == [
                "deleted a stale lease of stack 'web' held by dead-host.9 (\(staleID)); it expired at 2025-03-01T11:52:00Z"
            ])
        try await held.release()
        #expect(api.unanswered == 0)
    }

    /// A stale lease that reads 404 just before our delete was removed by
    /// someone else: it no longer blocks us, and it is not reported as
    /// deleted by us. One that reads 404 when our DELETE, of unknown
    /// outcome, is retried was most likely removed by that DELETE: reported.
    @Test(arguments: [false, true])
    func aStaleLeaseFoundGoneIsReportedOnlyAfterOurDelete(ourDeleteWentOut: Bool) async throws {
        let stale = lease(staleID, holder: "dead-host.9", createdAt: "2025-03-01T11:00:00Z", updatedAt: "2025-03-01T11:50:00Z")
        let unknown = APIError(kind: .outcomeUnknown, method: "DELETE", path: "/v1/SenderPools/\(staleID)", status: 503, message: "reset")
        let delete: [(ScriptedAPI.Call, ScriptedAPI.Answer)] =
            ourDeleteWentOut ? [(.fetchSenderPool(staleID), .pool(stale)), (.deleteSenderPool(staleID), .error(unknown))] : []
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([stale, ownA])),
                (.listPoolSenders(staleID), .senders([])),
            ] + delete + [
                (.fetchSenderPool(staleID), .error(.http(404, "not found"))),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let events = LeaseEvents()
        let held = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30)), events).acquire(stack: "web", holder: hostA)
        #expect(held.staleDeleted.map(\.poolID) == (ourDeleteWentOut ? [staleID] : []))
        #expect(events.all == (ourDeleteWentOut ? [.staleLeaseDeleted(try #require(LeaseInfo(pool: stale)))] : []))
        try await held.release()
        #expect(api.unanswered == 0)
    }

    @Test func theServersDateDecidesStalenessNotOurOwnLease() async throws {
        // Live by our own lease's updatedAt (12:00 < 12:01), stale by the server's Date (12:05).
        let other = lease(leaseB, holder: "runner-b.202", createdAt: "2025-03-01T11:59:00Z")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([other, ownA])),
                (.listPoolSenders(leaseB), .senders([])),
                (.fetchSenderPool(leaseB), .pool(other)),
                (.deleteSenderPool(leaseB), .resourceAccepted(leaseB)),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        api.setServerTime(date("2025-03-01T12:05:00Z"))
        let held = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30))).acquire(stack: "web", holder: hostA)
        #expect(held.staleDeleted.map(\.poolID) == [leaseB])
        try await held.release()
        #expect(api.unanswered == 0)
    }

    @Test func renewalPatchesEveryThirdOfTheTTL() async throws {
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.updateSenderPool(leaseA), .resourceAccepted(leaseA)),
                (.updateSenderPool(leaseA), .resourceAccepted(leaseA)),
                (.updateSenderPool(leaseA), .resourceAccepted(leaseA)),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let held = try await locker(api, clock).acquire(stack: "web", holder: hostA, ttl: .seconds(120))
        // Acquiring took 0.1 s (one poll): the first renewal is due 40 s after the create.
        #expect(await clock.parked() == .seconds(40) - .milliseconds(100))
        #expect(api.updateRequests.isEmpty)
        clock.advance(by: .seconds(40) - .milliseconds(100))
        #expect(await clock.parked() == .seconds(40))
        // Each renewal sets a new count, so the PATCH changes the pool even where an identical one would not.
        #expect(
            api.updateRequests == [
                UpdateSenderPoolRequest(name: nameA, tags: ["poolctl-lease": "v1~web~runner-a.101~120", "poolctl-lease-renewal": "1"])
            ])
        clock.advance(by: .seconds(40))
        #expect(await clock.parked() == .seconds(40))
        #expect(api.updateRequests.map { $0.tags?["poolctl-lease-renewal"] } == ["1", "2"])
        clock.advance(by: .seconds(40))
        #expect(await clock.parked() == .seconds(40))
        clock.advance(by: .seconds(1))
        // Past the TTL since the create: held only because the renewals moved it on.
        #expect(clock.now > .seconds(120))
        try held.ensureHeld()
        try await held.release()
        #expect(api.calls.filter(isWrite).count == 5)
        #expect(api.unanswered == 0)
    }

    /// At a short TTL, acquisition (waiting on the lease's own create) takes
    /// a good part of it: the first renewal is due TTL/3 after the create was
    /// sent, or writes stop before it ever runs.
    @Test func theFirstRenewalIsDueAThirdOfTheTTLAfterTheCreateNotAfterAcquiring() async throws {
        let running = SenderPoolOperation(
            id: op1, status: .processing, stats: OperationStats(total: 0, queued: 0, created: 0, failed: 0), createdAt: "", updatedAt: "")
        let ttl30 = lease(leaseA, holder: "runner-a.101", ttl: 30)
        let api = ScriptedAPI(
            [(.createSenderPool(name: nameA, senders: 0), .operationAccepted(op1))]
                + Array(repeating: (ScriptedAPI.Call.fetchOperation(op1), ScriptedAPI.Answer.operation(running)), count: 4) + [
                    (.fetchOperation(op1), .operation(completed(op1))),
                    (.listSenderPools(operationId: op1), .pools([ttl30])),
                    (.listSenderPools(operationId: nil), .pools([ttl30])),
                    (.updateSenderPool(leaseA), .resourceAccepted(leaseA)),
                ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(2))
        let held = try await locker(api, clock).acquire(stack: "web", holder: hostA, ttl: .seconds(30))
        // Polls after 0.1, 0.3, 0.7, 1.5 and 2.5 s: the create was sent 2.5 s ago.
        #expect(clock.now == .milliseconds(2500))
        #expect(await clock.parked() == .milliseconds(7500))
        clock.advance(by: .milliseconds(7500))
        // Renewed 10 s after the create; the next one TTL/3 later.
        #expect(await clock.parked() == .seconds(10))
        #expect(api.updateRequests.count == 1)
        try held.ensureHeld()
        await held.abandon()
        #expect(api.unanswered == 0)
    }

    @Test func aFailedRenewalIsReportedAndOnlyExpiryStopsTheHolder() async throws {
        let unavailable = APIError.http(503, "unavailable", method: "PATCH", path: "/v1/SenderPools/\(leaseA)")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA]))
            ] + Array(repeating: (ScriptedAPI.Call.updateSenderPool(leaseA), ScriptedAPI.Answer.error(unavailable)), count: 3) + [
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .error(.http(404, "not found"))),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(1))
        let events = LeaseEvents()
        let held = try await locker(api, clock, events).acquire(stack: "web", holder: hostA, ttl: .seconds(120))
        // Held from the create at 0 s (acquired at 0.1 s): renewals at 40 s, then every 20 s after a failure.
        #expect(await clock.parked() == .seconds(40) - .milliseconds(100))
        clock.advance(by: .seconds(40) - .milliseconds(100))
        for _ in 0..<3 {
            #expect(await events.next() == .renewalFailed(error: "\(unavailable)"))
            try held.ensureHeld()
            #expect(await clock.parked() == .seconds(20))
            clock.advance(by: .seconds(20))
        }
        // 100 s after the create with no renewal, past TTL minus its margin
        // (120 - 30 = 90 s): lost, and no PATCH is tried.
        #expect(held.safetyMargin == .seconds(30))
        #expect(await events.next() == .lost(LeaseLost(stack: "web", poolID: leaseA, reason: .expired)))
        #expect(throws: LeaseLost(stack: "web", poolID: leaseA, reason: .expired)) { try held.ensureHeld() }
        // The cause apply's message gives with it.
        #expect(held.renewalFailure == "\(unavailable)")
        // Release still deletes; 404 counts as released.
        try await held.release()
        #expect(api.unanswered == 0)
    }

    @Test func releaseWaitsOutAnOperationStillRunningOnTheLease() async throws {
        let busy = APIError(
            kind: .http, method: "DELETE", path: "/v1/SenderPools/\(leaseA)", status: 409, code: 20409,
            message: "SenderPool has operation in progress")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .error(busy)),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .error(busy)),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let events = LeaseEvents()
        let held = try await locker(api, clock, events).acquire(stack: "web", holder: hostA)
        try await held.release()
        #expect(api.unanswered == 0)
        #expect(events.all.contains(.released(poolID: leaseA)))
        #expect(!events.all.contains { if case .releaseFailed = $0 { true } else { false } })
    }

    @Test func aDeletedLeaseIsLostAtTheNextRenewal() async throws {
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.updateSenderPool(leaseA), .error(.http(404, "not found"))),
            ])
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let events = LeaseEvents()
        let held = try await locker(api, clock, events).acquire(stack: "web", holder: hostA)
        #expect(await clock.parked() == .seconds(40) - .milliseconds(100))
        clock.advance(by: .seconds(40) - .milliseconds(100))
        #expect(await events.next() == .lost(LeaseLost(stack: "web", poolID: leaseA, reason: .deleted)))
        #expect(throws: LeaseLost(stack: "web", poolID: leaseA, reason: .deleted)) { try held.ensureHeld() }
        #expect(api.unanswered == 0)
    }

    @Test func aLeaseReleaseFindsDeletedIsLostNotReleased() async throws {
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.fetchSenderPool(leaseA), .error(.http(404, "not found"))),
            ])
        let events = LeaseEvents()
        let held = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30)), events).acquire(stack: "web", holder: hostA)
        try held.ensureHeld()
        #expect(held.lost == nil)
        try await held.release()
        let lost = LeaseLost(stack: "web", poolID: leaseA, reason: .goneAtRelease)
        #expect(held.lost == lost && held.lostAtRelease == lost)
        #expect(events.all.contains(.lost(lost)))
        #expect(!events.all.contains(.released(poolID: leaseA)))
        // Nothing of ours was deleted: only the lease's own create was written.
        #expect(api.calls.filter(isWrite) == [.createSenderPool(name: nameA, senders: 0)])
        #expect(api.unanswered == 0)
    }

    /// The client's own retry of our DELETE met a 409 (the first try's delete
    /// still running), then the GET reads 404: our delete did it, so the
    /// lease was released, not deleted from under the run.
    @Test func aDeleteWhoseRetryMetA409AndThenWasGoneIsOurs() async throws {
        let busy = APIError(
            kind: .http, method: "DELETE", path: "/v1/SenderPools/\(leaseA)", status: 409, code: 20409,
            message: "SenderPool has operation in progress", attempts: 2)
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .error(busy)),
                (.fetchSenderPool(leaseA), .error(.http(404, "not found"))),
            ])
        let events = LeaseEvents()
        let held = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30)), events).acquire(stack: "web", holder: hostA)
        try await held.release()
        #expect(held.lostAtRelease == nil)
        #expect(events.all.contains(.released(poolID: leaseA)))
        #expect(api.unanswered == 0)
    }

    /// A release that fails (the API gone) after every write is a warning,
    /// not a lost lease: nothing reads it as expired once the run is done.
    @Test func aFailedReleaseIsNotALostLease() async throws {
        let down = APIError(kind: .transport, method: "GET", path: "/v1/SenderPools/\(leaseA)", message: "connection refused")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [(.listSenderPools(operationId: nil), .pools([ownA]))]
                + Array(repeating: (ScriptedAPI.Call.fetchSenderPool(leaseA), ScriptedAPI.Answer.error(down)), count: 40))
        let clock = ManualClock(autoAdvanceBelow: .seconds(30))
        let held = try await locker(api, clock).acquire(stack: "web", holder: hostA)
        await #expect(throws: LeaseReleaseFailed.self) { try await held.release() }
        // Past the lease's write time by now (30 s of tries on a 120 s TTL would not be; so wait it out).
        clock.advance(by: .seconds(200))
        #expect(held.lostAtRelease == nil)
    }

    @Test func theLeaseIsReleasedAfterAnErrorOnceAndOnlyOnce() async throws {
        struct WorkFailed: Error {}
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + [
                (.listSenderPools(operationId: nil), .pools([ownA])),
                (.fetchSenderPool(leaseA), .pool(ownA)),
                (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
            ])
        let held = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30))).acquire(stack: "web", holder: hostA)
        do {
            try held.ensureHeld()
            throw WorkFailed()
        } catch is WorkFailed {
            try await held.release()
        }
        try await held.release()
        #expect(throws: LeaseLost(stack: "web", poolID: leaseA, reason: .released)) { try held.ensureHeld() }
        #expect(api.calls.filter(isWrite) == [.createSenderPool(name: nameA, senders: 0), .deleteSenderPool(leaseA)])
        #expect(api.unanswered == 0)
    }

    @Test func aFailedListingDeletesTheNewLeaseBeforeItThrows() async throws {
        let down = APIError(kind: .transport, method: "GET", path: "/v1/SenderPools", message: "connection refused")
        let api = ScriptedAPI(
            created(nameA, op: op1, pool: ownA) + []
                + Array(repeating: (ScriptedAPI.Call.listSenderPools(operationId: nil), ScriptedAPI.Answer.error(down)), count: 5) + [
                    (.fetchSenderPool(leaseA), .pool(ownA)),
                    (.deleteSenderPool(leaseA), .resourceAccepted(leaseA)),
                ])
        await #expect(throws: down) {
            _ = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30))).acquire(stack: "web", holder: hostA)
        }
        #expect(api.unanswered == 0)
    }

    @Test func unlockDeletesOnlyTheLeasesItShowedAndReasksForARenewedOne() async throws {
        let stale = lease(staleID, holder: "dead-host.9", createdAt: "2025-03-01T11:00:00Z")
        let otherStack = lease(leaseB, holder: "runner-b.202", stack: "other")
        let renewedA = lease(leaseA, holder: "runner-a.101", updatedAt: "2025-03-01T12:01:00Z")
        let api = ScriptedAPI([
            (.listSenderPools(operationId: nil), .pools([ownA, otherStack, stale])),
            (.fetchSenderPool(staleID), .pool(stale)),
            (.listPoolSenders(staleID), .senders([])),
            (.deleteSenderPool(staleID), .resourceAccepted(staleID)),
            // Renewed while the prompt waited: not deleted.
            (.fetchSenderPool(leaseA), .pool(renewedA)),
        ])
        let locks = locker(api, ManualClock(autoAdvanceBelow: .seconds(30)))
        let shown = try await locks.leases(of: "web")
        #expect(shown.map(\.poolID) == [staleID, leaseA])
        let results = try await locks.unlock(shown)
        #expect(results.map(\.1) == [.deleted, .renewed(try #require(LeaseInfo(pool: renewedA)))])
        #expect(api.calls.filter(isWrite) == [.deleteSenderPool(staleID)])
        #expect(api.unanswered == 0)
    }

    @Test func unlockRefusesAPoolWithSenders() async throws {
        let api = ScriptedAPI([
            (.fetchSenderPool(leaseA), .pool(ownA)),
            (.listPoolSenders(leaseA), .senders(["comms_sender_01"])),
        ])
        let results = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30))).unlock([try #require(LeaseInfo(pool: ownA))])
        guard case .refused(let reason)? = results.first?.1 else {
            Issue.record("expected a refusal, got \(results)")
            return
        }
        #expect(reason.contains("holds senders"))
        #expect(api.calls.filter(isWrite).isEmpty)
    }

    /// A pool with a lease tag but not a lease's name is judged as apply's
    /// stale cleanup judges it: not a lease poolctl made, never deleted.
    @Test func unlockRefusesAPoolWithoutALeasesName() async throws {
        let ghost = lease(staleID, holder: "ghost3", createdAt: "2025-03-01T11:00:00Z", name: "not a lease name")
        let api = ScriptedAPI([(.fetchSenderPool(staleID), .pool(ghost))])
        let results = try await locker(api, ManualClock(autoAdvanceBelow: .seconds(30))).unlock([try #require(LeaseInfo(pool: ghost))])
        guard case .refused(let reason)? = results.first?.1 else {
            Issue.record("expected a refusal, got \(results)")
            return
        }
        #expect(
            reason == "\(staleID) is named 'not a lease name', not 'poolctl lease: web (…', so it is not a lease poolctl made; not deleted")
        #expect(api.calls.filter(isWrite).isEmpty)
        #expect(api.unanswered == 0)
    }

    @Test func liveLeasesForPlanNeedNoCall() throws {
        let live = lease(leaseB, holder: "runner-b.202", createdAt: "2025-03-01T11:59:00Z")
        let stale = lease(staleID, holder: "dead-host.9", createdAt: "2025-03-01T11:50:00Z")
        let leases = LeaseInfo.liveLeases(of: "web", in: [stale, live], serverNow: date("2025-03-01T12:00:00Z"))
        #expect(leases.map(\.holder) == ["runner-b.202"])
        // A second of grace: whole-second timestamps never make a live lease look stale.
        let info = try #require(LeaseInfo(pool: live))
        #expect(!info.isStale(serverNow: date("2025-03-01T12:01:00Z")))
        #expect(info.isStale(serverNow: date("2025-03-01T12:01:01Z")))
        #expect(!info.isStale(serverNow: nil))
    }
}

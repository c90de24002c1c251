import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Synchronization
import Testing

private let ownership = "v1~web~a"

/// These scripts test one pool's steps; the batched poll round has its own tests.
private func operation(_ status: OperationStatus, total: Int, created: Int, failed: Int = 0) -> SenderPoolOperation {
    SenderPoolOperation(
        id: opID, status: status,
        stats: OperationStats(total: total, queued: status == .processing ? total : 0, created: created, failed: failed), createdAt: "",
        updatedAt: "")
}

private func pool(tags: [String: String] = ["poolctl": ownership]) -> SenderPool {
    SenderPool(id: poolID, name: "A", tags: tags, createdAt: "", updatedAt: "")
}

private func createPlan(senders: [String]) -> Plan {
    Planner().plan(
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: senders)]),
        live: LiveState(pools: []))
}

/// A create of one sender whose operation COMPLETED at the first poll, then `listings`.
private func completedThenListed(_ listings: [(ScriptedAPI.Call, ScriptedAPI.Answer)]) -> [(ScriptedAPI.Call, ScriptedAPI.Answer)] {
    [
        (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
        (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
    ] + listings
}

/// Accepted writes not listed yet are waited for 8 s (60 s by default).
private let waitingEightSeconds: ApplyOptions = {
    var options = onePollPerOperation
    options.visibilityLimit = .seconds(8)
    return options
}()

@Suite struct ApplierTests {
    @Test func createPollsAndTheVerificationListingFindsThePool() async {
        let api = ScriptedAPI(
            [
                (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
                // Poll first: an API may show the pool only once its operation completes.
                (.fetchOperation(opID), .operation(operation(.processing, total: 1, created: 0))),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                // No lookup of the new id: the verification listing finds it by its
                // ownership tag, and the operation's stats prove its one member.
                (.listSenderPools(operationId: nil), .pools([pool()])),
            ]
                + fingerprintWrite(poolID))
        let clock = ManualClock()
        let report = await Applier(api: api, clock: clock.clock, options: onePollPerOperation).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .converged)
        #expect(report.pools.first?.operations.first?.polls == 2)
        #expect(clock.sleeps == [.milliseconds(250), .milliseconds(500)])
        #expect(api.unanswered == 0)
    }

    /// A create whose operation ended CANCELED fails the pool's writes, and
    /// its progress line says so; the live state still decides the report:
    /// here the pool was made as planned, so it converged, with the status beside it.
    @Test func aCanceledCreateWhosePoolWasMadeIsConvergedAndItsProgressLineDefersToTheReport() async {
        let api = ScriptedAPI(
            [
                (.createSenderPool(name: "A", senders: 0), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.canceled, total: 0, created: 0))),
                // A canceled operation proves nothing: the members are read.
                (.listSenderPools(operationId: nil), .pools([pool()])),
                (.listPoolSenders(poolID), .senders([])),
            ]
                + fingerprintWrite(poolID))
        let events = Mutex<[ApplyEvent]>([])
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation) { event in
            events.withLock { $0.append(event) }
        }.apply(createPlan(senders: []))
        #expect(report.outcome == .converged)
        #expect(report.pools.first?.operations.map(\.status) == ["CANCELED"])
        let finished = events.withLock { $0.filter { $0.poolsDone == 1 }.map(\.message) }
        #expect(
            finished == [
                "failed: create operation \(opID) ended CANCELED with 0 of 0 senders failed (the report at the end says where the pool stands)"
            ])
        #expect(api.unanswered == 0)
    }

    @Test func aCreateWithAnUnknownOutcomeIsLookedUpBeforeItIsRetried() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "connection reset")
        let api = ScriptedAPI(
            [
                (.createSenderPool(name: "A", senders: 2), .error(lost)),
                // The pool exists with its ownership tag: no second create.
                (.listSenderPools(operationId: nil), .pools([pool()])),
                (.listPoolSenders(poolID), .senders([s1])),
                (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                (.listSenderPools(operationId: nil), .pools([pool()])),
                (.listPoolSenders(poolID), .senders([s1, s2])),
            ]
                + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(createPlan(senders: [s1, s2]))
        #expect(report.outcome == .converged)
        #expect(api.calls.filter { if case .createSenderPool = $0 { true } else { false } }.count == 1)
        #expect(api.unanswered == 0)
    }

    /// A create that failed or ran out of time may still have been made:
    /// the report says so rather than "not created", and the next plan finds it.
    @Test func aFailedCreateIsNotReportedAsSurelyNotMade() async {
        let refused = APIError.http(503, "unavailable", method: "POST", path: "/v1/SenderPools")
        var options = onePollPerOperation
        options.createRetries = 0
        let api = ScriptedAPI(
            [(.createSenderPool(name: "A", senders: 1), .error(refused))]
                + Array(repeating: (.listSenderPools(operationId: nil), .pools([])), count: 5))
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .partial)
        #expect(
            report.pools.first?.remaining == [
                "no pool carries its ownership yet: the create may not have been made, or may still be running; the next plan finds the pool if it exists (no second create)"
            ])
        #expect(api.unanswered == 0)
    }

    /// Pool listings that all miss it do not prove a create did not run: a
    /// lagging list hides a new pool as well as its operation. With no
    /// operation of this run sent after the failure, no listing of
    /// operations can be shown recent enough, so the create is not repeated.
    @Test func aLoneCreateWithAnUnknownOutcomeIsNotSentAgain() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "timeout")
        let other = pool(tags: ["poolctl": "v1~web~other"])
        let api = ScriptedAPI(
            [(.createSenderPool(name: "A", senders: 0), .error(lost))]
                // Looked for over the settle window (4 s): missing from every listing.
                + Array(repeating: (ScriptedAPI.Call.listSenderPools(operationId: nil), ScriptedAPI.Answer.pools([other])), count: 5)
                + [(.listOperations, .operations([]))]
                // The verification's reads.
                + Array(repeating: (ScriptedAPI.Call.listSenderPools(operationId: nil), ScriptedAPI.Answer.pools([other])), count: 5))
        api.setServerTime(Date(timeIntervalSince1970: 1_735_689_600))
        let clock = ManualClock()
        let report = await Applier(api: api, clock: clock.clock, options: onePollPerOperation).apply(createPlan(senders: []))
        #expect(report.outcome == .partial)
        #expect(api.calls.filter { if case .createSenderPool = $0 { true } else { false } }.count == 1)
        #expect(report.pools.first?.error?.contains("it was not sent again, since a second create could make a second pool") == true)
        #expect(Array(clock.sleeps.prefix(4)) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
    }

    /// `create-visibility=after-completion` with an operation longer than
    /// the settle window: the listing of operations shows one this run did
    /// not start; it is waited for, and then its pool is listed.
    @Test func anUnaccountedOperationIsWaitedForAndItsPoolFound() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "connection reset")
        let api = ScriptedAPI(
            [(.createSenderPool(name: "A", senders: 1), .error(lost))]
                + Array(repeating: (ScriptedAPI.Call.listSenderPools(operationId: nil), ScriptedAPI.Answer.pools([])), count: 5)
                + [
                    (.listOperations, .operations([operation(.processing, total: 1, created: 0)])),
                    (.fetchOperation(opID), .operation(operation(.processing, total: 1, created: 0))),
                    (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                    // Listed now that its operation completed: taken, not created again.
                    (.listSenderPools(operationId: nil), .pools([pool()])),
                    (.listPoolSenders(poolID), .senders([s1])),
                    (.listSenderPools(operationId: nil), .pools([pool()])),
                    (.listPoolSenders(poolID), .senders([s1])),
                ]
                + fingerprintWrite(poolID))
        api.setServerTime(Date(timeIntervalSince1970: 1_735_689_600))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .converged, "\(report)")
        #expect(api.calls.filter { if case .createSenderPool = $0 { true } else { false } }.count == 1)
        #expect(api.unanswered == 0)
    }

    /// The lease's operation, listed, bounds the list's lag; another's
    /// operation of the same size finished by then, and the pools listed
    /// after the lists caught up still miss the pool: the create did not
    /// run, so it is sent again.
    @Test func aCreateIsSentAgainOnceEveryOperationOfItsSpanFinishedAndThePoolIsStillMissing() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "connection reset")
        let leaseOp = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v07"
        let stranger = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v0a"
        let missing = Array(repeating: (ScriptedAPI.Call.listSenderPools(operationId: nil), ScriptedAPI.Answer.pools([])), count: 5)
        let operations = (
            ScriptedAPI.Call.listOperations,
            ScriptedAPI.Answer.operations([
                SenderPoolOperation(
                    id: leaseOp, status: .completed, stats: OperationStats(total: 0, queued: 0, created: 0, failed: 0), createdAt: "",
                    updatedAt: ""),
                SenderPoolOperation(
                    id: stranger, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "",
                    updatedAt: ""),
            ])
        )
        // The first listing of operations shows the lease's, which bounds the lag; the second, begun that much later, is recent.
        let api = ScriptedAPI(
            // Once the lists caught up, one single-page listing that misses the pool is enough.
            [(.createSenderPool(name: "A", senders: 1), .error(lost))] + missing + [operations, operations, missing[0]]
                + [
                    (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
                    (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                    (.listSenderPools(operationId: nil), .pools([pool()])),
                ]
                + fingerprintWrite(poolID))
        api.setServerTime(Date(timeIntervalSince1970: 1_735_689_600))
        var options = onePollPerOperation
        options.ownOperations = [leaseOp: .zero]
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .converged, "\(report)")
        #expect(api.calls.filter { if case .createSenderPool = $0 { true } else { false } }.count == 2)
        #expect(api.unanswered == 0)
    }

    /// Issue 19: under `create-visibility=after-completion` and list lag, a
    /// create whose response was lost shows up in listings only a moment
    /// later. One look would create the key's pool a second time.
    @Test func aCreateWhosePoolIsListedOnlyLaterIsFoundNotRepeated() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "connection reset")
        let api = ScriptedAPI(
            [
                (.createSenderPool(name: "A", senders: 1), .error(lost)),
                (.listSenderPools(operationId: nil), .pools([])),
                (.listSenderPools(operationId: nil), .pools([])),
                // 750 ms later its operation completed and the list caught up.
                (.listSenderPools(operationId: nil), .pools([pool()])),
                (.listPoolSenders(poolID), .senders([s1])),
                (.listSenderPools(operationId: nil), .pools([pool()])),
                (.listPoolSenders(poolID), .senders([s1])),
            ]
                + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .converged, "\(report)")
        #expect(api.calls.filter { if case .createSenderPool = $0 { true } else { false } }.count == 1)
        // The found pool holds the sender the lost create sent: this run added it.
        #expect(report.pools.first?.sendersAdded == 1)
        #expect(api.unanswered == 0)
    }

    @Test func aCreateWhoseAbsenceCannotBeConfirmedIsNotRepeated() async {
        // Multi-page listings whose pages the server always cuts at 2, whatever was asked, while
        // someone creates a pool before each listing and deletes it before the second page: every
        // listing may have skipped one, and no two boundaries differ.
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "connection reset")
        let made = Mutex(0)
        let account = PagedAccount(
            pools: (0..<5).map { SenderPool(id: "comms_senderpool_f\($0)", name: "f", tags: [:], createdAt: "", updatedAt: "") },
            maxPageSize: 2, ignoresPageSize: true,
            churn: { offset, pools in
                if offset == 0 {
                    let n = made.withLock {
                        $0 += 1
                        return $0
                    }
                    pools.insert(SenderPool(id: "comms_senderpool_c\(n)", name: "c", tags: [:], createdAt: "", updatedAt: ""), at: 0)
                } else if offset == 2 {
                    pools.removeFirst()
                }
            })
        let api = FailingCreates(base: account, error: lost)
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(createPlan(senders: []))
        #expect(report.outcome == .partial)
        #expect(api.creates == 1)
        #expect(report.pools.first?.error?.contains("connection reset") == true, "\(report)")
    }

    @Test func aCanceledOperationLeavesThePoolNotConverged() async {
        let api = ScriptedAPI(
            [
                (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.canceled, total: 1, created: 0, failed: 1))),
            ]
                + Array(
                    repeating: [
                        // Verification re-reads what is in doubt with backoff, 4 rounds within the settle budget.
                        (.listSenderPools(operationId: nil), .pools([pool()])),
                        (.listPoolSenders(poolID), .senders([])),
                    ], count: 5
                ).flatMap { $0 })
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .partial)
        #expect(report.pools.first?.remaining == ["1 sender is not a member: \(s1)"])
        #expect(api.unanswered == 0)
    }

    @Test func conflictsAreWaitedOutAndRemovalsComeAfterAdds() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s2])]),
            live: LiveState(pools: [LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: [LiveMember(id: s1)])]))
        let busy = APIError.http(409, "an operation is PROCESSING")
        let api = ScriptedAPI(
            [
                (.addSenders(poolID, [s2]), .error(busy)),
                (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                (.removeSender(poolID, s1), .resourceAccepted(s1)),
                (.listSenderPools(operationId: nil), .pools([pool()])),
                (.listPoolSenders(poolID), .senders([s2])),
            ]
                + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged)
        #expect(report.pools.first?.sendersAdded == 1)
        #expect(report.pools.first?.sendersRemoved == 1)
        #expect(api.unanswered == 0)
    }

    /// Verification re-reads what is in doubt with backoff, 4 rounds within the settle budget.
    private func rereads(members: [String]) -> [(ScriptedAPI.Call, ScriptedAPI.Answer)] {
        Array(
            repeating: [(.listSenderPools(operationId: nil), .pools([pool()])), (.listPoolSenders(poolID), .senders(members))],
            count: 5
        ).flatMap { $0 }
    }

    private struct WritesStopped: Error, CustomStringConvertible {
        var description: String { "writes stopped" }
    }

    /// Writes stop (a signal, a lost lease) between the adds and the
    /// removals: the pool was written to, so it is not "skipped" nor
    /// "not started", but verified and reported unconverged, with what is left.
    @Test func aPoolStoppedBetweenItsAddsAndItsRemovalsIsReportedPartlyWritten() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s2])]),
            live: LiveState(pools: [LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: [LiveMember(id: s1)])]))
        let api = ScriptedAPI(
            [
                (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
            ] + rereads(members: [s1, s2]))
        var options = onePollPerOperation
        let starts = Mutex(0)
        options.mayWrite = {
            let start = starts.withLock { count in
                defer { count += 1 }
                return count
            }
            if start > 0 { throw WritesStopped() }
        }
        let events = Mutex<[ApplyEvent]>([])
        let report = await Applier(api: api, clock: ManualClock().clock, options: options) { event in
            events.withLock { $0.append(event) }
        }.apply(plan)
        let result = report.pools.first
        #expect(result?.status == .failed)
        #expect(result?.sendersAdded == 1)
        #expect(result?.error == "its remaining writes were not started: writes stopped")
        #expect(result?.remaining == ["1 sender is still a member: \(s1)"])
        // Finished once, in the phase that stopped it.
        #expect(events.withLock { $0.filter { $0.message.hasPrefix("failed") }.map(\.poolsDone) } == [1])
        #expect(api.unanswered == 0)
    }

    /// Adds that failed end the pool in the first phase: the removals'
    /// phase leaves it as it was, its error and its one progress line.
    @Test func aPoolWhoseAddsFailedKeepsItsErrorAndFinishesOnce() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s2])]),
            live: LiveState(pools: [LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: [LiveMember(id: s1)])]))
        let api = ScriptedAPI(
            [
                (.addSenders(poolID, [s2]), .error(APIError.http(400, "sender is not active")))
            ] + rereads(members: [s1]))
        let events = Mutex<[ApplyEvent]>([])
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation) { event in
            events.withLock { $0.append(event) }
        }.apply(plan)
        #expect(report.pools.first?.status == .failed)
        #expect(report.pools.first?.error?.contains("sender is not active") == true)
        #expect(events.withLock { $0.filter { $0.message.hasPrefix("failed") }.map(\.poolsDone) } == [1])
        #expect(api.unanswered == 0)
    }
}

/// Survival under the behaviours the public docs leave open (issue 10).
@Suite struct ApplierAPIBehaviourTests {
    /// A rename of pool A to B, and the pool as the PATCH leaves it: a rename
    /// alone, so its fingerprint rides in that PATCH (issue 21).
    private func renameAToB() -> (Plan, SenderPool) {
        let plan = updatePlan(
            live: LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: []), desired: DesiredPool(key: "a", name: "B"))
        let applied = [AppliedTag.tagKey: plan.changes[0].applied ?? "-"]
        let renamed = SenderPool(
            id: poolID, name: "B", tags: applied.merging(["poolctl": ownership]) { a, _ in a }, createdAt: "", updatedAt: "")
        return (plan, renamed)
    }

    private func updatePlan(live: LivePool, desired: DesiredPool) -> Plan {
        Planner().plan(desired: DesiredState(stack: "web", prune: false, pools: [desired]), live: LiveState(pools: [live]))
    }

    @Test func anAddIsPolledAtItsNestedLocationOnOurOwnOrigin() async {
        let plan = updatePlan(
            live: LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: []),
            desired: DesiredPool(key: "a", name: "A", senders: [s1]))
        let api = ScriptedAPI(
            [
                (
                    .addSenders(poolID, [s1]),
                    .operationAcceptedAt(opID, location: "https://comms.twilio.com/v1/SenderPools/\(poolID)/Senders/Operations/\(opID)")
                ),
                (.fetchPoolSendersOperation(poolID, opID), .operation(operation(.completed, total: 1, created: 1))),
                (.listSenderPools(operationId: nil), .pools([pool()])),
            ]
                + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }

    @Test func aFlatPollThatIs404FallsBackToTheNestedPath() async {
        let plan = updatePlan(
            live: LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: []),
            desired: DesiredPool(key: "a", name: "A", senders: [s1]))
        let api = ScriptedAPI(
            [
                (.addSenders(poolID, [s1]), .operationAccepted(opID)),
                (.fetchOperation(opID), .error(.http(404, "not found"))),
                (.fetchPoolSendersOperation(poolID, opID), .operation(operation(.completed, total: 1, created: 1))),
                (.listSenderPools(operationId: nil), .pools([pool()])),
            ] + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }

    @Test func aRefusedBatchIsHalvedAndTheSmallerSizeKept() async {
        let s3 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v03"
        let plan = updatePlan(
            live: LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: []),
            desired: DesiredPool(key: "a", name: "A", senders: [s1, s2, s3]))
        let tooMany = APIError.http(400, "at most 1 senders are allowed, got 3")
        let api = ScriptedAPI(
            [
                (.addSenders(poolID, [s1, s2, s3]), .error(tooMany)),
                (.addSenders(poolID, [s1]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                // The halved size (1) is kept: no second 400 for the rest.
                (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                (.addSenders(poolID, [s3]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
                (.listSenderPools(operationId: nil), .pools([pool()])),
            ]
                + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged)
        #expect(report.pools.first?.sendersAdded == 3)
        #expect(api.unanswered == 0)
    }

    /// Lists that lag seconds behind writes (the lease measured how far):
    /// verification waits that long and a second more, with a last round at
    /// the window's end, before it calls a rename missing.
    @Test func aRenameTheListsShowLateIsWaitedForAsLongAsTheLeaseMeasured() async {
        let (plan, renamed) = renameAToB()
        var options = onePollPerOperation
        options.listLag = .seconds(6)
        let api = ScriptedAPI(
            [(.updateSenderPool(poolID), .resourceAccepted(poolID))]
                + Array(repeating: (.listSenderPools(operationId: nil), .pools([pool()])), count: 5) + [
                    (.listSenderPools(operationId: nil), .pools([renamed]))
                ])
        let clock = ManualClock()
        let report = await Applier(api: api, clock: clock.clock, options: options).apply(plan)
        #expect(report.outcome == .converged)
        // 0.25 + 0.5 + 1 + 2 s, then the rest of the 7 s window (without the lease's measure: 4 s, 5 reads).
        #expect(clock.sleeps == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .milliseconds(3250)])
        #expect(api.unanswered == 0)
    }

    /// A create whose operation COMPLETED made a pool that the next plan
    /// must see: verification waits for the lists to show it for
    /// `visibilityLimit`, lease or not, and the report says it was made.
    @Test func aCompletedCreateThatNoListingShowsIsWaitedForThenReportedAsMade() async {
        let api = ScriptedAPI(completedThenListed(Array(repeating: (.listSenderPools(operationId: nil), .pools([])), count: 7)))
        let clock = ManualClock()
        let report = await Applier(api: api, clock: clock.clock, options: waitingEightSeconds).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .partial)
        #expect(
            clock.sleeps.suffix(6) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .milliseconds(250)])
        #expect(
            report.pools.first?.remaining == [
                "its create operation \(opID) COMPLETED, but no listing showed the pool (the API's lists lag behind its writes); the next apply finds it once the lists show it: under the lease it waits for that, with --lock=false it does not and could create it again"
            ])
        #expect(api.unanswered == 0)
    }

    /// A listing that fails while a completed create is awaited tells
    /// nothing: the wait goes on for the whole limit, and finds the pool.
    @Test func aFailedListingDoesNotCutTheWaitForACompletedCreate() async {
        let api = ScriptedAPI(
            completedThenListed(
                Array(repeating: (.listSenderPools(operationId: nil), .pools([])), count: 5) + [
                    (.listSenderPools(operationId: nil), .error(.http(503, "unavailable"))),
                    (.listSenderPools(operationId: nil), .pools([pool()])),
                ]) + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: waitingEightSeconds).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }

    /// Duplicates the listing shows are not waited for: waiting cannot
    /// repair them. The 4 s budget holds, and the report names both pools.
    @Test func listedDuplicatesOfACompletedCreateAreNotWaitedFor() async {
        let twin = SenderPool(
            id: "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v02", name: "A", tags: ["poolctl": ownership], createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            completedThenListed(Array(repeating: (.listSenderPools(operationId: nil), .pools([pool(), twin])), count: 5)))
        let clock = ManualClock()
        let report = await Applier(api: api, clock: clock.clock, options: onePollPerOperation).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .partial)
        #expect(report.pools.first?.remaining.first?.hasPrefix("2 live pools carry its ownership") == true)
        #expect(clock.sleeps.suffix(4) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
        #expect(api.unanswered == 0)
    }

    @Test func aWriteThatShowsUpLaterIsReReadBeforeItIsCalledFailed() async {
        let (plan, renamed) = renameAToB()
        let api = ScriptedAPI([
            (.updateSenderPool(poolID), .resourceAccepted(poolID)),
            // A rename alone: the listing decides, no member read.
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listSenderPools(operationId: nil), .pools([renamed])),
        ])
        let clock = ManualClock()
        let report = await Applier(api: api, clock: clock.clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged)
        #expect(clock.sleeps == [.milliseconds(250)])
        #expect(api.unanswered == 0)
    }

    @Test func tagsTheAPIKeptAreReportedOnceAndNotRetried() async {
        let live = LivePool(id: poolID, name: "A", tags: ["poolctl": ownership, "team": "ops"], members: [])
        let plan = updatePlan(live: live, desired: DesiredPool(key: "a", name: "A"))
        // Removing a tag: the fingerprint does not ride in that PATCH, and the pool
        // does not converge, so none is written.
        #expect(plan.changes[0].recordsAppliedAfterVerify)
        let merged = SenderPool(id: poolID, name: "A", tags: ["poolctl": ownership, "team": "ops"], createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            [
                (.updateSenderPool(poolID), .resourceAccepted(poolID))
            ] + Array(repeating: (.listSenderPools(operationId: nil), .pools([merged])), count: 5))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .partial)
        let result = report.pools.first
        #expect(result?.remaining == ["tag team is still \"ops\": the API kept it after a PATCH that left it out"])
        #expect(
            result?.error?.hasPrefix("the API kept tag team after a PATCH that sent the full tag map without it: it merges tags") == true)
        // One PATCH only: poolctl does not loop on a tag it cannot remove.
        #expect(api.calls.filter { if case .updateSenderPool = $0 { true } else { false } }.count == 1)
        #expect(api.unanswered == 0)
    }

    /// A PATCH the API refused wrote nothing: the tag it left out is not one
    /// "the API kept", and the refusal is the error reported.
    @Test func aRefusedPatchIsTheErrorNotAKeptTag() async {
        let live = LivePool(id: poolID, name: "A", tags: ["poolctl": ownership, "team": "ops"], members: [])
        let plan = updatePlan(live: live, desired: DesiredPool(key: "a", name: "A"))
        let unchanged = SenderPool(id: poolID, name: "A", tags: ["poolctl": ownership, "team": "ops"], createdAt: "", updatedAt: "")
        let refused = APIError.http(400, "tags must have at most 10 pairs", method: "PATCH", path: "/v1/SenderPools/\(poolID)")
        let api = ScriptedAPI(
            [(.updateSenderPool(poolID), .error(refused))]
                + Array(
                    repeating: [(.listSenderPools(operationId: nil), .pools([unchanged])), (.listPoolSenders(poolID), .senders([]))],
                    count: 5
                ).flatMap { $0 })
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .partial)
        let result = report.pools.first
        #expect(result?.remaining == ["tag team is \"ops\", not absent"])
        #expect(result?.error == refused.description)
        #expect(api.unanswered == 0)
    }
}

@Suite struct OperationPollerTests {
    @Test func backsOffAndStopsAtATerminalStatus() {
        var poller = OperationPoller(initial: .milliseconds(100), maximum: .milliseconds(300), budget: .seconds(10))
        #expect(poller.start() == .wait(.milliseconds(100)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .wait(.milliseconds(200)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .wait(.milliseconds(300)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .wait(.milliseconds(300)))
        let done = operation(.completed, total: 1, created: 1)
        #expect(poller.received(done) == .done(done))
        #expect(poller.polls == 4)
    }

    @Test func onlyCompletedCanceledAndFailedEndAnOperation() {
        var poller = OperationPoller(initial: .milliseconds(100), maximum: .milliseconds(100))
        _ = poller.start()
        // Unknown or in-progress statuses keep polling instead of failing the pool early.
        for status in ["SCHEDULED", "QUEUED", "FAILED_SOMEHOW", "processing"] {
            let odd = operation(OperationStatus(rawValue: status), total: 1, created: 0)
            #expect(poller.received(odd) == .wait(.milliseconds(100)), "\(status)")
        }
        for status in [OperationStatus.completed, .canceled, .failed] {
            let final = operation(status, total: 1, created: 0)
            var copy = poller
            #expect(copy.received(final) == .done(final), "\(status)")
        }
    }

    @Test func aChangedMaximumTakesEffectOnTheNextWait() {
        var poller = OperationPoller(initial: .milliseconds(100), maximum: .seconds(5))
        #expect(poller.start() == .wait(.milliseconds(100)))
        poller.maximum = .milliseconds(150)
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .wait(.milliseconds(150)))
    }

    @Test func timesOutWhenTheBudgetIsSpent() {
        var poller = OperationPoller(initial: .seconds(1), maximum: .seconds(1), budget: .seconds(2))
        #expect(poller.start() == .wait(.seconds(1)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .wait(.seconds(1)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .timedOut)
    }
}

/// Every create fails with `error`; everything else goes to `base`.
private final class FailingCreates: CommsAPI, Sendable {
    let base: PagedAccount
    let error: APIError
    private let count = Mutex(0)
    var creates: Int { count.withLock { $0 } }

    init(base: PagedAccount, error: APIError) {
        self.base = base
        self.error = error
    }

    func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> { try await base.listSenderPools(query) }
    func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        count.withLock { $0 += 1 }
        throw error
    }
    func fetchSenderPool(id: String) async throws -> SenderPool { try await base.fetchSenderPool(id: id) }
    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        try await base.updateSenderPool(id: id, request)
    }
    func deleteSenderPool(id: String) async throws -> ResourceAccepted { try await base.deleteSenderPool(id: id) }
    func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        try await base.listPoolSenders(poolID: poolID, query)
    }
    func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        try await base.addSenders(poolID: poolID, senderIDs: senderIDs)
    }
    func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        try await base.removeSender(poolID: poolID, senderID: senderID)
    }
    func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> { try await base.listOperations(query) }
    func fetchOperation(id: String) async throws -> SenderPoolOperation { try await base.fetchOperation(id: id) }
    func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        try await base.fetchPoolSendersOperation(poolID: poolID, operationID: operationID)
    }
    func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation { try await base.fetchOperation(at: path) }
}

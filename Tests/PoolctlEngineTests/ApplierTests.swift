import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Synchronization
import Testing

private let poolID = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let opID = "comms_operation_01jd8a7k2m3n4p5q6r7s8t9v01"
private let s1 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01"
private let s2 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v02"
private let ownership = "v1~web~a"

/// A clock that never sleeps: waits only move time forward.
final class TestClock: Sendable {
    private let elapsed = Mutex<Duration>(.zero)
    private let waits = Mutex<[Duration]>([])

    var recordedWaits: [Duration] { waits.withLock { $0 } }

    var applyClock: ApplyClock {
        ApplyClock(
            sleep: { duration in
                self.waits.withLock { $0.append(duration) }
                self.elapsed.withLock { $0 += duration }
            },
            now: { self.elapsed.withLock { $0 } })
    }
}

private func operation(_ status: OperationStatus, total: Int, created: Int, failed: Int = 0) -> SenderPoolOperation {
    SenderPoolOperation(id: opID, status: status, stats: OperationStats(total: total, queued: status == .processing ? total : 0, created: created, failed: failed), createdAt: "", updatedAt: "")
}

private func pool(tags: [String: String] = ["poolctl": ownership]) -> SenderPool {
    SenderPool(id: poolID, name: "A", tags: tags, createdAt: "", updatedAt: "")
}

private func createPlan(senders: [String]) -> Plan {
    Planner().plan(
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: senders)]),
        live: LiveState(pools: []))
}

@Suite struct ApplierTests {
    @Test func createFindsThePoolByOperationIdPollsAndVerifies() async {
        let api = ScriptedAPI([
            (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
            (.listSenderPools(operationId: opID), .pools([pool()])),
            (.fetchOperation(opID), .operation(operation(.processing, total: 1, created: 0))),
            (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listPoolSenders(poolID), .senders([s1])),
        ])
        let clock = TestClock()
        let report = await Applier(api: api, clock: clock.applyClock).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .converged)
        #expect(report.pools.first?.operations.first?.polls == 2)
        #expect(clock.recordedWaits == [.milliseconds(250), .milliseconds(500)])
        #expect(api.unanswered == 0)
    }

    @Test func aCreateWithAnUnknownOutcomeIsLookedUpBeforeItIsRetried() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "connection reset")
        let api = ScriptedAPI([
            (.createSenderPool(name: "A", senders: 2), .error(lost)),
            // The pool exists with its ownership tag: no second create.
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listPoolSenders(poolID), .senders([s1])),
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listPoolSenders(poolID), .senders([s1, s2])),
        ])
        let report = await Applier(api: api, clock: TestClock().applyClock).apply(createPlan(senders: [s1, s2]))
        #expect(report.outcome == .converged)
        #expect(api.calls.filter { if case .createSenderPool = $0 { true } else { false } }.count == 1)
        #expect(api.unanswered == 0)
    }

    @Test func aCreateThatDidNotHappenIsRetried() async {
        let lost = APIError(kind: .outcomeUnknown, method: "POST", path: "/v1/SenderPools", message: "timeout")
        let api = ScriptedAPI([
            (.createSenderPool(name: "A", senders: 0), .error(lost)),
            (.listSenderPools(operationId: nil), .pools([pool(tags: ["poolctl": "v1~web~other"])])),
            (.createSenderPool(name: "A", senders: 0), .operationAccepted(opID)),
            (.listSenderPools(operationId: opID), .pools([pool()])),
            (.fetchOperation(opID), .operation(operation(.completed, total: 0, created: 0))),
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listPoolSenders(poolID), .senders([])),
        ])
        let report = await Applier(api: api, clock: TestClock().applyClock).apply(createPlan(senders: []))
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }

    @Test func aCanceledOperationLeavesThePoolNotConverged() async {
        let api = ScriptedAPI([
            (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
            (.listSenderPools(operationId: opID), .pools([pool()])),
            (.fetchOperation(opID), .operation(operation(.canceled, total: 1, created: 0, failed: 1))),
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listPoolSenders(poolID), .senders([])),
        ])
        let report = await Applier(api: api, clock: TestClock().applyClock).apply(createPlan(senders: [s1]))
        #expect(report.outcome == .partial)
        #expect(report.pools.first?.remaining == ["1 sender is not a member: \(s1)"])
        #expect(api.unanswered == 0)
    }

    @Test func conflictsAreWaitedOutAndRemovalsComeAfterAdds() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s2])]),
            live: LiveState(pools: [LivePool(id: poolID, name: "A", tags: ["poolctl": ownership], members: [LiveMember(id: s1)])]))
        let busy = APIError.http(409, "an operation is PROCESSING")
        let api = ScriptedAPI([
            (.addSenders(poolID, [s2]), .error(busy)),
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(operation(.completed, total: 1, created: 1))),
            (.removeSender(poolID, s1), .resourceAccepted(s1)),
            (.listSenderPools(operationId: nil), .pools([pool()])),
            (.listPoolSenders(poolID), .senders([s2])),
        ])
        let report = await Applier(api: api, clock: TestClock().applyClock).apply(plan)
        #expect(report.outcome == .converged)
        #expect(report.pools.first?.sendersAdded == 1)
        #expect(report.pools.first?.sendersRemoved == 1)
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

    @Test func anUnknownStatusIsTerminal() {
        var poller = OperationPoller()
        _ = poller.start()
        let odd = operation(OperationStatus(rawValue: "FAILED_SOMEHOW"), total: 1, created: 0)
        #expect(poller.received(odd) == .done(odd))
    }

    @Test func timesOutWhenTheBudgetIsSpent() {
        var poller = OperationPoller(initial: .seconds(1), maximum: .seconds(1), budget: .seconds(2))
        #expect(poller.start() == .wait(.seconds(1)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .wait(.seconds(1)))
        #expect(poller.received(operation(.processing, total: 1, created: 0)) == .timedOut)
    }
}

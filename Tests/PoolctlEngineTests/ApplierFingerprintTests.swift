import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Testing

private let ownership = "v1~web~a"

private let completed = SenderPoolOperation(
    id: opID, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "", updatedAt: "")

/// Pool `a` gains s2; `owner` belongs to another tool (ignoreTags).
private func addPlan() -> Plan {
    Planner().plan(
        desired: DesiredState(
            stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1, s2], ignoreTags: ["owner"])]),
        live: LiveState(pools: [
            LivePool(id: poolID, name: "A", tags: ["poolctl": ownership, "owner": "bot"], members: [LiveMember(id: s1)])
        ]))
}

private func live(owner: String, tags extra: [String: String] = [:]) -> SenderPool {
    SenderPool(
        id: poolID, name: "A", tags: ["poolctl": ownership, "owner": owner].merging(extra) { a, _ in a }, createdAt: "", updatedAt: "")
}

/// Issue 21 (and its review): the fingerprint PATCH comes last, keeps other
/// tools' tags as a fresh read shows them, is read back, and fails its pool
/// when it cannot be written or shown.
@Suite struct ApplierFingerprintTests {
    @Test func theWriteKeepsIgnoredTagsAsVerificationSawThemAndIsReadBack() async throws {
        let plan = addPlan()
        let value = try #require(plan.changes.first?.applied)
        let api = ScriptedAPI([
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(completed)),
            // Another tool rewrote its tag meanwhile.
            (.listSenderPools(operationId: nil), .pools([live(owner: "bot-2")])),
            (.updateSenderPool(poolID), .resourceAccepted(poolID)),
            (.listSenderPools(operationId: nil), .poolAsLastPatched(poolID)),
        ])
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged, "\(report.pools.map(\.error))")
        let patch = try #require(api.updateRequests.last)
        #expect(patch.name == nil)
        #expect(patch.tags == ["poolctl": ownership, "owner": "bot-2", AppliedTag.tagKey: value])
        #expect(api.unanswered == 0)
    }

    @Test func withoutAVerificationListingTheIgnoredTagsAreReadFirst() async throws {
        let plan = addPlan()
        let api = ScriptedAPI([
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(completed)),
            // The listing fails: verification reads the pool by id, and so does the write.
            (.listSenderPools(operationId: nil), .error(.http(500, "down"))),
            (.fetchSenderPool(poolID), .pool(live(owner: "bot"))),
            (.fetchSenderPool(poolID), .pool(live(owner: "bot-3"))),
            (.updateSenderPool(poolID), .resourceAccepted(poolID)),
            (.listSenderPools(operationId: nil), .poolAsLastPatched(poolID)),
        ])
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .converged, "\(report.pools.map(\.error))")
        #expect(api.updateRequests.last?.tags?["owner"] == "bot-3", "never a guess: a missing value would delete the tag")
        #expect(api.unanswered == 0)
    }

    /// The read just before the write must still show this key's ownership:
    /// a pool another stack took over meanwhile gets no write.
    @Test func aPoolThatLostItsOwnershipBeforeTheWriteIsNotWritten() async throws {
        let plan = addPlan()
        let taken = SenderPool(id: poolID, name: "A", tags: ["poolctl": "v1~other~a", "owner": "bot"], createdAt: "", updatedAt: "")
        let api = ScriptedAPI([
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(completed)),
            (.listSenderPools(operationId: nil), .error(.http(500, "down"))),
            (.fetchSenderPool(poolID), .pool(live(owner: "bot"))),
            (.fetchSenderPool(poolID), .pool(taken)),
        ])
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .partial)
        #expect(report.pools.first?.error?.contains("no longer carries this stack's ownership tag; nothing was written to it") == true)
        #expect(api.updateRequests.isEmpty)
        #expect(api.unanswered == 0)
    }

    @Test func aWriteThatFailsOrNeverShowsFailsItsPool() async throws {
        for shows in [false, true] {
            let plan = addPlan()
            let write: [(ScriptedAPI.Call, ScriptedAPI.Answer)] =
                shows
                ? [(.updateSenderPool(poolID), .error(.http(400, "bad tags")))]
                // Accepted, but seven reads over the 8 s that an accepted write is waited for never show it.
                : [(.updateSenderPool(poolID), .resourceAccepted(poolID))]
                    + Array(repeating: (.listSenderPools(operationId: nil), .pools([live(owner: "bot")])), count: 7)
            let api = ScriptedAPI(
                [
                    (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                    (.fetchOperation(opID), .operation(completed)),
                    (.listSenderPools(operationId: nil), .pools([live(owner: "bot")])),
                ] + write)
            let clock = ManualClock()
            var options = onePollPerOperation
            options.visibilityLimit = .seconds(8)
            let report = await Applier(api: api, clock: clock.clock, options: options).apply(plan)
            #expect(report.outcome == .partial)
            let error = report.pools.first?.error ?? ""
            #expect(error.hasPrefix("the pool converged, but recording what apply made it (poolctl-applied) failed: "), "\(error)")
            #expect(error.hasSuffix("the next plan refreshes it"), "\(error)")
            if !shows {
                #expect(error.contains("the PATCH was accepted, but the pool did not show it within 8000 ms"), "\(error)")
                // After the operation poll's wait, the read-back's backoff, its last round at the limit.
                #expect(
                    clock.sleeps.suffix(6) == [
                        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .milliseconds(250),
                    ])
            }
            #expect(api.unanswered == 0)
        }
    }

    /// A pool that did not converge is never fingerprinted: the script has no
    /// PATCH, and the double fails on any call it did not script.
    @Test func aPoolThatDidNotConvergeGetsNoFingerprint() async {
        let plan = addPlan()
        let failed = SenderPoolOperation(
            id: opID, status: .failed, stats: OperationStats(total: 1, queued: 0, created: 0, failed: 1), createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            [
                (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(failed)),
            ]
                + Array(
                    repeating: [
                        (ScriptedAPI.Call.listSenderPools(operationId: nil), ScriptedAPI.Answer.pools([live(owner: "bot")])),
                        (.listPoolSenders(poolID), .senders([s1])),
                    ], count: 5
                ).flatMap { $0 })
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(plan)
        #expect(report.outcome == .partial)
        #expect(api.updateRequests.isEmpty)
    }
}

import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Testing

private let ownership = "v1~web~a"

private let completed = SenderPoolOperation(
    id: opID, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "", updatedAt: "")

/// Pool `a` gains s2; `owner` belongs to another tool (ignoreTags).
/// Adds s2 to a pool holding s1, whose fingerprint is `recorded` (none by default).
private func addPlan(recorded: String? = nil, members: [String] = [s1]) -> Plan {
    var tags = ["poolctl": ownership, "owner": "bot"]
    tags[AppliedTag.tagKey] = recorded
    return Planner().plan(
        desired: DesiredState(
            stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1, s2], ignoreTags: ["owner"])]),
        live: LiveState(pools: [LivePool(id: poolID, name: "A", tags: tags, members: members.map { LiveMember(id: $0) })]))
}

private func live(owner: String, tags extra: [String: String] = [:]) -> SenderPool {
    SenderPool(
        id: poolID, name: "A", tags: ["poolctl": ownership, "owner": owner].merging(extra) { a, _ in a }, createdAt: "", updatedAt: "")
}

/// s2 added by a COMPLETED operation and verified by one listing, then `write`.
private func addedThen(_ write: [(ScriptedAPI.Call, ScriptedAPI.Answer)]) -> ScriptedAPI {
    ScriptedAPI(
        [
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(completed)),
            (.listSenderPools(operationId: nil), .pools([live(owner: "bot")])),
        ] + write)
}

/// An accepted fingerprint PATCH that `reads` listings never show.
private func acceptedButNeverShown(reads: Int) -> [(ScriptedAPI.Call, ScriptedAPI.Answer)] {
    [(.updateSenderPool(poolID), .resourceAccepted(poolID))]
        + Array(repeating: (.listSenderPools(operationId: nil), .pools([live(owner: "bot")])), count: reads)
}

/// `addPlan()` applied over `api` on a manual clock with `options`: the
/// report, its pool's error and the sleeps that passed.
private func applyAdd(
    _ api: ScriptedAPI, _ options: ApplyOptions, recorded: String? = nil
) async -> (report: ApplyReport, error: String, sleeps: [Duration]) {
    let clock = ManualClock()
    let report = await Applier(api: api, clock: clock.clock, options: options).apply(addPlan(recorded: recorded))
    return (report, report.pools.first?.error ?? "", clock.sleeps)
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
            let write: [(ScriptedAPI.Call, ScriptedAPI.Answer)] =
                shows
                ? [(.updateSenderPool(poolID), .error(.http(400, "bad tags")))]
                // Accepted, but seven reads over the 8 s that an accepted write is waited for never show it.
                : acceptedButNeverShown(reads: 7)
            let api = addedThen(write)
            var options = onePollPerOperation
            options.visibilityLimit = .seconds(8)
            let (report, error, sleeps) = await applyAdd(api, options)
            #expect(report.outcome == .partial)
            #expect(error.hasPrefix("the pool converged, but recording what apply made it (poolctl-applied) failed: "), "\(error)")
            // The pool had none: the next plan, of the pool as it now is, has nothing to record it with.
            #expect(
                error.hasSuffix(
                    "it had none, so unless this write shows later, drift cannot tell its causes until its next change or 'poolctl apply --baseline' records one"
                ),
                "\(error)")
            #expect(addPlan(members: [s1, s2]).changes.first?.action == .noChange)
            if !shows {
                #expect(error.contains("the PATCH was accepted, but the pool did not show it within 8000 ms"), "\(error)")
                // After the operation poll's wait, the read-back's backoff, its last round at the limit.
                #expect(
                    sleeps.suffix(6) == [
                        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .milliseconds(250),
                    ])
            }
            #expect(api.unanswered == 0)
        }
    }

    /// A pool that carried a fingerprint keeps the old one, which the next
    /// plan sees is stale and refreshes: the error says so.
    @Test func aFailedWriteOverAnOldFingerprintIsRefreshedByTheNextPlan() async {
        let old = AppliedTag(name: "old", tags: [:], ignoring: [], members: []).tagValue
        let api = ScriptedAPI([
            (.addSenders(poolID, [s2]), .operationAccepted(opID)),
            (.fetchOperation(opID), .operation(completed)),
            (.listSenderPools(operationId: nil), .pools([live(owner: "bot", tags: [AppliedTag.tagKey: old])])),
            (.updateSenderPool(poolID), .error(.http(400, "bad tags"))),
        ])
        let (report, error, _) = await applyAdd(api, onePollPerOperation, recorded: old)
        #expect(report.outcome == .partial)
        #expect(error.hasSuffix("failed: HTTP 400: bad tags; the next plan refreshes it"), "\(error)")
        let next = addPlan(recorded: old, members: [s1, s2]).changes.first
        #expect(next?.action == .update && next?.reason?.hasPrefix("refreshes what apply made it") == true, "\(String(describing: next))")
    }

    /// When --timeout, not the visibility window, ends the read-back, the
    /// error says so, not "within N ms" as if the API had been given its time.
    @Test func aReadBackEndedByTheTimeoutSaysSo() async throws {
        // The read-back starts after the operation poll's 250 ms and reads at 0.25, 0.5, 1, 2 and
        // 4 s; the next wait (4 s) would end past the 5 s timeout.
        let api = addedThen(acceptedButNeverShown(reads: 5))
        var options = onePollPerOperation
        options.timeout = .seconds(5)
        let (report, error, sleeps) = await applyAdd(api, options)
        #expect(report.outcome == .partial)
        #expect(
            error.contains(
                "the PATCH was accepted, but the pool did not show it before the apply's --timeout ran out (after 3750 ms of re-reading)"),
            "\(error)")
        #expect(sleeps.suffix(4) == [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2)])
        #expect(api.unanswered == 0)
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

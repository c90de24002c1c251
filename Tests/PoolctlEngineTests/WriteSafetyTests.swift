import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Testing

/// Issue 19, item 2: a read by id before every DELETE, and no write to a
/// pool the stack does not own.
private let keep = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let extra = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v02"
private let foreign = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v03"

private func pool(_ id: String, _ tags: [String: String], created: String = "2025-01-01T00:00:00Z") -> SenderPool {
    SenderPool(id: id, name: "A", tags: tags, createdAt: created, updatedAt: "u")
}

private func live(_ pool: SenderPool) -> LivePool {
    LivePool(id: pool.id, name: pool.name, tags: pool.tags, createdAt: pool.createdAt, updatedAt: pool.updatedAt, members: [])
}

private let owned = ["poolctl": "v1~web~a"]

private func prunePlan() -> Plan {
    Planner().plan(desired: DesiredState(stack: "web", prune: true, pools: []), live: LiveState(pools: [live(pool(extra, owned))]))
}

private func duplicatePlan() -> Plan {
    Planner().plan(
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A")]),
        live: LiveState(pools: [live(pool(keep, owned)), live(pool(extra, owned, created: "2025-01-02T00:00:00Z"))]))
}

private func deletes(_ api: ScriptedAPI) -> Int {
    api.calls.filter { if case .deleteSenderPool = $0 { true } else { false } }.count
}

@Suite struct WriteSafetyTests {
    @Test func aPruneDeleteReadsThePoolFirstAndDeletesWhileItIsStillOwned() async {
        let api = ScriptedAPI([
            (.fetchSenderPool(extra), .pool(pool(extra, owned))),
            (.deleteSenderPool(extra), .resourceAccepted(extra)),
            (.listSenderPools(operationId: nil), .pools([])),
        ])
        let plan = prunePlan()
        #expect(plan.estimate.byEndpoint["GET /v1/SenderPools/{senderPoolId}"] == 1)
        let report = await Applier(api: api, clock: ManualClock().clock).apply(plan)
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }

    @Test func aDeleteIsRefusedWhenThePoolChangedOwnerSinceThePlan() async {
        // Someone re-tagged the pool for another stack between plan and apply.
        let api = ScriptedAPI([
            // The refusal stands: no verification listing for it.
            (.fetchSenderPool(extra), .pool(pool(extra, ["poolctl": "v1~other~a"])))
        ])
        let report = await Applier(api: api, clock: ManualClock().clock).apply(prunePlan())
        #expect(deletes(api) == 0)
        #expect(report.outcome == .partial)
        #expect(report.pools.first?.status == .failed)
        #expect(
            report.pools.first?.error
                == "refused DELETE /v1/SenderPools/\(extra): GET /v1/SenderPools/\(extra) just before it shows the ownership of 'other/a', not 'web/a'; nothing was written to \(extra)"
        )
        #expect(api.unanswered == 0)
    }

    @Test func aDeleteOfAPoolAlreadyGoneIsConverged() async {
        let api = ScriptedAPI([
            (.fetchSenderPool(extra), .error(.http(404, "not found"))),
            (.listSenderPools(operationId: nil), .pools([])),
        ])
        let report = await Applier(api: api, clock: ManualClock().clock).apply(prunePlan())
        #expect(deletes(api) == 0)
        #expect(report.outcome == .converged)
    }

    @Test func aDuplicateIsDeletedOnlyWhileTheKeptPoolStillExists() async {
        let plan = duplicatePlan()
        #expect(plan.changes.map(\.action) == [.noChange, .deleteDuplicate])
        #expect(plan.estimate.byEndpoint["GET /v1/SenderPools/{senderPoolId}"] == 2)
        let api = ScriptedAPI([
            (.fetchSenderPool(extra), .pool(pool(extra, owned))),
            (.fetchSenderPool(keep), .error(.http(404, "not found"))),
            (.listSenderPools(operationId: nil), .pools([pool(extra, owned)])),
        ])
        let report = await Applier(api: api, clock: ManualClock().clock).apply(plan)
        #expect(deletes(api) == 0)
        #expect(report.pools.first { $0.poolID == extra }?.error?.contains("the pool to keep no longer exists") == true)

        let fine = ScriptedAPI([
            (.fetchSenderPool(extra), .pool(pool(extra, owned))),
            (.fetchSenderPool(keep), .pool(pool(keep, owned))),
            (.deleteSenderPool(extra), .resourceAccepted(extra)),
            (.listSenderPools(operationId: nil), .pools([pool(keep, owned)])),
        ])
        #expect(await Applier(api: fine, clock: ManualClock().clock).apply(plan).outcome == .converged)
        #expect(fine.unanswered == 0)
    }

    /// A duplicate protected since the plan was made is not deleted: the
    /// read just before the DELETE shows the flag (as for a pruned pool).
    @Test func aDuplicateProtectedSinceThePlanIsNotDeleted() async {
        let plan = duplicatePlan()
        let protected = ["poolctl": "v1~web~a~protected"]
        let api = ScriptedAPI([(.fetchSenderPool(extra), .pool(pool(extra, protected)))])
        let report = await Applier(api: api, clock: ManualClock().clock).apply(plan)
        #expect(deletes(api) == 0)
        #expect(
            report.pools.first { $0.poolID == extra }?.error?.contains("shows the pool protected: a protected pool is never deleted")
                == true)
        #expect(api.unanswered == 0)
    }

    @Test func aPlanCannotDeleteAPoolAsItsOwnDuplicate() {
        // The same pool listed twice: one pool, no repair.
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A")]),
            live: LiveState(pools: [live(pool(keep, owned)), live(pool(keep, owned))]))
        #expect(plan.changes.map(\.action) == [.noChange])
    }

    @Test func writesToPoolsTheListingDidNotShowOwnedAreRefused() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "renamed", senders: [s1])]),
            live: LiveState(pools: [live(pool(keep, owned))]))
        #expect(plan.changes.first?.action == .update)
        var options = ApplyOptions()
        // The listing under the lease showed no pool of this stack.
        options.writablePoolIDs = []
        let api = ScriptedAPI([])
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(plan)
        #expect(api.calls.isEmpty)
        #expect(report.pools.first?.status == .failed)
        #expect(
            report.pools.first?.error
                == "refused PATCH /v1/SenderPools/\(keep): the listing taken under the lease did not show it carrying this stack's ownership tag, and this run did not create or adopt it; nothing was written to \(keep)"
        )
    }

    @Test func aDeclaredAdoptMayTagItsPoolAndThenAddToIt() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1], adopt: foreign)]),
            live: LiveState(pools: [live(pool(foreign, [:]))]))
        #expect(plan.changes.first?.action == .adopt)
        var options = ApplyOptions()
        options.writablePoolIDs = []
        options.pollByListing = false
        let api = ScriptedAPI(
            [
                // Read again just before the tagging PATCH: still unowned.
                (.fetchSenderPool(foreign), .pool(pool(foreign, [:]))),
                (.updateSenderPool(foreign), .resourceAccepted(foreign)),
                (.addSenders(foreign, [s1]), .operationAccepted(opID)),
                (
                    .fetchOperation(opID),
                    .operation(
                        SenderPoolOperation(
                            id: opID, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "",
                            updatedAt: ""))
                ),
                (.listSenderPools(operationId: nil), .pools([pool(foreign, owned)])),
            ]
                + fingerprintWrite(foreign))
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(plan)
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }

    /// Two stacks adopting one pool at once: the read just before the
    /// tagging PATCH shows the other stack's ownership, so nothing is written.
    @Test(arguments: [["poolctl": "v1~other~shared"], ["poolctl-lease": "v1~other~h~120"]])
    func anAdoptTargetOwnedSinceThePlanIsNotWritten(tags: [String: String]) async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1], adopt: foreign)]),
            live: LiveState(pools: [live(pool(foreign, [:]))]))
        #expect(plan.changes.first?.action == .adopt)
        var options = ApplyOptions()
        options.writablePoolIDs = []
        let api = ScriptedAPI(
            [(.fetchSenderPool(foreign), .pool(pool(foreign, tags)))])
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(plan)
        #expect(report.outcome == .partial)
        #expect(
            api.updateRequests.isEmpty && !api.calls.contains { if case .addSenders = $0 { true } else { false } },
            "nothing may be written to \(foreign)")
        let error = report.pools.first?.error ?? ""
        #expect(
            error.hasPrefix("refused PATCH /v1/SenderPools/\(foreign): GET /v1/SenderPools/\(foreign) just before it shows"), "\(error)")
        #expect(error.hasSuffix("; when the plan was made it carried no ownership tag; nothing was written to \(foreign)"), "\(error)")
        #expect(api.unanswered == 0)
    }

    /// The read before the tagging PATCH may show the pool already ours: an
    /// earlier attempt of this PATCH landed and its answer was lost. Not a
    /// refusal: the PATCH is sent again and the pool converges.
    @Test func anAdoptWhosePatchAlreadyLandedGoesOn() async {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: foreign)]),
            live: LiveState(pools: [live(pool(foreign, [:]))]))
        var options = ApplyOptions()
        options.writablePoolIDs = []
        options.pollByListing = false
        let ours = SenderPool(id: foreign, name: "A", tags: owned, createdAt: "2025-01-01T00:00:00Z", updatedAt: "2025-01-01T00:00:00Z")
        let api = ScriptedAPI(
            [
                (.fetchSenderPool(foreign), .pool(ours)),
                (.updateSenderPool(foreign), .resourceAccepted(foreign)),
                // No senders: the fingerprint rides in that PATCH.
                (.listSenderPools(operationId: nil), .poolAsLastPatched(foreign)),
            ])
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(plan)
        #expect(report.outcome == .converged, "\(report.pools.map(\.error))")
        #expect(api.updateRequests.first?.tags?["poolctl"] == "v1~web~a")
        #expect(api.unanswered == 0)
    }

    @Test func findCreatedIgnoresAFilterResultWithoutTheOwnershipTag() async {
        // Two senders, one per request: Add Senders follows the create, so its id is looked up.
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1, s2])]),
            live: LiveState(pools: []))
        var options = ApplyOptions()
        options.maxBatch = 1
        options.pollByListing = false
        options.writablePoolIDs = []
        let done = SenderPoolOperation(
            id: opID, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            [
                (.createSenderPool(name: "A", senders: 1), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(done)),
                // The batched lookup by startDate shows nothing yet, three times.
                (.listSenderPools(operationId: nil), .pools([])),
                (.listSenderPools(operationId: nil), .pools([])),
                (.listSenderPools(operationId: nil), .pools([])),
                // The API ignores operationId: someone else's pool comes first.
                (.listSenderPools(operationId: opID), .pools([pool(foreign, ["team": "other"])])),
                (.listSenderPools(operationId: nil), .pools([pool(foreign, ["team": "other"]), pool(keep, owned)])),
                (.addSenders(keep, [s2]), .operationAccepted(opID)),
                (.fetchOperation(opID), .operation(done)),
                (.listSenderPools(operationId: nil), .pools([pool(foreign, ["team": "other"]), pool(keep, owned)])),
            ]
                + fingerprintWrite(keep))
        let report = await Applier(api: api, clock: ManualClock().clock, options: options).apply(plan)
        #expect(!api.calls.contains(.addSenders(foreign, [s2])))
        #expect(report.outcome == .converged)
        #expect(api.unanswered == 0)
    }
}

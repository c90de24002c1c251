import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Testing

private func plan(_ desired: DesiredPool, live: LivePool) -> Plan {
    Planner().plan(desired: DesiredState(stack: "web", prune: true, pools: [desired]), live: LiveState(pools: [live]))
}

/// A move re-tags its pool in the one PATCH; ignored tags ride along with their live values.
@Suite struct ApplierMoveTests {
    @Test func aMoveSendsTheNewOwnershipAndTheLiveIgnoredTagsInOnePatch() async throws {
        let live = LivePool(
            id: poolID, name: "A", tags: ["poolctl": "v1~web~old~protected", "owner": "billing-bot", "team": "a"],
            members: [LiveMember(id: s1)])
        let desired = DesiredPool(
            key: "new", name: "B", tags: ["team": "b", "owner": "ops"], senders: [s1, s2], protect: true, movedFrom: "old",
            ignoreTags: ["owner"])
        let moved = plan(desired, live: live)
        #expect(moved.changes.map(\.action) == [.move])
        // By verification time another tool has rewritten the ignored tag: not a difference.
        let after = SenderPool(
            id: poolID, name: "B", tags: ["poolctl": "v1~web~new~protected", "owner": "billing-bot-2", "team": "b"], createdAt: "",
            updatedAt: "")
        let before = SenderPool(id: poolID, name: "A", tags: live.tags, createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            [
                // Read again just before the PATCH: still the old key's.
                (.fetchSenderPool(poolID), .pool(before)),
                (.updateSenderPool(poolID), .resourceAccepted(poolID)),
                (.addSenders(poolID, [s2]), .operationAccepted(opID)),
                (
                    .fetchOperation(opID),
                    .operation(
                        SenderPoolOperation(
                            id: opID, status: .completed, stats: OperationStats(total: 1, queued: 0, created: 1, failed: 0), createdAt: "",
                            updatedAt: ""))
                ),
                (.listSenderPools(operationId: nil), .pools([after])),
            ]
                + fingerprintWrite(poolID))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(moved)
        #expect(report.outcome == .converged, "\(report.pools.map(\.remaining))")
        #expect(report.pools.map(\.poolID) == [poolID])
        let patch = try #require(api.updateRequests.first)
        #expect(api.updateRequests.count == 2)
        #expect(patch.name == "B")
        #expect(patch.tags == ["poolctl": "v1~web~new~protected", "owner": "billing-bot", "team": "b"])
        // Then the fingerprint, with the ignored tag as verification saw it (issue 21).
        let fingerprint = try #require(api.updateRequests.last)
        #expect(fingerprint.name == nil)
        #expect(
            fingerprint.tags == [
                "poolctl": "v1~web~new~protected", "owner": "billing-bot-2", "team": "b",
                AppliedTag.tagKey: moved.changes[0].applied ?? "-",
            ])
        // No create and no delete.
        #expect(api.createRequests.isEmpty)
        #expect(!api.calls.contains { if case .deleteSenderPool = $0 { true } else { false } })
        #expect(api.unanswered == 0)
    }

    @Test func aMoveWhosePatchDidNotLandIsNotConverged() async {
        let live = LivePool(id: poolID, name: "A", tags: ["poolctl": "v1~web~old"], members: [])
        let moved = plan(DesiredPool(key: "new", name: "A", movedFrom: "old"), live: live)
        let unchanged = SenderPool(id: poolID, name: "A", tags: ["poolctl": "v1~web~old"], createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            [(.fetchSenderPool(poolID), .pool(unchanged)), (.updateSenderPool(poolID), .resourceAccepted(poolID))]
                + Array(repeating: (.listSenderPools(operationId: nil), .pools([unchanged])), count: 5))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(moved)
        #expect(report.outcome == .partial)
        // A move alone: its fingerprint rode in the PATCH that did not land.
        #expect(
            report.pools.first?.remaining == [
                "tag poolctl is \"v1~web~old\", not \"v1~web~new\"",
                "tag poolctl-applied is missing, not \"\(moved.changes[0].applied ?? "-")\"",
            ])
    }

    /// A move whose pool another key took since the plan (re-tagged by hand,
    /// or by another apply without the lease) is not written.
    @Test func aMoveOfAPoolRetaggedSinceThePlanIsNotWritten() async {
        let live = LivePool(id: poolID, name: "A", tags: ["poolctl": "v1~web~old"], members: [])
        let moved = plan(DesiredPool(key: "new", name: "A", movedFrom: "old"), live: live)
        let retagged = SenderPool(id: poolID, name: "A", tags: ["poolctl": "v1~web~other"], createdAt: "", updatedAt: "")
        let api = ScriptedAPI(
            [(.fetchSenderPool(poolID), .pool(retagged))]
                + Array(repeating: (.listSenderPools(operationId: nil), .pools([retagged])), count: 5))
        let report = await Applier(api: api, clock: ManualClock().clock, options: onePollPerOperation).apply(moved)
        #expect(report.outcome == .partial)
        #expect(api.updateRequests.isEmpty)
        #expect(
            report.pools.first?.error
                == "refused PATCH /v1/SenderPools/\(poolID): GET /v1/SenderPools/\(poolID) just before it shows the ownership of 'web/other'; when the plan was made it carried the ownership of 'web/old'; nothing was written to \(poolID)"
        )
    }
}

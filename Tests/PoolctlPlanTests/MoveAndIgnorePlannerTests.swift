import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Testing

private let s1 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01"
private let s2 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v02"
private let p1 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let p2 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v02"

private func owned(_ key: String, protected: Bool = false) -> String {
    Ownership(stack: "web", key: key, protected: protected).tagValue
}

private func plan(_ pools: [DesiredPool], _ live: [LivePool], prune: Bool = true) -> Plan {
    Planner().plan(desired: DesiredState(stack: "web", prune: prune, pools: pools), live: LiveState(pools: live))
}

/// `movedFrom`: a renamed key re-tags its pool instead of a delete and a create.
@Suite struct MovePlannerTests {
    @Test func aMovePlansNoCreateAndNoDelete() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "A", senders: [s1], movedFrom: "old")],
            [LivePool(id: p1, name: "A", tags: ["poolctl": owned("old")], members: [LiveMember(id: s1)])])
        #expect(result.changes.map(\.action) == [.move])
        let change = try #require(result.changes.first)
        #expect(change.poolID == p1)
        #expect(change.movedFrom == "old")
        #expect(change.tags == [TagChange(key: "poolctl", before: owned("old"), after: owned("new"))])
        #expect(result.summary.create == 0 && result.summary.delete == 0 && result.summary.move == 1)
        #expect(result.diagnostics.isEmpty)
        // The read just before it, one PATCH, and the verification listing.
        #expect(
            result.estimate.byEndpoint == [
                Endpoint.fetchSenderPool.rawValue: 1, Endpoint.updateSenderPool.rawValue: 1, Endpoint.listSenderPools.rawValue: 1,
            ])
        #expect(result.fingerprints.map(\.poolID) == [p1])
        #expect(PlanRenderer.text(result).contains("  → new \(p1) will be moved from 'old'"))
    }

    @Test func aMoveChangesNameTagsAndOwnershipInOnePatchAndMembersAsAnUpdate() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "New name", tags: ["team": "b"], senders: [s2], movedFrom: "old")],
            [
                LivePool(
                    id: p1, name: "Old name", tags: ["poolctl": owned("old", protected: true), "team": "a"],
                    members: [LiveMember(id: s1)])
            ])
        let change = try #require(result.changes.first)
        #expect(change.action == .move)
        #expect(change.name == ValueChange(before: "Old name", after: "New name"))
        #expect(
            change.tags == [
                TagChange(key: "poolctl", before: owned("old", protected: true), after: owned("new")),
                TagChange(key: "team", before: "a", after: "b"),
            ])
        #expect(change.desiredTags == ["poolctl": owned("new"), "team": "b"])
        #expect(change.addSenders.map(\.id) == [s2])
        #expect(change.removeSenders.map(\.id) == [s1])
        // The move's PATCH, then the fingerprint's once the members converged.
        #expect(result.estimate.byEndpoint[Endpoint.updateSenderPool.rawValue] == 2)
        #expect(change.recordsAppliedAfterVerify)
    }

    @Test func aMoveKeepsDeclaredProtection() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "A", protect: true, movedFrom: "old")],
            [LivePool(id: p1, name: "A", tags: ["poolctl": owned("old", protected: true)], members: [])])
        let change = try #require(result.changes.first)
        #expect(change.action == .move)
        #expect(change.desiredTags["poolctl"] == owned("new", protected: true))
        #expect(!result.changes.contains { $0.action.deletesPool || $0.action == .deleteBlocked })
    }

    @Test func aMoveAlreadyDoneWarnsAndPlansTheLeftoverOldPoolUnderPruneRules() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "A", movedFrom: "old")],
            [
                LivePool(id: p1, name: "A", tags: ["poolctl": owned("new")], members: []),
                LivePool(id: p2, name: "B", tags: ["poolctl": owned("old")], members: []),
            ])
        #expect(result.changes.map { "\($0.key) \($0.action)" } == ["new noChange", "old delete"])
        let warning = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(warning.severity == .warning)
        #expect(warning.message.contains("the move from 'old' is done: remove 'movedFrom: old'"))
        #expect(warning.message.contains("\(p2) still carries the ownership of 'old'"))

        let clean = plan(
            [DesiredPool(key: "new", name: "A", movedFrom: "old")],
            [LivePool(id: p1, name: "A", tags: ["poolctl": owned("new")], members: [])])
        #expect(clean.changes.map(\.action) == [.noChange])
        #expect(!clean.hasChanges)
        #expect(clean.diagnostics.map(\.severity) == [.warning])
    }

    @Test func aMoveWithNothingToMoveIsACreateWithAWarning() throws {
        let result = plan([DesiredPool(key: "new", name: "A", movedFrom: "old")], [])
        #expect(result.changes.map(\.action) == [.create])
        #expect(result.changes.first?.movedFrom == nil)
        #expect(result.diagnostics.map(\.severity) == [.warning])
        #expect(result.diagnostics.first?.message.contains("no live pool carries the ownership of 'old' or 'new'") == true)
    }

    @Test func severalPoolsOfTheOldKeyAreAConflictAndNoneIsPruned() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "A", movedFrom: "old")],
            [
                LivePool(id: p1, name: "A", tags: ["poolctl": owned("old")], createdAt: "2025-01-01T00:00:00Z", members: []),
                LivePool(id: p2, name: "A", tags: ["poolctl": owned("old")], createdAt: "2025-01-02T00:00:00Z", members: []),
            ])
        #expect(result.changes.map(\.action) == [.conflict])
        #expect(result.hasConflicts)
        let conflict = try #require(result.diagnostics.first)
        #expect(conflict.poolIDs == [p1, p2])
        #expect(conflict.message.contains("poolctl does not guess"))
        #expect(!result.hasChanges)
        // Both are fingerprinted, so a saved plan notices if either changes.
        #expect(result.fingerprints.map(\.poolID) == [p1, p2])
    }
}

/// `ignoreTags`: tags another tool writes are sent at create time only.
@Suite struct IgnoreTagsPlannerTests {
    @Test func anIgnoredTagIsSentOnCreate() throws {
        let result = plan([DesiredPool(key: "a", name: "A", tags: ["owner": "ops", "team": "x"], ignoreTags: ["owner"])], [])
        let change = try #require(result.changes.first)
        #expect(change.action == .create)
        #expect(change.desiredTags == ["owner": "ops", "poolctl": owned("a"), "team": "x"])
        #expect(change.ignoredTags == ["owner"])
        #expect(change.liveIgnoredTags.isEmpty)
    }

    @Test func anIgnoredTagIsNeitherDiffedNorOverwritten() throws {
        let pool = DesiredPool(key: "a", name: "A", tags: ["owner": "ops", "team": "y"], ignoreTags: ["owner", "cost"])
        let live = LivePool(id: p1, name: "A", tags: ["poolctl": owned("a"), "owner": "someone-else", "team": "x"], members: [])
        let result = plan([pool], [live])
        let change = try #require(result.changes.first)
        #expect(change.action == .update)
        #expect(change.tags == [TagChange(key: "team", before: "x", after: "y")])
        // The PATCH carries the live value of the ignored tag; `cost` is absent live and stays absent.
        // A tags-only change: the fingerprint rides in the same PATCH.
        #expect(
            change.desiredTags == ["owner": "someone-else", "poolctl": owned("a"), "team": "y", AppliedTag.tagKey: change.applied ?? "-"])
        #expect(change.liveIgnoredTags == ["owner"])
        #expect(PlanRenderer.text(result).contains("# ignored tag kept as live: owner=\"someone-else\""))

        // Only the ignored tag differs: no change at all.
        var same = live
        same.tags["team"] = "y"
        #expect(plan([pool], [same]).changes.map(\.action) == [.noChange])
    }

    @Test func noNoteWithoutALiveIgnoredTag() {
        let result = plan(
            [DesiredPool(key: "a", name: "B", ignoreTags: ["owner"])],
            [LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], members: [])])
        #expect(result.changes.map(\.action) == [.update])
        #expect(!PlanRenderer.text(result).contains("ignored"))
        #expect(!PlanRenderer.markdown(result).contains("ignored"))
    }

    @Test func liveIgnoredTagsThatDoNotFitWithTheDeclaredOnesAreAConflict() throws {
        var declared: [String: String] = [:]
        for index in 1...7 { declared["t\(index)"] = "v" }
        var liveTags = ["poolctl": owned("a")]
        for index in 1...3 { liveTags["ext\(index)"] = "v" }
        let pool = DesiredPool(key: "a", name: "A", tags: declared, ignoreTags: ["ext1", "ext2", "ext3"])
        let result = plan([pool], [LivePool(id: p1, name: "A", tags: liveTags, members: [])])
        #expect(result.changes.map(\.action) == [.conflict])
        let conflict = try #require(result.diagnostics.first)
        #expect(conflict.severity == .error)
        #expect(conflict.poolIDs == [p1])
        #expect(conflict.message.contains("would carry 11 tags, more than the API's 10"))
        #expect(conflict.message.contains("ignored tags (ext1, ext2, ext3)"))

        // Six declared tags fit.
        var fewer = pool
        fewer.tags["t7"] = nil
        #expect(plan([fewer], [LivePool(id: p1, name: "A", tags: liveTags, members: [])]).changes.map(\.action) == [.update])
    }

    @Test func aMoveKeepsIgnoredTagsInItsPatch() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "A", tags: ["team": "b"], movedFrom: "old", ignoreTags: ["owner"])],
            [LivePool(id: p1, name: "A", tags: ["poolctl": owned("old"), "owner": "ext", "team": "a"], members: [])])
        let change = try #require(result.changes.first)
        #expect(change.action == .move)
        #expect(change.desiredTags == ["owner": "ext", "poolctl": owned("new"), "team": "b", AppliedTag.tagKey: change.applied ?? "-"])
        #expect(change.tags.map(\.key) == ["poolctl", "team"])
    }

    @Test func theSavedPlanKeepsMovesAndIgnoredTags() throws {
        let result = plan(
            [DesiredPool(key: "new", name: "A", movedFrom: "old", ignoreTags: ["owner"])],
            [LivePool(id: p1, name: "A", tags: ["poolctl": owned("old"), "owner": "ext"], members: [])])
        let file = PlanFile(plan: result, poolctlVersion: "test")
        let json = file.json()
        #expect(json.contains("\"action\" : \"move\""))
        #expect(json.contains("\"movedFrom\" : \"old\""))
        #expect(json.contains("\"ignoredTags\" : [\n        \"owner\"\n      ]"))
        #expect(json.contains("\"move\" : 1"))
        let read = try PlanFile.decode(Array(json.utf8))
        #expect(read.plan.changes == result.changes)
    }
}

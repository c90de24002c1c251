import Foundation
import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Testing

private let s1 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01"
private let s2 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v02"
private let s3 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v03"
private let s9 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v09"
private let p1 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let ownership = Ownership(stack: "web", key: "a").tagValue

/// What the last apply made pool `a`: named A, tagged team=x, members s1 and s2.
private let applied = AppliedTag(name: "A", tags: ["team": "x"], ignoring: [], members: [s1, s2]).tagValue

private func live(name: String = "A", tags: [String: String] = ["team": "x"], members: [String] = [s1, s2], fingerprint: Bool = true)
    -> LivePool
{
    var all = tags
    all["poolctl"] = ownership
    if fingerprint { all[AppliedTag.tagKey] = applied }
    return LivePool(id: p1, name: name, tags: all, members: members.map { LiveMember(id: $0) })
}

private func desired(
    name: String = "A", tags: [String: String] = ["team": "x"], senders: [String] = [s1, s2], membership: Membership = .exact
) -> DesiredPool {
    DesiredPool(key: "a", name: name, tags: tags, senders: senders, membership: membership)
}

private func change(_ pool: DesiredPool, _ live: LivePool, baseline: Bool = false) throws -> PoolChange {
    let plan = Planner(baseline: baseline).plan(
        desired: DesiredState(stack: "web", prune: false, pools: [pool]), live: LiveState(pools: [live]))
    return try #require(plan.changes.first)
}

/// Issue 21: each changed field's cause, from the `poolctl-applied` fingerprint.
@Suite struct DriftPlannerTests {
    @Test func aConvergedPoolWithItsFingerprintIsNoChange() throws {
        let unchanged = try change(desired(), live())
        #expect(unchanged.action == .noChange)
        #expect(unchanged.tags.isEmpty, "the fingerprint is never a tag difference")
        #expect(unchanged.applied == nil && !unchanged.recordsAppliedAfterVerify)
        #expect(unchanged.desiredTags[AppliedTag.tagKey] == applied, "carried through any PATCH")
    }

    @Test func eachFieldIsManifestDriftBothOrUnknown() throws {
        // name
        #expect(try change(desired(name: "B"), live()).cause == [.name: .manifest])
        #expect(try change(desired(), live(name: "Z")).cause == [.name: .drift])
        #expect(try change(desired(name: "B"), live(name: "Z")).cause == [.name: .both])
        #expect(try change(desired(name: "B"), live(fingerprint: false)).cause == [.name: .unknown])
        // tags
        #expect(try change(desired(tags: ["team": "y"]), live()).cause == [.tags: .manifest])
        #expect(try change(desired(), live(tags: ["team": "hand"])).cause == [.tags: .drift])
        #expect(try change(desired(tags: ["team": "y"]), live(tags: ["team": "hand"])).cause == [.tags: .both])
        // members (exact)
        #expect(try change(desired(senders: [s1, s2, s3]), live()).cause == [.members: .manifest])
        #expect(try change(desired(senders: [s1]), live()).cause == [.members: .manifest])
        let handAdded = try change(desired(), live(members: [s1, s2, s9]))
        #expect(handAdded.cause == [.members: .drift] && handAdded.drift == [.members])
        #expect(try change(desired(), live(members: [s1])).cause == [.members: .drift])
        // Both moved: what an unfinished apply leaves too, so not blamed on drift.
        let bothMoved = try change(desired(senders: [s1, s2, s3]), live(members: [s1, s2, s9]))
        #expect(bothMoved.cause == [.members: .unknown] && bothMoved.drift.isEmpty)
        // several fields at once, each on its own
        let mixed = try change(desired(name: "B", senders: [s1, s2]), live(members: [s1, s2, s9]))
        #expect(mixed.cause == [.name: .manifest, .members: .drift])
        #expect(mixed.drift == [.members])
    }

    /// Additive pools: drift is a declared sender gone missing; senders added
    /// by hand stay, and a sender newly declared is the manifest's.
    @Test func additivePoolsDriftOnlyWhenADeclaredSenderGoesMissing() throws {
        #expect(try change(desired(membership: .additive), live(members: [s1, s2, s9])).action == .noChange)
        #expect(try change(desired(membership: .additive), live(members: [s1])).cause == [.members: .drift])
        #expect(
            try change(desired(senders: [s1, s2, s3], membership: .additive), live(members: [s1, s2, s9])).cause == [.members: .manifest])
    }

    /// An additive pool's fingerprint hashes the senders declared at the last
    /// apply. Once the manifest changes them, a live member set that does not
    /// hash to it cannot say whether a declared sender went missing: the
    /// cause is unknown, never a drift that did not happen.
    @Test func anAdditivePoolWhoseDeclaredSendersChangedIsNeverBlamedOnDrift() throws {
        // s2 no longer declared (an additive pool keeps it), s3 newly declared: the manifest's alone.
        let swapped = try change(desired(senders: [s1, s3], membership: .additive), live(members: [s1, s2, s9]))
        #expect(swapped.cause == [.members: .unknown] && swapped.drift.isEmpty)
        // s9, added by hand earlier, is now declared along with s3: still nothing outside poolctl since.
        let adopted = try change(desired(senders: [s1, s2, s3, s9], membership: .additive), live(members: [s1, s2, s9]))
        #expect(adopted.cause == [.members: .unknown] && adopted.drift.isEmpty)
        // Indistinguishable from the two above by the hashes: s2 really went missing as s3 was declared.
        let missing = try change(desired(senders: [s1, s2, s3], membership: .additive), live(members: [s1, s9]))
        #expect(missing.cause == [.members: .unknown])
    }

    /// A pool that does not exist has no fingerprint: every field is unknown.
    @Test func aCreateIsUnknownAndRecordsItsFingerprintAfterVerification() throws {
        let plan = Planner().plan(desired: DesiredState(stack: "web", prune: false, pools: [desired()]), live: LiveState(pools: []))
        let create = try #require(plan.changes.first)
        #expect(create.cause == [.name: .unknown, .tags: .unknown, .members: .unknown] && create.drift.isEmpty)
        #expect(create.applied == applied && create.recordsAppliedAfterVerify)
        #expect(plan.estimate.byEndpoint[Endpoint.updateSenderPool.rawValue] == 1, "the fingerprint's PATCH is in the budget")
    }

    /// A name/tags-only change knows the fingerprint in advance: it rides in
    /// that PATCH. A member change records it with a PATCH of its own.
    @Test func theFingerprintRidesInAPatchSentAnyway() throws {
        let renamed = try change(desired(name: "B"), live())
        let target = AppliedTag(name: "B", tags: ["team": "x"], ignoring: [], members: [s1, s2]).tagValue
        #expect(renamed.applied == target && renamed.desiredTags[AppliedTag.tagKey] == target)
        #expect(!renamed.recordsAppliedAfterVerify)
        let added = try change(desired(senders: [s1, s2, s3]), live())
        #expect(added.desiredTags[AppliedTag.tagKey] == applied, "the old value until the members converge")
        #expect(added.recordsAppliedAfterVerify)
        // Drift set back: the fingerprint is already right, so nothing is written for it.
        let reverted = try change(desired(), live(members: [s1, s2, s9]))
        #expect(reverted.applied == applied && !reverted.recordsAppliedAfterVerify)
    }

    /// Nine declared tags and the ownership tag fill the API's ten: the pool
    /// keeps working, without a fingerprint.
    @Test func aPoolWithNoTagSlotLeftRecordsNoFingerprint() throws {
        let nine = Dictionary(uniqueKeysWithValues: (1...9).map { ("t\($0)", "v") })
        let full = try change(desired(tags: nine), live(fingerprint: false))
        #expect(full.action == .update && full.applied == nil && !full.recordsAppliedAfterVerify)
        #expect(full.desiredTags.count == APIFormat.maxTags)
        #expect(full.cause == [.tags: .unknown])
    }

    @Test func baselineRecordsAMissingOrStaleFingerprintOnly() throws {
        let lacking = try change(desired(), live(fingerprint: false), baseline: true)
        #expect(lacking.action == .update && lacking.applied == applied && lacking.recordsAppliedAfterVerify)
        #expect(lacking.tags.isEmpty && !lacking.patchesPool && lacking.cause.isEmpty)
        #expect(try change(desired(), live(), baseline: true).action == .noChange)
        #expect(try change(desired(), live(fingerprint: false)).action == .noChange, "only with --baseline")
    }

    /// Review of issue 21: what the manifests take up, or stop ignoring, is
    /// not drift; protection removed by hand is.
    @Test func manifestChangesToIgnoreTagsAndAcceptedDriftAreNotDrift() throws {
        // `team` leaves ignoreTags while another tool's value is live: the manifest's doing.
        var ignoring = desired(tags: [:])
        ignoring.ignoreTags = ["team"]
        let recordedIgnoring = AppliedTag(name: "A", tags: [:], ignoring: ["team"], members: [s1, s2]).tagValue
        var pool = live(tags: ["team": "x"], fingerprint: false)
        pool.tags[AppliedTag.tagKey] = recordedIgnoring
        let unignored = try change(desired(tags: [:]), pool)
        #expect(unignored.cause == [.tags: .unknown] && unignored.drift.isEmpty)
        // A hand change the manifests then declare: converged, the stale fingerprint
        // is refreshed, so the next manifest change reads as the manifest's.
        let accepted = try change(desired(senders: [s1, s2, s9]), live(members: [s1, s2, s9]))
        #expect(accepted.action == .update && accepted.cause.isEmpty && accepted.recordsAppliedAfterVerify)
        #expect(accepted.applied == AppliedTag(name: "A", tags: ["team": "x"], ignoring: [], members: [s1, s2, s9]).tagValue)
        // Protection removed by hand (the ownership tag lost `~protected`) is tags drift.
        var protectedPool = desired()
        protectedPool.protect = true
        var unprotected = live(fingerprint: false)
        unprotected.tags[AppliedTag.tagKey] =
            AppliedTag(name: "A", tags: ["team": "x"], ignoring: [], protected: true, members: [s1, s2]).tagValue
        let restored = try change(protectedPool, unprotected)
        #expect(restored.cause == [.tags: .drift] && restored.drift == [.tags], "\(restored.cause)")
    }

    /// A PATCH that removes a tag may leave it (an API that merges tags): the
    /// fingerprint then waits for verification instead of riding in it.
    @Test func aTagRemovingPatchDoesNotCarryTheFingerprint() throws {
        let removing = try change(desired(tags: [:]), live())
        #expect(removing.tags.map(\.after) == [nil] && removing.recordsAppliedAfterVerify)
        #expect(removing.desiredTags[AppliedTag.tagKey] == applied)
    }

    /// Ignored keys keep their slots free for their other owner.
    @Test func ignoredKeysCountAgainstTheFingerprintSlot() throws {
        var pool = desired(tags: Dictionary(uniqueKeysWithValues: (1...8).map { ("t\($0)", "v") }))
        #expect(try change(pool, live(fingerprint: false)).applied != nil, "8 declared + ownership + fingerprint fit")
        pool.ignoreTags = ["cost-center"]
        #expect(try change(pool, live(fingerprint: false)).applied == nil, "9 keys + ownership leave no slot")
    }

    /// The streamed planner keeps only a summary of each pool's members; it
    /// must classify exactly as the planner that holds them all.
    @Test func theStreamedPlanClassifiesAsTheWholeOne() async throws {
        let cases: [(DesiredPool, LivePool)] = [
            (desired(), live(members: [s1, s2, s9])), (desired(senders: [s1, s2, s3]), live(members: [s1, s9])),
            (desired(senders: [s3], membership: .additive), live(members: [s1])), (desired(name: "B"), live()),
        ]
        for (pool, whole) in cases {
            let state = DesiredState(stack: "web", prune: false, pools: [pool])
            let expected = Planner().plan(desired: state, live: LiveState(pools: [whole]))
            var listing = whole
            listing.members = nil
            let streamed = try await Planner().plan(
                desired: state, listing: LiveState(pools: [listing]), source: LivePoolsInMemory([(p1, whole.members ?? [])]))
            #expect(streamed.changes.map(\.cause) == expected.changes.map(\.cause))
            #expect(streamed.changes.map(\.applied) == expected.changes.map(\.applied))
        }
    }

    @Test func theDriftBlockSaysWhatMovedAndWhatApplyDoes() throws {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [desired(name: "B")]),
            live: LiveState(pools: [live(name: "Z", members: [s1, s2, s9])]))
        #expect(
            DriftRenderer.planLines(plan) == [
                "a (\(p1)): name (the manifests changed it too): is \"Z\"; apply renames it to \"B\"; members: apply removes 1 undeclared sender"
            ])
        #expect(PlanRenderer.text(plan).contains("Changed outside poolctl since the last apply (this plan sets it back):\n  ≠ a ("))
        let report = DriftReport(plan: plan)
        #expect(report.pools.map(\.fields) == [["name", "members"]])
        #expect(DriftRenderer.json(report).contains("\"formatVersion\" : 1"))
    }

    /// An exported stack keeps its `adopt:` lines: a pool adopted once and
    /// deleted by hand since is `missing` to drift, as any other, while plan
    /// still refuses it (a conflict: the adopt target is gone).
    @Test func anAdoptedPoolDeletedByHandIsMissingNotAConflictToDrift() {
        var pool = desired()
        pool.adopt = p1
        let plan = Planner().plan(desired: DesiredState(stack: "web", prune: false, pools: [pool]), live: LiveState(pools: []))
        #expect(plan.hasConflicts && plan.missingAdoptions == ["a": p1])
        let report = DriftReport(plan: plan)
        #expect(report.pools.map(\.fields) == [[DriftReport.missing]] && report.hasDrift)
        // Still owned under its key by another pool: a conflict to drift too.
        let owned = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [pool]),
            live: LiveState(pools: [LivePool(id: "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v02", name: "A", tags: ["poolctl": ownership])]))
        #expect(owned.hasConflicts && owned.missingAdoptions.isEmpty)
        // Listings that cannot prove it absent (offset paging under churn may skip it): not missing.
        let unproven = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [pool]), live: LiveState(pools: []),
            absence: .unconfirmed("pages shifted"))
        #expect(unproven.hasConflicts && unproven.missingAdoptions.isEmpty)
    }

    /// Protection lives in the ownership tag, which the tag list leaves out:
    /// its hand removal is said in words, not as an empty "apply sets ".
    @Test func protectionRemovedByHandIsSaidInWords() throws {
        var pool = desired()
        pool.protect = true
        // Applied protected; the ~protected suffix was then removed by hand.
        var unprotected = live()
        unprotected.tags[AppliedTag.tagKey] =
            AppliedTag(name: "A", tags: ["team": "x"], ignoring: [], protected: true, members: [s1, s2]).tagValue
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [pool]), live: LiveState(pools: [unprotected]))
        #expect(try #require(plan.changes.first).drift == [.tags])
        #expect(DriftRenderer.planLines(plan) == ["a (\(p1)): tags: apply sets protection back (protect: true)"])
    }

    /// A changed pool without a fingerprint (never recorded, or removed by
    /// another tool): its cause cannot be told, so the report must not say
    /// that no pool changed.
    @Test func aReportWithPoolsThatCannotBeToldDoesNotClaimNothingChanged() {
        let plan = Planner().plan(
            desired: DesiredState(stack: "web", prune: false, pools: [desired(name: "B")]),
            live: LiveState(pools: [live(name: "Z", fingerprint: false)]))
        let report = DriftReport(plan: plan)
        #expect(report.pools.isEmpty && report.unknown == ["a"])
        #expect(DriftRenderer.text(report).contains("\nNo drift found: not every changed pool could be checked (below).\n"))
        #expect(DriftRenderer.markdown(report).contains("**No drift found.** Not every changed pool could be checked (below).\n"))
        #expect(!DriftRenderer.text(report).contains("no pool changed"))
        #expect(!DriftRenderer.markdown(report).contains("No pool changed"))
    }

    /// A plan where 25 pools drifted still fits a PR comment.
    @Test func driftListsAreCutWithAnExactCount() {
        let keys = (0..<25).map { String(format: "k%02d", $0) }
        let pools = keys.map { DesiredPool(key: $0, name: $0, senders: [s1, s2]) }
        let live = keys.enumerated().map { index, key in
            LivePool(
                id: "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v\(String(format: "%02d", index))", name: key,
                tags: [
                    "poolctl": Ownership(stack: "web", key: key).tagValue,
                    AppliedTag.tagKey: AppliedTag(name: key, tags: [:], ignoring: [], members: [s1, s2]).tagValue,
                ], members: [LiveMember(id: s1)])
        }
        let plan = Planner().plan(desired: DesiredState(stack: "web", prune: false, pools: pools), live: LiveState(pools: live))
        let lines = DriftRenderer.planLines(plan)
        #expect(lines.count == PlanRenderer.keyListLimit + 1)
        #expect(lines.last == "… and 5 more drifted pools (the JSON plan lists every one)")
        let markdown = DriftRenderer.markdown(DriftReport(plan: plan))
        #expect(markdown.contains("… and 5 more drifted pools (`poolctl drift --format json` lists every one)."))
        #expect(DriftRenderer.json(DriftReport(plan: plan)).components(separatedBy: "\"fields\"").count == 26)
    }

    /// Eight 256-character tags per pool changed by hand in 25 pools: each
    /// table row is cut, so the drift issue still fits a comment.
    @Test func theDriftMarkdownFitsACommentWhateverTheTags() {
        let keys = (0..<25).map { String(format: "k%02d", $0) }
        let declared = Dictionary(uniqueKeysWithValues: (0..<8).map { ("t\($0)", String(repeating: "~", count: 256)) })
        let handSet = declared.mapValues { _ in String(repeating: "_", count: 256) }
        let pools = keys.map { DesiredPool(key: $0, name: $0, tags: declared) }
        let live = keys.enumerated().map { index, key in
            var tags = handSet
            tags["poolctl"] = Ownership(stack: "web", key: key).tagValue
            tags[AppliedTag.tagKey] = AppliedTag(name: key, tags: declared, ignoring: [], members: []).tagValue
            return LivePool(
                id: "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v\(String(format: "%02d", index))", name: key, tags: tags, members: [])
        }
        let plan = Planner().plan(desired: DesiredState(stack: "web", prune: false, pools: pools), live: LiveState(pools: live))
        let markdown = DriftRenderer.markdown(DriftReport(plan: plan))
        #expect(markdown.contains("… and 5 more drifted pools"))
        #expect(markdown.unicodeScalars.count < 20_000, "\(markdown.unicodeScalars.count)")
    }

    @Test func fingerprintsReadBackAndRejectForeignValues() {
        let tag = AppliedTag(name: "A", tags: [:], ignoring: [], members: [])
        #expect(AppliedTag(tagValue: tag.tagValue) == tag)
        #expect(tag.tagValue.utf8.count == 2 + 3 * 13)
        for foreign in [
            "", "d1", "d2.000000000000.000000000000.000000000000", "d1.00000000000.000000000000.000000000000",
            "d1.ABCDEF000000.000000000000.000000000000",
        ] {
            #expect(AppliedTag(tagValue: foreign) == nil, "\(foreign)")
        }
        // Ignored and poolctl's own tags never change the tags hash.
        #expect(
            AppliedTag.hashTags(["team": "x", "owner": "bot", "poolctl": "v1~web~a", AppliedTag.tagKey: "d1"], ignoring: ["owner"])
                == AppliedTag.hashTags(["team": "x", "owner": "other-bot"], ignoring: ["owner"]))
        // The ignore list is hashed apart (the first digits), and protection is part of the tags.
        let plain = AppliedTag.hashTags(["team": "x"], ignoring: [])
        let ignoring = AppliedTag.hashTags(["team": "x"], ignoring: ["owner"])
        #expect(plain.prefix(AppliedTag.ignoreListDigits) != ignoring.prefix(AppliedTag.ignoreListDigits))
        #expect(plain.dropFirst(AppliedTag.ignoreListDigits) == ignoring.dropFirst(AppliedTag.ignoreListDigits))
        #expect(AppliedTag.hashTags(["team": "x"], ignoring: [], protected: true) != plain)
    }
}

/// Every byte of every word reaches the 48 bits a fingerprint keeps.
@Suite struct FingerprintHashTests {
    @Test func aChangeInAnyByteChangesTheHash() {
        let base = Array("comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01".utf8)
        let hashed = AppliedTag.hashName(String(decoding: base, as: UTF8.self))
        for index in base.indices {
            var changed = base
            changed[index] ^= 0x01
            #expect(AppliedTag.hashName(String(decoding: changed, as: UTF8.self)) != hashed, "byte \(index)")
        }
        // Item boundaries count: ["ab", "c"] is not ["a", "bc"].
        #expect(AppliedTag.hashMembers(["ab", "c"]) != AppliedTag.hashMembers(["a", "bc"]))
    }
}

import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Testing

private let s1 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01"
private let s2 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v02"
private let s3 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v03"
private let p1 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let p2 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v02"

private func owned(_ key: String, stack: String = "web", protected: Bool = false) -> String {
    Ownership(stack: stack, key: key, protected: protected).tagValue
}

/// One planner case: desired and live in, the expected actions and counts out.
struct PlannerCase: CustomTestStringConvertible, Sendable {
    var name: String
    var desired: DesiredState
    var live: [LivePool]
    var actions: [String: PlanAction]
    var add: Int = 0
    var remove: Int = 0
    var conflicts: Int = 0
    var warnings: Int = 0
    var apiCalls: Int
    var testDescription: String { name }
}

let plannerCases: [PlannerCase] = [
    PlannerCase(
        name: "create with senders",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", tags: ["t": "1"], senders: [s1, s2])]),
        live: [], actions: ["a": .create], add: 2,
        apiCalls: 5),  // create + 1 poll round + the verification listing + the fingerprint's PATCH and its read-back
    PlannerCase(
        name: "no change",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1])]),
        live: [LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], members: [LiveMember(id: s1)])],
        actions: ["a": .noChange], apiCalls: 0),
    PlannerCase(
        name: "update name and tags",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "New", tags: ["x": "2"])]),
        live: [LivePool(id: p1, name: "Old", tags: ["poolctl": owned("a"), "x": "1", "gone": "y"], members: [])],
        // PATCH + verification listing; it removes a tag, so the fingerprint has its
        // own PATCH and read-back (an API may keep the removed tag).
        actions: ["a": .update], apiCalls: 4),
    PlannerCase(
        name: "membership add and remove (exact)",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1, s3])]),
        live: [LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], members: [LiveMember(id: s1), LiveMember(id: s2)])],
        // add + poll round + remove + member re-read + verification listing + fingerprint and read-back
        actions: ["a": .update], add: 1, remove: 1, apiCalls: 7),
    PlannerCase(
        name: "additive never removes",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1], membership: .additive)]),
        live: [LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], members: [LiveMember(id: s2)])],
        actions: ["a": .update], add: 1, apiCalls: 5),
    PlannerCase(
        name: "adopt an unmanaged pool",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: p2)]),
        live: [LivePool(id: p2, name: "A", tags: [:], members: [])],
        actions: ["a": .adopt], apiCalls: 3),
    PlannerCase(
        name: "adopt of a missing pool is a conflict",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: p2)]),
        live: [], actions: ["a": .conflict], conflicts: 1, apiCalls: 0),
    PlannerCase(
        name: "adopt of a pool owned elsewhere is a conflict",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: p2)]),
        live: [LivePool(id: p2, name: "A", tags: ["poolctl": owned("b", stack: "other")], members: [])],
        actions: ["a": .conflict], conflicts: 1, apiCalls: 0),
    PlannerCase(
        name: "adopt of a pool whose ownership tag is another version's is a conflict",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: p2)]),
        live: [LivePool(id: p2, name: "A", tags: ["poolctl": "v2~other~b"], members: [])],
        actions: ["a": .conflict], conflicts: 1, apiCalls: 0),
    PlannerCase(
        name: "adopt of a pool whose poolctl tag is not in poolctl's form rewrites it",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: p2)]),
        live: [LivePool(id: p2, name: "A", tags: ["poolctl": "not-ours"], members: [])],
        actions: ["a": .adopt], apiCalls: 3),
    PlannerCase(
        name: "adopt of a stack lease is a conflict",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", adopt: p2)]),
        live: [LivePool(id: p2, name: "poolctl lease: other (h)", tags: ["poolctl-lease": "v1~other~h~120"], members: [])],
        actions: ["a": .conflict], conflicts: 1, apiCalls: 0),
    PlannerCase(
        name: "prune deletes undeclared owned pools only",
        desired: DesiredState(stack: "web", prune: true, pools: []),
        live: [
            LivePool(id: p1, name: "Mine", tags: ["poolctl": owned("old")], members: [LiveMember(id: s1)]),
            LivePool(id: p2, name: "Theirs", tags: ["poolctl": owned("old", stack: "other")]),
        ],
        actions: ["old": .delete], apiCalls: 3),
    PlannerCase(
        name: "without prune nothing is deleted",
        desired: DesiredState(stack: "web", prune: false, pools: []),
        live: [LivePool(id: p1, name: "Mine", tags: ["poolctl": owned("old")], members: [])],
        actions: ["old": .noChange], apiCalls: 0),
    PlannerCase(
        name: "protected pools are never deleted",
        desired: DesiredState(stack: "web", prune: true, pools: []),
        live: [LivePool(id: p1, name: "Mine", tags: ["poolctl": owned("old", protected: true)], members: [])],
        actions: ["old": .deleteBlocked], apiCalls: 0),
    PlannerCase(
        name: "unmanaged pool with the same name warns",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "Legacy")]),
        live: [LivePool(id: p1, name: "Legacy", tags: [:])],
        actions: ["a": .create], warnings: 1, apiCalls: 5),
    PlannerCase(
        name: "a same-name pool with another version's ownership tag is not suggested for adoption",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "Legacy")]),
        live: [LivePool(id: p1, name: "Legacy", tags: ["poolctl": "v2~other~x"])],
        actions: ["a": .create], warnings: 0, apiCalls: 5),
    PlannerCase(
        name: "protecting a pool changes its ownership tag",
        desired: DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", protect: true)]),
        live: [LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], members: [])],
        actions: ["a": .update], apiCalls: 2),
]

@Suite struct PlannerTests {
    @Test(arguments: plannerCases)
    func plans(_ testCase: PlannerCase) {
        let plan = Planner().plan(desired: testCase.desired, live: LiveState(pools: testCase.live))
        var actions: [String: PlanAction] = [:]
        for change in plan.changes { actions[change.key] = change.action }
        #expect(actions == testCase.actions)
        #expect(plan.summary.addSenders == testCase.add)
        #expect(plan.summary.removeSenders == testCase.remove)
        #expect(plan.summary.conflicts == testCase.conflicts)
        #expect(plan.summary.warnings == testCase.warnings)
        #expect(plan.estimate.total == testCase.apiCalls)
    }

    @Test func duplicatesAreRepairedKeepingTheOldest() {
        let desired = DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1])])
        let live = LiveState(pools: [
            LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], createdAt: "2026-02-01T00:00:00Z", members: [LiveMember(id: s1)]),
            LivePool(id: p2, name: "A copy", tags: ["poolctl": owned("a")], createdAt: "2026-01-01T00:00:00Z", members: []),
        ])
        let plan = Planner().plan(desired: desired, live: live)
        // p2 is older: it is kept (renamed, s1 added) and p1 goes.
        #expect(plan.changes.map(\.action) == [.deleteDuplicate, .update])
        #expect(plan.changes.map(\.poolID) == [p1, p2])
        let duplicate = plan.changes[0]
        #expect(duplicate.createdAt == "2026-02-01T00:00:00Z")
        #expect(duplicate.membersBefore == 1)
        #expect(duplicate.reason?.contains("duplicate of \(p2) (created 2026-01-01T00:00:00Z)") == true)
        #expect(plan.summary.conflicts == 0)
        #expect(plan.summary.delete == 1)
        #expect(plan.estimate.byEndpoint[Endpoint.deleteSenderPool.rawValue] == 1)
        #expect(PlanRenderer.summaryLine(plan).contains("1 to delete (1 duplicate)"))
    }

    @Test func aDuplicateHoldingAnUndeclaredSenderStaysAConflict() {
        let desired = DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1])])
        let live = LiveState(pools: [
            LivePool(id: p1, name: "A", tags: ["poolctl": owned("a")], createdAt: "2026-01-01T00:00:00Z", members: [LiveMember(id: s1)]),
            LivePool(id: p2, name: "A", tags: ["poolctl": owned("a")], createdAt: "2026-01-02T00:00:00Z", members: [LiveMember(id: s2)]),
        ])
        let plan = Planner().plan(desired: desired, live: live)
        #expect(plan.changes.map(\.action) == [.conflict])
        #expect(plan.summary.conflicts == 1)
        let message = plan.diagnostics.first?.message ?? ""
        #expect(message.contains("keeps the oldest, \(p1)"))
        #expect(message.contains("\(p2) holds \(s2)"))
        #expect(plan.diagnostics.first?.poolIDs.sorted() == [p1, p2])
    }

    /// A hand-copied ownership tag on an older pool must not get the pool
    /// poolctl made, protected, deleted as the newer duplicate.
    @Test func aProtectedDuplicateIsNeverDeleted() {
        let desired = DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1], protect: true)])
        let live = LiveState(pools: [
            LivePool(id: p1, name: "legacy", tags: ["poolctl": owned("a")], createdAt: "2026-01-01T00:00:00Z", members: []),
            LivePool(
                id: p2, name: "A", tags: ["poolctl": "v1~web~a~protected"], createdAt: "2026-01-02T00:00:00Z", members: [LiveMember(id: s1)]
            ),
        ])
        let plan = Planner().plan(desired: desired, live: live)
        #expect(plan.changes.map(\.action) == [.conflict])
        #expect(!plan.changes.contains { $0.action.deletesPool })
        let message = plan.diagnostics.first?.message ?? ""
        #expect(
            message.contains("poolctl would keep the oldest, \(p1), but \(p2) is protected, and poolctl never deletes a protected pool"))
        #expect(plan.diagnostics.first?.poolIDs.sorted() == [p1, p2])
    }

    /// Swift holds "Café" composed and decomposed equal; the API stores the
    /// code points it was sent, so the plan renames a pool that differs only
    /// in Unicode normalization.
    @Test func aNameThatDiffersOnlyInNormalizationIsAChange() throws {
        let composed = "Caf\u{E9} \u{D1}and\u{FA}"
        let decomposed = "Cafe\u{301} N\u{303}andu\u{301}"
        #expect(composed == decomposed, "Swift's == is canonical equivalence")
        let desired = DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: composed)])
        let live = LiveState(pools: [LivePool(id: p1, name: decomposed, tags: ["poolctl": owned("a")], members: [])])
        let change = try #require(Planner().plan(desired: desired, live: live).changes.first)
        #expect(change.action == .update)
        #expect(change.name.changed && change.patchesPool)
        #expect(ValueChange(before: composed, after: composed).changed == false)
        // Both renderings look the same to a reader: the plan says why it is a change.
        let plan = Planner().plan(desired: desired, live: live)
        #expect(PlanRenderer.text(plan).contains("  # the same text in another Unicode normalization"))
        #expect(PlanRenderer.markdown(plan).contains("  (the same text in another Unicode normalization)"))
    }

    @Test func createCarriesTheOwnershipTagAndAliases() throws {
        let desired = DesiredState(
            stack: "web", prune: false,
            pools: [
                DesiredPool(key: "a", name: "A", tags: ["t": "1"], senders: [s1], protect: true, aliases: [s1: "main"])
            ])
        let change = try #require(Planner().plan(desired: desired, live: LiveState(pools: [])).changes.first)
        #expect(change.desiredTags == ["t": "1", "poolctl": "v1~web~a~protected"])
        #expect(change.addSenders == [MemberChange(id: s1, alias: "main")])
    }

    @Test func tagDiffsShowBeforeAndAfter() throws {
        let desired = DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", tags: ["x": "2", "new": "n"])])
        let live = LiveState(pools: [LivePool(id: p1, name: "A", tags: ["poolctl": owned("a"), "x": "1", "gone": "g"], members: [])])
        let change = try #require(Planner().plan(desired: desired, live: live).changes.first)
        #expect(
            change.tags == [
                TagChange(key: "gone", before: "g", after: nil),
                TagChange(key: "new", before: nil, after: "n"),
                TagChange(key: "x", before: "1", after: "2"),
            ])
    }

    /// One new pool `a` with 25,000 senders.
    private func bigCreate() -> DesiredState {
        let many = (0..<25_000).map { n -> String in
            let digits = String(n)
            return "comms_sender_01jd8a7k2m3n4p5q6r7" + String(repeating: "0", count: 9 - digits.count) + digits
        }
        return DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: many)])
    }

    @Test func bigCreatesAndAddsAreBatched() {
        let plan = Planner().plan(desired: bigCreate(), live: LiveState(pools: []))
        // 1 create with 10,000 inline, 1 lookup of its id for the 2 add
        // batches, 1 poll round for the 3 operations, 1 verification listing,
        // then the fingerprint's PATCH and the listing that reads it back.
        #expect(
            plan.estimate.byEndpoint == [
                Endpoint.createSenderPool.rawValue: 1, Endpoint.listSenderPools.rawValue: 3, Endpoint.addSenders.rawValue: 2,
                Endpoint.listOperations.rawValue: 1,
                Endpoint.updateSenderPool.rawValue: 1,
            ])
    }

    /// `apply --max-batch 1000`: the plan apply prints counts the batches it
    /// will send (audit, 7 Dec: it counted 10,000 a request whatever was set).
    @Test func theEstimateCountsBatchesOfMaxBatch() {
        let plan = Planner(maxBatch: 1_000).plan(desired: bigCreate(), live: LiveState(pools: []))
        // 1 create with 1,000 inline, then 24 add batches; their 25 operations are polled in 1 round.
        #expect(
            plan.estimate.byEndpoint == [
                Endpoint.createSenderPool.rawValue: 1, Endpoint.listSenderPools.rawValue: 3, Endpoint.addSenders.rawValue: 24,
                Endpoint.listOperations.rawValue: 1,
                Endpoint.updateSenderPool.rawValue: 1,
            ])
    }

    @Test func fingerprintsCoverEveryPoolReadAndChangeWithMembers() {
        let pool = LivePool(
            id: p1, name: "A", tags: ["poolctl": owned("a")], updatedAt: "2026-01-01T00:00:00Z", members: [LiveMember(id: s1)])
        let desired = DesiredState(stack: "web", prune: false, pools: [DesiredPool(key: "a", name: "A", senders: [s1])])
        let plan = Planner().plan(desired: desired, live: LiveState(pools: [pool]))
        #expect(plan.fingerprints.map(\.poolID) == [p1])
        var changed = pool
        changed.members = [LiveMember(id: s1), LiveMember(id: s2)]
        #expect(PoolFingerprint.digest(of: pool) != PoolFingerprint.digest(of: changed))
        // Pinned: a saved plan's digests must stay comparable across versions,
        // so any change of the hash or its canonical form must fail here.
        #expect(PoolFingerprint.digest(of: pool) == "fnv1a64:b64ff79dc12c1c90")
    }

    @Test func theLongestOwnershipValueFitsTheAPIsTagLimits() {
        let longest = String(repeating: "a", count: ResourceName.maxLength)
        let value = Ownership(stack: longest, key: longest, protected: true).tagValue
        #expect(ResourceName.isValid(longest))
        #expect(value.count <= APIFormat.maxTagValueLength)
        #expect(APIFormat.isTagText(value))
        #expect(APIFormat.isTagText(Ownership.tagKey))
        #expect(Ownership(tagValue: value) == Ownership(stack: longest, key: longest, protected: true))
        // Names use '.', '_' and '-', never '~', so the separator stays unambiguous.
        #expect(Ownership(tagValue: "v1~a.b_c-d~k") == Ownership(stack: "a.b_c-d", key: "k"))
        #expect(Ownership(tagValue: "v1~a~b~c") == nil)
        #expect(Ownership(tagValue: "v2~a~b") == nil)
    }

    /// The hand-written split agrees with splitting on every `~`, over
    /// random values built from the grammar's own pieces.
    @Test func ownershipValuesParseAsTheirGrammarSays() {
        func reference(_ value: String) -> Ownership? {
            let parts = value.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3 || (parts.count == 4 && parts[3] == "protected"), parts[0] == "v1",
                ResourceName.isValid(parts[1]), ResourceName.isValid(parts[2])
            else { return nil }
            return Ownership(stack: parts[1], key: parts[2], protected: parts.count == 4)
        }
        let pieces = ["v1", "v2", "~", "~", "~", "a", "web", "k-1", "protected", "Protected", "", ".", "é", "v1~"]
        var state: UInt64 = 7
        var parsed = 0
        for _ in 0..<20_000 {
            var value = ""
            state = state &* 6_364_136_223_846_793_005 &+ 1
            for shift in stride(from: 10, to: 60, by: 10) where (state >> UInt64(shift)) & 3 != 0 || shift == 10 {
                value += pieces[Int((state >> UInt64(shift + 2)) % UInt64(pieces.count))]
            }
            if state & 1 == 0 { value = "v1~" + value }
            let expected = reference(value)
            #expect(Ownership(tagValue: value) == expected, "\(value)")
            if expected != nil { parsed += 1 }
        }
        #expect(parsed > 100, "the values must include valid ones: \(parsed)")
        #expect(Ownership(tagValue: "v1~web~k~protected") == Ownership(stack: "web", key: "k", protected: true))
        #expect(Ownership(tagValue: "v1~web~k~") == nil && Ownership(tagValue: "v1~~k") == nil && Ownership(tagValue: "v1~web") == nil)
    }
}

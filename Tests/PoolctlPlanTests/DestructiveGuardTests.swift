import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Testing

private func deleting(_ key: String, id: String? = nil, action: PlanAction = .delete) -> PoolChange {
    PoolChange(key: key, action: action, poolID: id ?? "comms_senderpool_\(key)", name: ValueChange(before: key, after: nil))
}

/// A pool of `before` members losing `removed` of them.
private func removing(_ removed: Int, of before: Int, key: String = "big") -> PoolChange {
    PoolChange(
        key: key, action: .update, poolID: "comms_senderpool_\(key)", name: ValueChange(before: key, after: key),
        removeSenders: (0..<removed).map { MemberChange(id: "comms_sender_\($0)") }, membersBefore: before,
        membersAfter: before - removed)
}

private func rules(_ result: GuardResult) -> [String] {
    result.violations.map { "\($0.rule.rawValue) \($0.count)/\($0.total) max \($0.allowed)" }
}

@Suite struct DestructiveGuardTests {
    @Test(arguments: [
        // (deleted, owned, blocked): exactly half is allowed, more is blocked.
        (1, 2, false), (2, 2, true), (2, 4, false), (3, 4, true), (2, 5, false), (3, 5, true), (5, 10, false), (6, 10, true),
    ])
    func moreThanHalfOfTheOwnedPoolsIsBlocked(deleted: Int, owned: Int, blocked: Bool) {
        let changes = (0..<deleted).map { deleting("k\($0)") }
        let result = DestructiveGuard.evaluate(changes: changes, ownedPools: owned, policy: GuardPolicy())
        #expect(result.blocks == blocked)
        if blocked {
            #expect(rules(result) == ["deleted-pools \(deleted)/\(owned) max \(owned / 2)"])
            #expect(
                result.violations[0].message
                    == "would delete \(deleted) of the stack's \(owned) owned pools; the guard allows at most \(owned / 2) (half of them)")
        }
    }

    @Test func aStackOwningOnePoolMayDeleteIt() {
        let result = DestructiveGuard.evaluate(changes: [deleting("only")], ownedPools: 1, policy: GuardPolicy())
        #expect(!result.blocks && result.violations.isEmpty)
    }

    @Test func duplicatesAndProtectedPoolsAreNotCounted() {
        let changes = [
            deleting("a", id: "comms_senderpool_a2", action: .deleteDuplicate),
            deleting("b", id: "comms_senderpool_b2", action: .deleteDuplicate),
            deleting("c", action: .deleteBlocked), deleting("d"),
        ]
        let result = DestructiveGuard.evaluate(changes: changes, ownedPools: 2, policy: GuardPolicy())
        #expect(result.violations.isEmpty)
    }

    @Test func duplicatesOfOneUndeclaredKeyCountOnce() {
        let changes = [deleting("gone", id: "comms_senderpool_1"), deleting("gone", id: "comms_senderpool_2")]
        let result = DestructiveGuard.evaluate(changes: changes, ownedPools: 2, policy: GuardPolicy())
        #expect(result.violations.isEmpty)
    }

    @Test(arguments: [
        // (removed, before, blocked): pools under 10 members are never blocked.
        (9, 9, false), (5, 10, false), (6, 10, true), (10, 10, true), (500, 1000, false), (501, 1000, true),
    ])
    func moreThanHalfOfALargePoolsMembersIsBlocked(removed: Int, before: Int, blocked: Bool) {
        let result = DestructiveGuard.evaluate(changes: [removing(removed, of: before)], ownedPools: 1, policy: GuardPolicy())
        #expect(result.blocks == blocked)
        if blocked {
            #expect(rules(result) == ["removed-members \(removed)/\(before) max \(before / 2)"])
            #expect(result.violations[0].key == "big" && result.violations[0].poolIDs == ["comms_senderpool_big"])
            #expect(
                result.violations[0].message
                    == "would remove \(removed) of the \(before) members of pool 'big' (comms_senderpool_big); the guard allows at most \(before / 2) (half of them)"
            )
        }
    }

    @Test func maxDeletedPoolsReplacesTheHalfRule() {
        let three = (0..<3).map { deleting("k\($0)") }
        let policy = GuardPolicy(maxDeletedPools: 2)
        #expect(rules(DestructiveGuard.evaluate(changes: three, ownedPools: 100, policy: policy)) == ["deleted-pools 3/100 max 2"])
        #expect(DestructiveGuard.evaluate(changes: Array(three.prefix(2)), ownedPools: 2, policy: policy).violations.isEmpty)
        // 0 forbids any delete, even of a stack's only pool.
        let none = DestructiveGuard.evaluate(changes: [deleting("only")], ownedPools: 1, policy: GuardPolicy(maxDeletedPools: 0))
        #expect(rules(none) == ["deleted-pools 1/1 max 0"])
        #expect(none.violations[0].message.hasSuffix("the guard allows at most 0 (maxDeletedPools: 0)"))
        // The member rule keeps its default.
        #expect(rules(DestructiveGuard.evaluate(changes: [removing(6, of: 10)], ownedPools: 1, policy: policy)).count == 1)
    }

    @Test func maxRemovedFractionReplacesTheHalf() {
        let policy = GuardPolicy(maxRemovedFraction: 0.3)
        #expect(DestructiveGuard.evaluate(changes: [removing(3, of: 10)], ownedPools: 1, policy: policy).violations.isEmpty)
        let blocked = DestructiveGuard.evaluate(changes: [removing(4, of: 10)], ownedPools: 1, policy: policy)
        #expect(rules(blocked) == ["removed-members 4/10 max 3"])
        #expect(blocked.violations[0].message.hasSuffix("(maxRemovedFraction: 0.3)"))
        // 0.29 of 100 is exactly 29: allowed; floating point must not say otherwise.
        let edge = GuardPolicy(maxRemovedFraction: 0.29)
        #expect(DestructiveGuard.evaluate(changes: [removing(29, of: 100)], ownedPools: 1, policy: edge).violations.isEmpty)
        #expect(
            rules(DestructiveGuard.evaluate(changes: [removing(30, of: 100)], ownedPools: 1, policy: edge)) == [
                "removed-members 30/100 max 29"
            ])
        // Still only pools of at least 10; and the pool rule keeps its default.
        #expect(
            DestructiveGuard.evaluate(changes: [removing(9, of: 9)], ownedPools: 1, policy: GuardPolicy(maxRemovedFraction: 0)).violations
                .isEmpty)
        let pools = DestructiveGuard.evaluate(changes: [deleting("a"), deleting("b")], ownedPools: 3, policy: policy)
        #expect(rules(pools) == ["deleted-pools 2/3 max 1"])
    }

    @Test func liftingKeepsTheViolationsButDoesNotBlock() {
        let result = DestructiveGuard.evaluate(
            changes: [deleting("a"), deleting("b"), removing(8, of: 10)], ownedPools: 3, policy: GuardPolicy(), lifted: true)
        #expect(rules(result) == ["deleted-pools 2/3 max 1", "removed-members 8/10 max 5"])
        #expect(!result.blocks && result.lifted)
    }

    /// The planner: the denominator is every owned key of the stack, once,
    /// whatever the targeting; lease pools and other stacks do not count.
    @Test func thePlannerCountsOwnedKeysOfTheWholeStack() {
        func pool(_ id: String, _ tags: [String: String]) -> LivePool {
            LivePool(id: "comms_senderpool_\(id)", name: id, tags: tags, members: [])
        }
        let live = LiveState(pools: [
            pool("a1", ["poolctl": "v1~web~a"]), pool("a2", ["poolctl": "v1~web~a"]), pool("b", ["poolctl": "v1~web~b"]),
            pool("c", ["poolctl": "v1~web~c"]), pool("x", ["poolctl": "v1~other~x"]), pool("l", ["poolctl-lease": "v1~web~h~120"]),
        ])
        let desired = DesiredState(stack: "web", prune: true, pools: [DesiredPool(key: "a", name: "a")])
        let plan = Planner().plan(desired: desired, live: live)
        #expect(plan.destructiveGuard.ownedPools == 3)
        #expect(plan.changes.filter { $0.action == .delete }.map(\.key) == ["b", "c"])
        #expect(plan.changes.filter { $0.action == .deleteDuplicate }.count == 1)
        #expect(rules(plan.destructiveGuard) == ["deleted-pools 2/3 max 1"])
        // Targeted at b: one delete, judged against all 3 owned keys.
        let targeted = Planner().plan(
            desired: desired, live: live, targeting: Targeting(targets: ["b"], excludes: [], leftOut: ["a", "c"]))
        #expect(targeted.changes.map(\.key) == ["b"])
        #expect(targeted.destructiveGuard.ownedPools == 3 && targeted.destructiveGuard.violations.isEmpty)
    }
}

@Suite struct GuardRenderingTests {
    /// 30 pools emptied: every format names 20 and counts the rest exactly.
    @Test func longViolationListsAreCutWithExactCounts() {
        let changes = (0..<30).map { removing(10, of: 10, key: "pool-\($0 < 10 ? "0" : "")\($0)") }
        var plan = Plan(
            stack: "web", prune: false, changes: changes, diagnostics: [], fingerprints: [], estimate: CallEstimate())
        plan.destructiveGuard = DestructiveGuard.evaluate(changes: changes, ownedPools: 30, policy: GuardPolicy())
        #expect(plan.destructiveGuard.violations.count == 30 && plan.destructiveGuard.blocks)
        let markdown = PlanRenderer.markdown(plan)
        #expect(markdown.hasPrefix("<!-- poolctl-plan:web -->\n> [!CAUTION]\n"))
        #expect(markdown.components(separatedBy: "> - would remove").count - 1 == 20)
        #expect(markdown.contains("> - … and 10 more pools over the limit (the JSON plan lists every one)"))
        let text = PlanRenderer.text(plan)
        #expect(text.components(separatedBy: "   - would remove").count - 1 == 20)
        #expect(text.contains("!! Destructive-change guard: BLOCKED"))
        #expect(text.hasSuffix("; blocked by the destructive-change guard\n"))
        #expect(PlanFile(plan: plan, poolctlVersion: "test").guard.violations.count == 30)
    }

    @Test func aGuardWithoutViolationsShowsNothing() {
        let plan = Plan(stack: "web", prune: false, changes: [], diagnostics: [], fingerprints: [], estimate: CallEstimate())
        #expect(!PlanRenderer.text(plan).contains("guard") && !PlanRenderer.markdown(plan).contains("guard"))
    }
}

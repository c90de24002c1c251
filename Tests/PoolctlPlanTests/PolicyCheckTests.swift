import PoolctlModel
import Testing

@testable import PoolctlPlan

/// Issue 21: each `require` kind, in both severities, as a located
/// diagnostic that names the rule and points at the rule too.
struct PolicyCheckTests {
    static let ruleAt = SourceLocation(file: "policy.yaml", line: 4, column: 5)

    static func pool(
        _ key: String, name: String? = nil, tags: [String: String] = [:], senders: Int = 2, membership: Membership = .exact,
        protect: Bool = false
    ) -> DesiredPool {
        DesiredPool(
            key: key, name: name ?? key, tags: tags,
            senders: (0..<senders).map { "comms_sender_01h9krwprkeee8fzqspvwy6n\(String($0, radix: 10).leftPadded(3))" },
            membership: membership, protect: protect, location: SourceLocation(file: "m.yaml", line: 10 + key.count, column: 3))
    }

    static func check(
        _ requirement: PolicyRequirement, severity: PolicyRule.Severity = .error, match: PolicyMatch = PolicyMatch(), pools: [DesiredPool]
    )
        -> [Diagnostic]
    {
        let rule = PolicyRule(
            id: "the-rule", description: "Why it matters.", severity: severity, match: match, check: .require(requirement),
            location: ruleAt)
        return PolicyCheck.require(Policy(rules: [rule]), desired: DesiredState(stack: "s", prune: false, pools: pools))
    }

    /// What the README says of anchors: `$` also matches before a name's
    /// final line break, `\z` does not.
    @Test(arguments: [("^Pay$", "Pay", true), ("^Pay$", "Pay\n", true), ("\\APay\\z", "Pay\n", false), ("\\APay\\z", "Pay", true)])
    func anchorsMatchAsDocumented(pattern: String, name: String, matches: Bool) throws {
        let regex = try #require(PolicyPattern.regex(pattern))
        #expect(PolicyPattern.matches(regex, name) == matches)
    }

    @Test func eachRequirementInBothSeverities() {
        let cases: [(PolicyRequirement, DesiredPool, DesiredPool, String)] = [
            (
                PolicyRequirement(tags: ["team": "^[a-z]+$"]), Self.pool("a", tags: ["team": "auth"]), Self.pool("b"),
                "must set tag 'team' (matching /^[a-z]+$/)"
            ),
            (
                PolicyRequirement(tags: ["team": "^[a-z]+$"]), Self.pool("a", tags: ["team": "auth"]),
                Self.pool("b", tags: ["team": "Auth"]),
                "has tag team='Auth', which does not match /^[a-z]+$/"
            ),
            (
                PolicyRequirement(name: "^Pay"), Self.pool("a", name: "Payments"), Self.pool("b", name: "EU Payments"),
                "is named 'EU Payments', which does not match /^Pay/"
            ),
            (PolicyRequirement(protect: true), Self.pool("a", protect: true), Self.pool("b"), "must be protected (protect: true)"),
            (
                PolicyRequirement(minMembers: 2), Self.pool("a", senders: 2), Self.pool("b", senders: 1),
                "declares 1 sender, fewer than the 2 required (minMembers)"
            ),
            (
                PolicyRequirement(maxMembers: 2), Self.pool("a", senders: 2), Self.pool("b", senders: 3),
                "declares 3 senders, more than the 2 allowed (maxMembers)"
            ),
            (
                PolicyRequirement(membership: .additive), Self.pool("a", membership: .additive), Self.pool("b"),
                "has membership: exact; the rule requires additive"
            ),
        ]
        for (requirement, passing, failing, message) in cases {
            for severity in PolicyRule.Severity.allCases {
                let found = Self.check(requirement, severity: severity, pools: [failing, passing])
                #expect(found.count == 1, "\(requirement): \(found)")
                guard let violation = found.first else { continue }
                #expect(violation.severity == severity.diagnostic)
                #expect(violation.message == "policy rule 'the-rule': pool 'b' \(message)")
                #expect(violation.location == failing.location)
                #expect(
                    violation.notes == [Diagnostic.Note(message: "rule 'the-rule' is defined here: Why it matters.", location: Self.ruleAt)]
                )
            }
        }
    }

    @Test func onlyMatchedPoolsAreChecked() {
        let pools = [
            Self.pool("pay-eu", name: "EU prod payments", tags: ["env": "prod"]),
            Self.pool("pay-us", name: "US payments", tags: ["env": "production"]),
            Self.pool("auth", name: "Auth prod", tags: ["env": "prod"]),
            Self.pool("pay-dev", name: "Dev", tags: [:]),
        ]
        func violators(_ match: PolicyMatch) -> [String] {
            Self.check(PolicyRequirement(protect: true), match: match, pools: pools).map { $0.message.split(separator: "'")[3].description }
        }
        #expect(violators(PolicyMatch()) == ["auth", "pay-dev", "pay-eu", "pay-us"])
        #expect(violators(PolicyMatch(key: "pay-*")) == ["pay-dev", "pay-eu", "pay-us"])
        // Unanchored unless anchored: "prod" is in "production" too.
        #expect(violators(PolicyMatch(tags: ["env": "prod"])) == ["auth", "pay-eu", "pay-us"])
        #expect(violators(PolicyMatch(tags: ["env": "^prod$"])) == ["auth", "pay-eu"])
        #expect(violators(PolicyMatch(key: "pay-*", name: "prod", tags: ["env": "^prod$"])) == ["pay-eu"])
        // A tag the pool does not set never matches.
        #expect(violators(PolicyMatch(tags: ["env": ".*"])) == ["auth", "pay-eu", "pay-us"])
    }

    /// A pool matched before the plan stays matched: retagging it in the same
    /// plan that empties it does not escape the limit (review of issue 21).
    @Test func retaggingAPoolDoesNotEscapeALimit() {
        let rule = PolicyRule(id: "prod", match: PolicyMatch(tags: ["env": "^prod$"]), check: .limit(PolicyLimit(removeSenders: 1)))
        let removed = (0..<3).map { MemberChange(id: "comms_sender_01h9krwprkeee8fzqspvwy6nq\($0)") }
        let change = PoolChange(
            key: "pay", action: .update, poolID: "p", name: ValueChange(before: "pay", after: "pay"),
            tags: [TagChange(key: "env", before: "prod", after: "staging")], desiredTags: ["env": "staging"], removeSenders: removed,
            membersBefore: 4, membersAfter: 1)
        let plan = Plan(
            stack: "s", prune: false, changes: [change], diagnostics: [], fingerprints: [], estimate: CallEstimate(byEndpoint: [:]))
        let found = PolicyCheck.limits(Policy(rules: [rule]), plan: plan, desired: DesiredState(stack: "s", prune: false, pools: []))
        #expect(
            found.map(\.message) == [
                "policy rule 'prod': the plan removes 3 senders from pool 'pay'; at most 1 may go (limit.removeSenders)"
            ])
        // A require rule is never lifted, whatever the override list says.
        let require = PolicyRule(id: "req", check: .require(PolicyRequirement(protect: true)))
        let violation = PolicyCheck.violation(require, "x", at: nil)
        #expect(PolicyCheck.lift(require, violation, allowed: ["req"]).severity == .error)
    }

    static func removing(_ removed: Int, of before: Int, key: String = "pay") -> PoolChange {
        PoolChange(
            key: key, action: .update, poolID: "p-\(key)", name: ValueChange(before: key, after: key), desiredTags: ["env": "prod"],
            removeSenders: (0..<removed).map { MemberChange(id: "comms_sender_01h9krwprkeee8fzqspvwy6n\(String($0).leftPadded(3))") },
            membersBefore: before, membersAfter: before - removed)
    }

    static func deleting(_ key: String, _ action: PlanAction) -> PoolChange {
        PoolChange(
            key: key, action: action, poolID: "p-\(key)-\(action.rawValue)", name: ValueChange(before: key, after: nil),
            desiredTags: ["env": "prod"], membersBefore: 0, membersAfter: 0)
    }

    static func limitMessages(_ limit: PolicyLimit, _ changes: [PoolChange]) -> [String] {
        let rule = PolicyRule(id: "l", match: PolicyMatch(tags: ["env": "^prod$"]), check: .limit(limit))
        let plan = Plan(
            stack: "s", prune: true, changes: changes, diagnostics: [], fingerprints: [], estimate: CallEstimate(byEndpoint: [:]))
        return PolicyCheck.limits(Policy(rules: [rule]), plan: plan, desired: DesiredState(stack: "s", prune: true, pools: [])).map(
            \.message)
    }

    /// Limits are inclusive: the limit itself is allowed, one more is not.
    @Test func limitsAllowExactlyTheirValue() {
        #expect(Self.limitMessages(PolicyLimit(removeSenders: 2), [Self.removing(2, of: 10)]).isEmpty)
        #expect(
            Self.limitMessages(PolicyLimit(removeSenders: 2), [Self.removing(3, of: 10)]) == [
                "policy rule 'l': the plan removes 3 senders from pool 'pay'; at most 2 may go (limit.removeSenders)"
            ])
        #expect(
            Self.limitMessages(PolicyLimit(removeSenders: 0), [Self.removing(1, of: 10)]) == [
                "policy rule 'l': the plan removes 1 sender from pool 'pay'; at most 0 may go (limit.removeSenders)"
            ])
        // 0.1 of 10 is exactly 1, and 0.29 of 100 is 29: float noise never
        // shifts the boundary or shows in the message.
        #expect(Self.limitMessages(PolicyLimit(removeFraction: 0.1), [Self.removing(1, of: 10)]).isEmpty)
        #expect(
            Self.limitMessages(PolicyLimit(removeFraction: 0.1), [Self.removing(2, of: 10)]) == [
                "policy rule 'l': the plan removes 2 of the 10 members of pool 'pay'; at most 1 may go (limit.removeFraction: 0.1)"
            ])
        #expect(Self.limitMessages(PolicyLimit(removeFraction: 0.29), [Self.removing(29, of: 100)]).isEmpty)
        #expect(
            Self.limitMessages(PolicyLimit(removeFraction: 0.29), [Self.removing(30, of: 100)]) == [
                "policy rule 'l': the plan removes 30 of the 100 members of pool 'pay'; at most 29 may go (limit.removeFraction: 0.29)"
            ])
        #expect(Self.limitMessages(PolicyLimit(deletes: 1), [Self.deleting("a", .delete)]).isEmpty)
    }

    /// A duplicate being deleted is a delete: `deletes: 0` forbids it too.
    @Test func deletesCountDuplicatesAndPrunedPools() {
        #expect(
            Self.limitMessages(PolicyLimit(deletes: 0), [Self.deleting("a", .deleteDuplicate)]) == [
                "policy rule 'l': the plan deletes 1 matched pool ('a'); no pool may be deleted (limit.deletes)"
            ])
        #expect(
            Self.limitMessages(PolicyLimit(deletes: 1), [Self.deleting("a", .deleteDuplicate), Self.deleting("b", .delete)]) == [
                "policy rule 'l': the plan deletes 2 matched pools ('a', 'b'); at most 1 may be (limit.deletes)"
            ])
        // A protected pool that is kept is not a delete.
        #expect(Self.limitMessages(PolicyLimit(deletes: 0), [Self.deleting("a", .deleteBlocked)]).isEmpty)
    }

    /// Violations sort by location (line 9 before line 10), unlocated last.
    @Test func aVerdictSortsByPositionNotByText() {
        let at = { (line: Int) in SourceLocation(file: "m.yaml", line: line, column: 3) }
        let verdict = PolicyVerdict(diagnostics: [
            Diagnostic(.error, "c", at: nil), Diagnostic(.error, "b", at: at(10)), Diagnostic(.warning, "w", at: at(1)),
            Diagnostic(.error, "a", at: at(9)),
        ])
        #expect(verdict.diagnostics.map(\.message) == ["a", "b", "c", "w"])
    }

    @Test func limitRulesAreNotRequirements() {
        let rule = PolicyRule(id: "l", check: .limit(PolicyLimit(deletes: 0)))
        #expect(PolicyCheck.require(Policy(rules: [rule]), desired: DesiredState(stack: "s", prune: true, pools: [Self.pool("a")])).isEmpty)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

import PoolctlModel

/// The destructive-change guard: a plan that deletes more than half of a
/// stack's pools, or empties a large pool, is far more often a truncated
/// manifest set or a bad merge than an intent. Pure: the same plan and
/// policy always give the same verdict.
///
/// Rules (each replaced by its `guard:` setting when set):
/// - deleted pools: blocked when more undeclared owned keys are deleted than
///   half of the stack's owned keys (only when it owns at least 2), or than
///   `maxDeletedPools`. Duplicate repair and protected pools never count.
/// - removed members: blocked when a pool with at least
///   `GuardPolicy.minMembers` live members loses more than half of them
///   (or than `maxRemovedFraction`).
public enum DestructiveGuard {
    public static func evaluate(changes: [PoolChange], ownedPools: Int, policy: GuardPolicy, lifted: Bool = false) -> GuardResult {
        var violations: [GuardViolation] = []

        // Counted per key, like the denominator: duplicates under one
        // undeclared key are one pool of the stack.
        let deletes = changes.filter { $0.action == .delete }
        let deletedKeys = Set(deletes.map(\.key))
        let allowed: Int?
        let why: String
        if let maximum = policy.maxDeletedPools {
            allowed = maximum
            why = "maxDeletedPools: \(maximum)"
        } else {
            allowed = ownedPools >= 2 ? ownedPools / 2 : nil
            why = "half of them"
        }
        if let allowed, deletedKeys.count > allowed {
            violations.append(
                GuardViolation(
                    rule: .deletedPools, key: nil, poolIDs: deletes.compactMap(\.poolID), count: deletedKeys.count, total: ownedPools,
                    allowed: allowed,
                    message:
                        "would delete \(deletedKeys.count) of the stack's \(ownedPools) owned pool\(ownedPools == 1 ? "" : "s"); the guard allows at most \(allowed) (\(why))"
                ))
        }

        let fraction = policy.removedFraction
        for change in changes where change.membersBefore >= GuardPolicy.minMembers && !change.removeSenders.isEmpty {
            let removed = change.removeSenders.count
            let before = change.membersBefore
            // Division, not multiplication: removed / before is exactly the
            // double nearest the written fraction when they are equal.
            guard Double(removed) / Double(before) > fraction else { continue }
            let allowed = Self.allowedRemovals(of: before, fraction: fraction)
            let why = policy.maxRemovedFraction.map { "maxRemovedFraction: \($0)" } ?? "half of them"
            let pool = change.poolID.map { " (\($0))" } ?? ""
            violations.append(
                GuardViolation(
                    rule: .removedMembers, key: change.key, poolIDs: change.poolID.map { [$0] } ?? [], count: removed, total: before,
                    allowed: allowed,
                    message:
                        "would remove \(removed) of the \(before) members of pool '\(change.key)'\(pool); the guard allows at most \(allowed) (\(why))"
                ))
        }
        return GuardResult(policy: policy, ownedPools: ownedPools, violations: violations, lifted: lifted)
    }

    /// The most members that may go: the largest k with k / before <= fraction.
    static func allowedRemovals(of before: Int, fraction: Double) -> Int {
        var allowed = min(before, Int((fraction * Double(before)).rounded(.down)))
        while allowed < before, Double(allowed + 1) / Double(before) <= fraction { allowed += 1 }
        while allowed > 0, Double(allowed) / Double(before) > fraction { allowed -= 1 }
        return allowed
    }
}

/// The guard's verdict on one plan, kept on the plan and in its saved form.
public struct GuardResult: Sendable, Hashable {
    public var policy: GuardPolicy
    /// The stack's owned live pools, once per ownership key: the deleted
    /// pools rule's denominator, the whole stack even for a targeted plan.
    public var ownedPools: Int
    /// Sorted: the pool rule first, then pools by key.
    public var violations: [GuardViolation]
    /// `--allow-destructive` lifted it for this run.
    public var lifted: Bool

    public init(policy: GuardPolicy = GuardPolicy(), ownedPools: Int = 0, violations: [GuardViolation] = [], lifted: Bool = false) {
        self.policy = policy
        self.ownedPools = ownedPools
        self.violations = violations
        self.lifted = lifted
    }

    /// Whether plan must exit 1 and apply must refuse.
    public var blocks: Bool { !violations.isEmpty && !lifted }
}

/// One rule the plan breaks, with the numbers behind it. The plan file
/// saves it under the keys `PlanFile` declares.
public struct GuardViolation: Sendable, Hashable, Codable {
    public enum Rule: String, Sendable, Hashable, Codable, CaseIterable {
        case deletedPools = "deleted-pools"
        case removedMembers = "removed-members"
    }

    public var rule: Rule
    /// The pool, for the member rule.
    public var key: String?
    public var poolIDs: [String]
    /// Pools deleted or members removed.
    public var count: Int
    /// Owned pools, or the pool's members before.
    public var total: Int
    /// The most `count` may be.
    public var allowed: Int
    /// One sentence for people.
    public var message: String

    public init(rule: Rule, key: String?, poolIDs: [String], count: Int, total: Int, allowed: Int, message: String) {
        self.rule = rule
        self.key = key
        self.poolIDs = poolIDs.sorted()
        self.count = count
        self.total = total
        self.allowed = allowed
        self.message = message
    }
}

import PoolctlModel

extension PlanFile {
    /// The destructive-change guard: the policy in force, the stack's owned
    /// pool count it judged against, each rule broken, and whether
    /// `--allow-destructive` lifted it. `blocked` is for readers; apply
    /// recomputes it from `violations` and `lifted`.
    public struct Guard: Sendable, Hashable, Codable {
        public var policy: Policy
        public var ownedPools: Int
        public var violations: [Violation]
        public var lifted: Bool
        public var blocked: Bool

        init(_ result: GuardResult) {
            policy = Policy(maxDeletedPools: result.policy.maxDeletedPools, maxRemovedFraction: result.policy.maxRemovedFraction)
            ownedPools = result.ownedPools
            violations = result.violations.map(Violation.init)
            lifted = result.lifted
            blocked = result.blocks
        }

        var result: GuardResult {
            GuardResult(
                policy: GuardPolicy(maxDeletedPools: policy.maxDeletedPools, maxRemovedFraction: policy.maxRemovedFraction),
                ownedPools: ownedPools, violations: violations.map(\.guardViolation), lifted: lifted)
        }
    }

    /// `guard:` as the manifests set it; an absent field is the default rule.
    public struct Policy: Sendable, Hashable, Codable {
        public var maxDeletedPools: Int?
        public var maxRemovedFraction: Double?
    }

    public struct Violation: Sendable, Hashable, Codable {
        public enum Rule: String, Sendable, Hashable, Codable, CaseIterable {
            case deletedPools = "deleted-pools"
            case removedMembers = "removed-members"
        }

        public var rule: Rule
        public var key: String?
        public var poolIDs: [String]
        public var count: Int
        public var total: Int
        public var allowed: Int
        public var message: String

        init(_ violation: GuardViolation) {
            rule = Rule(mirroring: violation.rule)
            key = violation.key
            poolIDs = violation.poolIDs
            count = violation.count
            total = violation.total
            allowed = violation.allowed
            message = violation.message
        }

        var guardViolation: GuardViolation {
            GuardViolation(
                rule: GuardViolation.Rule(mirroring: rule), key: key, poolIDs: poolIDs, count: count, total: total, allowed: allowed,
                message: message)
        }
    }

    /// A partial plan's `--target` and `--exclude`, and the keys it left out.
    public struct Scope: Sendable, Hashable, Codable {
        public var targets: [String]
        public var excludes: [String]
        public var leftOut: [String]

        init(_ targeting: Targeting) {
            targets = targeting.targets
            excludes = targeting.excludes
            leftOut = targeting.leftOut
        }

        var targeting: Targeting { Targeting(targets: targets, excludes: excludes, leftOut: leftOut) }
    }
}

import PoolctlModel

extension PlanFile {
    /// The destructive-change guard: the policy in force, the stack's owned
    /// pool count it judged against, each rule broken, and whether
    /// `--allow-destructive` lifted it. `violations` and `blocked` are for
    /// readers: reading the file judges its changes again under `policy`
    /// and `ownedPools`, so a file edited to delete more is blocked as a
    /// plan that deletes more would be.
    public struct Guard: Sendable, Hashable, Codable {
        public var policy: Policy
        public var ownedPools: Int
        public var violations: [GuardViolation]
        public var lifted: Bool
        public var blocked: Bool

        init(_ result: GuardResult) {
            policy = Policy(maxDeletedPools: result.policy.maxDeletedPools, maxRemovedFraction: result.policy.maxRemovedFraction)
            ownedPools = result.ownedPools
            violations = result.violations
            lifted = result.lifted
            blocked = result.blocks
        }

        /// The verdict on `changes`, judged again.
        func result(of changes: [PoolChange]) -> GuardResult {
            DestructiveGuard.evaluate(
                changes: changes, ownedPools: ownedPools,
                policy: GuardPolicy(maxDeletedPools: policy.maxDeletedPools, maxRemovedFraction: policy.maxRemovedFraction), lifted: lifted)
        }
    }

    /// `guard:` as the manifests set it; an absent field is the default rule.
    public struct Policy: Sendable, Hashable, Codable {
        public var maxDeletedPools: Int?
        public var maxRemovedFraction: Double?
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

extension GuardViolation {
    /// One rule broken; `rule` is `deleted-pools` or `removed-members`.
    enum CodingKeys: String, CodingKey { case rule, key, poolIDs, count, total, allowed, message }

    /// Through the init, so that a hand-edited file's `poolIDs` read sorted, as poolctl writes them.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            rule: try values.decode(Rule.self, forKey: .rule), key: try values.decodeIfPresent(String.self, forKey: .key),
            poolIDs: try values.decode([String].self, forKey: .poolIDs), count: try values.decode(Int.self, forKey: .count),
            total: try values.decode(Int.self, forKey: .total), allowed: try values.decode(Int.self, forKey: .allowed),
            message: try values.decode(String.self, forKey: .message))
    }
}

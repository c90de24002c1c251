import PoolctlModel

/// What changed outside poolctl since the last apply, read off a plan:
/// `poolctl drift` prints it, and plans show it apart from intended change.
public struct DriftReport: Sendable, Hashable {
    /// A drifted pool: the fields that moved (`name`, `tags`, `members`), or
    /// `missing` for a declared pool with no live pool.
    public struct Pool: Sendable, Hashable {
        public var key: String
        public var poolID: String?
        public var fields: [String]
        /// The plan's change, which says what apply does about it.
        public var change: PoolChange
    }

    public static let missing = "missing"

    public var stack: String
    /// Sorted by key, then pool id.
    public var pools: [Pool]
    /// Keys of changed pools whose drift cannot be told (cause `unknown`):
    /// no fingerprint yet (until an apply or `apply --baseline`), or members
    /// that moved with the manifests (an apply that did not finish).
    public var unknown: [String]

    public init(plan: Plan) {
        stack = plan.stack
        var pools: [Pool] = []
        var unknown: [String] = []
        for change in plan.changes {
            if change.action == .create || (change.action == .conflict && plan.missingAdoptions[change.key] != nil) {
                // Never applied, or deleted by hand: without a state file, the same.
                pools.append(Pool(key: change.key, poolID: nil, fields: [Self.missing], change: change))
            } else if !change.drift.isEmpty {
                pools.append(Pool(key: change.key, poolID: change.poolID, fields: change.drift.map(\.rawValue), change: change))
            } else if change.action.isChange, !change.action.deletesPool, change.cause.values.contains(.unknown) {
                unknown.append(change.key)
            }
        }
        self.pools = pools.sorted { ($0.key, $0.poolID ?? "") < ($1.key, $1.poolID ?? "") }
        self.unknown = unknown.sorted()
    }

    public var hasDrift: Bool { !pools.isEmpty }
}

/// The destructive-change guard's settings (`guard:` in a manifest). Nil
/// fields keep the default rule; see `DestructiveGuard` in PoolctlPlan.
public struct GuardPolicy: Sendable, Hashable {
    /// Blocked when more pools are deleted than this. Nil: more than half of
    /// the stack's owned pools, when it owns at least 2.
    public var maxDeletedPools: Int?
    /// Blocked when a pool of at least `minMembers` loses more than this
    /// fraction of its members. Nil: `defaultRemovedFraction`.
    public var maxRemovedFraction: Double?

    public static let defaultRemovedFraction = 0.5
    /// Smaller pools are never blocked by the member rule: losing 3 of 4
    /// members is routine, losing 600 of 1,000 rarely is.
    public static let minMembers = 10

    public init(maxDeletedPools: Int? = nil, maxRemovedFraction: Double? = nil) {
        self.maxDeletedPools = maxDeletedPools
        self.maxRemovedFraction = maxRemovedFraction
    }

    public var removedFraction: Double { maxRemovedFraction ?? Self.defaultRemovedFraction }
}

/// How a pool's declared senders relate to its live members.
public enum Membership: String, Sendable, Hashable, Codable, CaseIterable {
    /// Live members that are not declared are removed.
    case exact
    /// Declared senders are added; nothing is ever removed.
    case additive
}

/// What the manifests ask for, with aliases resolved and defaults applied.
/// This is the planner's input; it no longer knows about YAML.
public struct DesiredState: Sendable, Hashable {
    public var stack: String
    /// Whether owned pools that no manifest declares are deleted.
    public var prune: Bool
    /// Sorted by key.
    public var pools: [DesiredPool]
    /// The destructive-change guard's settings; defaults when not set.
    public var guardPolicy: GuardPolicy
    /// Where `prune` was set, else where the stack is declared: a policy
    /// violation for a pool being deleted points here (SARIF needs a place).
    public var pruneLocation: SourceLocation?

    public init(
        stack: String, prune: Bool, pools: [DesiredPool], guardPolicy: GuardPolicy = GuardPolicy(), pruneLocation: SourceLocation? = nil
    ) {
        self.stack = stack
        self.prune = prune
        self.pruneLocation = pruneLocation
        // Loaders usually hand pools over in key order: keep them without a sort.
        self.pools = pools.isSorted { $0.key < $1.key } ? pools : pools.sorted { $0.key < $1.key }
        self.guardPolicy = guardPolicy
    }

    /// Distinct sender ids over all pools.
    public var distinctSenderCount: Int {
        var all = Set<String>()
        for pool in pools { all.formUnion(pool.senders) }
        return all.count
    }
}

/// One declared pool.
public struct DesiredPool: Sendable, Hashable {
    /// Identity of the pool inside its stack.
    public var key: String
    public var name: String
    /// User tags only; the ownership tag is added by the planner.
    public var tags: [String: String]
    /// Sorted, distinct sender ids.
    public var senders: [String]
    public var membership: Membership
    public var protect: Bool
    /// A live pool id to take over.
    public var adopt: String?
    /// The key this pool was declared under before: its live pool is
    /// re-tagged instead of being deleted and created again.
    public var movedFrom: String?
    /// Tag keys another tool owns: never diffed after create, and their live
    /// values are kept in every PATCH. Sorted; the top level's and the pool's.
    public var ignoreTags: [String]
    /// The manifest alias of each sender that was written as an alias, for display.
    public var aliases: [String: String]
    /// Where the pool is declared.
    public var location: SourceLocation?

    public init(
        key: String, name: String, tags: [String: String] = [:], senders: [String] = [],
        membership: Membership = .exact, protect: Bool = false, adopt: String? = nil,
        aliases: [String: String] = [:], location: SourceLocation? = nil, movedFrom: String? = nil, ignoreTags: [String] = []
    ) {
        self.key = key
        self.name = name
        self.tags = tags
        // Already sorted and distinct (a manifest written in order, an export):
        // one pass instead of hashing and sorting every reference.
        self.senders = senders.isSorted { $0 < $1 } ? senders : Array(Set(senders)).sorted()
        self.membership = membership
        self.protect = protect
        self.adopt = adopt
        self.aliases = aliases
        self.location = location
        self.movedFrom = movedFrom
        self.ignoreTags = Array(Set(ignoreTags)).sorted()
    }
}

extension Array {
    /// Whether every element is strictly before the next by `before` (so,
    /// for `<`, sorted and without repeats).
    func isSorted(_ before: (Element, Element) -> Bool) -> Bool {
        var index = startIndex
        while index + 1 < endIndex {
            if !before(self[index], self[index + 1]) { return false }
            index += 1
        }
        return true
    }
}

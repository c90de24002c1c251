/// What the API reported, as the planner needs it. Built by the refresh
/// step from list calls; the planner never talks to the API itself.
public struct LiveState: Sendable, Hashable {
    /// Every pool on the account, sorted by id.
    public var pools: [LivePool]

    public init(pools: [LivePool]) {
        self.pools = pools.sorted { $0.id < $1.id }
    }
}

/// A live pool. `members` is nil when it was not read, because the pool
/// belongs to no one this plan is about.
public struct LivePool: Sendable, Hashable {
    public var id: String
    public var name: String
    public var tags: [String: String]
    public var createdAt: String
    public var updatedAt: String
    /// Sorted by id, when read.
    public var members: [LiveMember]?

    public init(
        id: String, name: String, tags: [String: String], createdAt: String = "", updatedAt: String = "", members: [LiveMember]? = nil
    ) {
        self.id = id
        self.name = name
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.members = members?.sorted { $0.id < $1.id }
    }

    /// The ownership this pool's tags claim, if any.
    public var ownership: Ownership? { Ownership(tags: tags) }
}

/// A member of a live pool, with what the listing told about it.
public struct LiveMember: Sendable, Hashable, Codable {
    public var id: String
    public var address: String?
    public var channel: String?

    public init(id: String, address: String? = nil, channel: String? = nil) {
        self.id = id
        self.address = address
        self.channel = channel
    }
}

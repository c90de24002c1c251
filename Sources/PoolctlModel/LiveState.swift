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
    /// Sorted by id, when read and kept whole (tests, saved-plan checks,
    /// and a plan's pools that several declared pools could be compared with).
    public var members: [LiveMember]?
    /// What a streamed plan kept of the members instead (see `LivePoolSource`).
    public var summary: MemberSummary?

    public init(
        id: String, name: String, tags: [String: String], createdAt: String = "", updatedAt: String = "", members: [LiveMember]? = nil
    ) {
        self.id = id
        self.name = name
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.members = members.map(Self.sortedByID)
    }

    /// Sorted by id; a list already in order (as the API usually returns
    /// it) is checked in one pass and kept.
    public static func sortedByID(_ members: [LiveMember]) -> [LiveMember] {
        var index = members.startIndex
        while index + 1 < members.endIndex {
            if members[index + 1].id < members[index].id { return members.sorted { $0.id < $1.id } }
            index += 1
        }
        return members
    }

    /// The ownership this pool's tags claim, if any.
    public var ownership: Ownership? { Ownership(tags: tags) }

    /// Its `poolctl` tag value when that is in poolctl's form but not one this
    /// version reads (`Ownership.isUnreadableClaim`): never adopted.
    public var unreadableClaim: String? { tags[Ownership.tagKey].flatMap { Ownership.isUnreadableClaim($0) ? $0 : nil } }

    /// How many members it has; nil when they were not read.
    public var memberCount: Int? { members?.count ?? summary?.count }

    /// The members whose ids are not in `senders` (sorted, distinct: a
    /// declared pool's), sorted by id; nil when the members were not read.
    /// `key` names the declared pool: a summary answers only for the pool it
    /// was made against.
    public func members(notIn senders: [String], key: String) -> [LiveMember]? {
        if let members { return MemberDiff.outside(members, senders) }
        guard let summary else { return nil }
        assert(summary.referenceKey == key, "pool \(id) was summarized against '\(summary.referenceKey ?? "-")', not '\(key)'")
        return summary.referenceKey == key ? summary.outside : nil
    }

    /// The ids of `senders` (sorted, distinct) that are not members, in order.
    public func senders(_ senders: [String], missingFor key: String) -> [String] {
        if let members { return MemberDiff.missing(senders, members) }
        guard let summary, summary.referenceKey == key else { return senders }
        return summary.missing
    }
}

/// What a plan keeps of one live pool's members when it diffs each pool as
/// its members arrive: their count, the pool's fingerprint digest, and how
/// they differ from the one declared pool (`referenceKey`) they can be
/// compared with. Memory per pool is that of the differences, not of the
/// members.
public struct MemberSummary: Sendable, Hashable {
    public var count: Int
    /// `PoolFingerprint`'s digest of the pool, members included.
    public var digest: String
    /// The declared pool `outside` and `missing` are relative to; nil when
    /// no declared pool is compared with this one (only count and digest count).
    public var referenceKey: String?
    /// Members not among the reference's senders, sorted by id.
    public var outside: [LiveMember]
    /// The reference's senders that are not members, sorted.
    public var missing: [String]

    public init(count: Int, digest: String, referenceKey: String?, outside: [LiveMember], missing: [String]) {
        self.count = count
        self.digest = digest
        self.referenceKey = referenceKey
        self.outside = outside
        self.missing = missing
    }
}

/// Differences between a pool's members and declared senders, both sorted
/// by id: one merge pass, no hashing.
public enum MemberDiff {
    /// Members whose id is not in `senders`.
    public static func outside(_ members: [LiveMember], _ senders: [String]) -> [LiveMember] {
        var outside: [LiveMember] = []
        merge(members, senders, outside: { outside.append($0) }, missing: { _ in })
        return outside
    }

    /// Senders that are not among `members`.
    public static func missing(_ senders: [String], _ members: [LiveMember]) -> [String] {
        var missing: [String] = []
        merge(members, senders, outside: { _ in }, missing: { missing.append($0) })
        return missing
    }

    /// Both differences in one pass (a plan merges 10M memberships; two
    /// passes with two comparisons a step were 5% of it).
    public static func both(_ members: [LiveMember], _ senders: [String]) -> (outside: [LiveMember], missing: [String]) {
        var outside: [LiveMember] = []
        var missing: [String] = []
        merge(members, senders, outside: { outside.append($0) }, missing: { missing.append($0) })
        return (outside, missing)
    }

    /// The one merge walk: hands each member outside `senders` and each
    /// sender missing from `members` to its closure, in order. Equal ids,
    /// the usual case, cost only `==`'s length check and memcmp.
    @inline(__always)
    private static func merge(
        _ members: [LiveMember], _ senders: [String], outside: (LiveMember) -> Void, missing: (String) -> Void
    ) {
        var i = members.startIndex
        var j = senders.startIndex
        while i < members.endIndex && j < senders.endIndex {
            let id = members[i].id
            if id == senders[j] {
                i += 1
                j += 1
            } else if id < senders[j] {
                outside(members[i])
                i += 1
            } else {
                missing(senders[j])
                j += 1
            }
        }
        members[i...].forEach(outside)
        senders[j...].forEach(missing)
    }
}

/// The members of the pools a plan reads, handed over pool by pool as the
/// refresher reads them, so that the planner can diff each pool and keep
/// only what differs (`MemberSummary`) instead of every live membership.
/// The refresher's implementation reads a bounded number of pools at once;
/// tests pass members they hold.
public protocol LivePoolSource: Sendable {
    /// Calls `body` once per pool read, one call at a time, with its members
    /// in any order (a pool may come with none).
    func forEachPool(_ body: (_ poolID: String, _ members: [LiveMember]) throws -> Void) async throws
}

/// A `LivePoolSource` over members already in memory.
public struct LivePoolsInMemory: LivePoolSource {
    public var pools: [(poolID: String, members: [LiveMember])]
    public init(_ pools: [(poolID: String, members: [LiveMember])]) { self.pools = pools }
    public func forEachPool(_ body: (String, [LiveMember]) throws -> Void) async throws {
        for pool in pools { try body(pool.poolID, pool.members) }
    }
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

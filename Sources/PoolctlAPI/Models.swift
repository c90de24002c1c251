/// The resources of the Comms API SenderPools family, as listed and fetched.

public typealias Tags = [String: String]

/// `GET /v1/SenderPools/{id}`. Carries no members: list them separately.
public struct SenderPool: Codable, Hashable, Sendable {
    public var id: String
    public var name: String
    public var tags: Tags
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, name: String, tags: Tags, createdAt: String, updatedAt: String) {
        self.id = id
        self.name = name
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    private enum CodingKeys: String, CodingKey { case id, name, tags, createdAt, updatedAt }

    /// Only `id` is required: a pool that another tool made with a null or
    /// missing name or tags must not fail the whole listing (and every plan).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        tags = try container.decodeTolerantTags(forKey: .tags)
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try container.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
    }
}

extension KeyedDecodingContainer {
    /// A tag map that may be null or absent (empty), with null values dropped.
    func decodeTolerantTags(forKey key: Key) throws -> Tags {
        guard let raw = try decodeIfPresent([String: String?].self, forKey: key) else { return [:] }
        return raw.compactMapValues { $0 }
    }
}

/// A sending identity on the account, as listed in a pool or in `/v1/Senders`.
public struct Sender: Codable, Hashable, Sendable {
    public var id: String
    public var displayName: String?
    public var address: String
    public var channel: Channel
    public var status: SenderStatus
    public var tags: Tags
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, displayName: String?, address: String, channel: Channel, status: SenderStatus, tags: Tags, createdAt: String,
        updatedAt: String
    ) {
        self.id = id
        self.displayName = displayName
        self.address = address
        self.channel = channel
        self.status = status
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, displayName, address, channel, status, tags, createdAt, updatedAt
    }

    // displayName is required but nullable: always encode it, null included.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(address, forKey: .address)
        try container.encode(channel, forKey: .channel)
        try container.encode(status, forKey: .status)
        try container.encode(tags, forKey: .tags)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        displayName = try container.decodeIfPresent(String.self, forKey: .displayName)
        address = try container.decodeIfPresent(String.self, forKey: .address) ?? ""
        channel = try container.decodeIfPresent(Channel.self, forKey: .channel) ?? ""
        status = try container.decodeIfPresent(SenderStatus.self, forKey: .status) ?? ""
        tags = try container.decodeTolerantTags(forKey: .tags)
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try container.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
    }
}

public struct OperationStats: Codable, Hashable, Sendable {
    public var total: Int
    public var queued: Int
    public var created: Int
    public var failed: Int

    public init(total: Int, queued: Int, created: Int, failed: Int) {
        self.total = total
        self.queued = queued
        self.created = created
        self.failed = failed
    }

    private enum CodingKeys: String, CodingKey { case total, queued, created, failed }

    /// Counters may be absent (or null) while an operation is processing.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        total = try container.decodeIfPresent(Int.self, forKey: .total) ?? 0
        queued = try container.decodeIfPresent(Int.self, forKey: .queued) ?? 0
        created = try container.decodeIfPresent(Int.self, forKey: .created) ?? 0
        failed = try container.decodeIfPresent(Int.self, forKey: .failed) ?? 0
    }
}

/// The asynchronous work started by Create and Add Senders.
public struct SenderPoolOperation: Codable, Hashable, Sendable {
    public var id: String
    public var status: OperationStatus
    public var stats: OperationStats
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, status: OperationStatus, stats: OperationStats, createdAt: String, updatedAt: String) {
        self.id = id
        self.status = status
        self.stats = stats
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    private enum CodingKeys: String, CodingKey { case id, status, stats, createdAt, updatedAt }

    /// `id` and `status` are required; stats and timestamps may be missing.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        status = try container.decode(OperationStatus.self, forKey: .status)
        stats =
            try container.decodeIfPresent(OperationStats.self, forKey: .stats) ?? OperationStats(total: 0, queued: 0, created: 0, failed: 0)
        createdAt = try container.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try container.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
    }
}

import PoolctlModel

/// Wire models of the Comms API SenderPools family. Decoding ignores unknown
/// fields, and enums keep unknown values (the API is in Public Beta and its
/// enums may grow), so a new channel never breaks a plan.

/// A string enum that keeps values it does not know.
public protocol OpenEnum: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral
where RawValue == String {
    init(rawValue: String)
}

extension OpenEnum {
    public init(from decoder: Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}

/// A sender's channel: `SMS`, `RCS`, `EMAIL`, `WHATSAPP`, `PUSH`, or a newer one.
public struct Channel: OpenEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let sms: Channel = "SMS"
    public static let rcs: Channel = "RCS"
    public static let email: Channel = "EMAIL"
    public static let whatsapp: Channel = "WHATSAPP"
    public static let push: Channel = "PUSH"
    public static let documented: [Channel] = [.sms, .rcs, .email, .whatsapp, .push]
}

/// `ACTIVATED` or `DEACTIVATED`, or a newer value.
public struct SenderStatus: OpenEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let activated: SenderStatus = "ACTIVATED"
    public static let deactivated: SenderStatus = "DEACTIVATED"
    public static let documented: [SenderStatus] = [.activated, .deactivated]
}

/// `PROCESSING`, `COMPLETED` or `CANCELED` (documented), `FAILED` or
/// `SCHEDULED` (seen on sibling Comms resources), or a newer value.
public struct OperationStatus: OpenEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let processing: OperationStatus = "PROCESSING"
    public static let completed: OperationStatus = "COMPLETED"
    public static let canceled: OperationStatus = "CANCELED"
    public static let failed: OperationStatus = "FAILED"
    public static let scheduled: OperationStatus = "SCHEDULED"
    public static let documented: [OperationStatus] = [.processing, .completed, .canceled]
    /// The statuses that end an operation.
    public static let terminal: Set<OperationStatus> = [.completed, .canceled, .failed]

    /// Only `COMPLETED`, `CANCELED` and `FAILED` end an operation. Anything
    /// else, a status we have never seen included, means it is still going:
    /// ending early would call a pool failed that is about to converge.
    public var isTerminal: Bool { Self.terminal.contains(self) }
}

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

/// Opaque cursors: pass `next` back as `pageToken`.
public struct Pagination: Codable, Hashable, Sendable {
    public var next: String?
    public var current: String

    public init(next: String?, current: String) {
        self.next = next
        self.current = current
    }

    private enum CodingKeys: String, CodingKey {
        case next
        case current = "self"
    }

    // `next` is encoded even when null: that is how the last page says so.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(next, forKey: .next)
        try container.encode(current, forKey: .current)
    }

    // A missing or null `self` is tolerated: only `next` drives paging.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        next = try container.decodeIfPresent(String.self, forKey: .next)
        current = try container.decodeIfPresent(String.self, forKey: .current) ?? ""
    }
}

// The bodies of the four lists. `pagination` is optional for reading only:
// a list without it is one last page.

/// `GET /v1/SenderPools`
public struct SenderPoolList: Codable, Sendable {
    public var senderPools: [SenderPool]
    public var pagination: Pagination?

    public init(_ page: Page<SenderPool>) {
        senderPools = page.items
        pagination = page.pagination
    }

    private enum CodingKeys: String, CodingKey { case senderPools, pagination }

    // A missing or null array is an empty page: an API that omits empty
    // arrays must not fail a plan.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        senderPools = try container.decodeIfPresent([SenderPool].self, forKey: .senderPools) ?? []
        pagination = try container.decodeIfPresent(Pagination.self, forKey: .pagination)
    }
}

/// `GET /v1/SenderPools/{id}/Senders` and `GET /v1/Senders`
public struct SenderList: Codable, Sendable {
    public var senders: [Sender]
    public var pagination: Pagination?

    public init(_ page: Page<Sender>) {
        senders = page.items
        pagination = page.pagination
    }

    private enum CodingKeys: String, CodingKey { case senders, pagination }

    // A missing or null array is an empty page: an API that omits empty
    // arrays must not fail a plan.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        senders = try container.decodeIfPresent([Sender].self, forKey: .senders) ?? []
        pagination = try container.decodeIfPresent(Pagination.self, forKey: .pagination)
    }
}

/// `GET /v1/SenderPools/Operations`
public struct OperationList: Codable, Sendable {
    public var operations: [SenderPoolOperation]
    public var pagination: Pagination?

    public init(_ page: Page<SenderPoolOperation>) {
        operations = page.items
        pagination = page.pagination
    }

    private enum CodingKeys: String, CodingKey { case operations, pagination }

    // A missing or null array is an empty page: an API that omits empty
    // arrays must not fail a plan.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        operations = try container.decodeIfPresent([SenderPoolOperation].self, forKey: .operations) ?? []
        pagination = try container.decodeIfPresent(Pagination.self, forKey: .pagination)
    }
}

/// One page of a list.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var pagination: Pagination

    public init(items: [Item], pagination: Pagination) {
        self.items = items
        self.pagination = pagination
    }
}

/// The 202 body of Create and Add Senders. Both fields are optional in the
/// docs, so `location` (the `Location` header) is kept as a fallback.
public struct OperationAccepted: Codable, Hashable, Sendable {
    public var operationId: String?
    public var operationLocation: String?
    /// The `Location` header; not part of the body.
    public var location: String?

    public init(operationId: String?, operationLocation: String?, location: String? = nil) {
        self.operationId = operationId
        self.operationLocation = operationLocation
        self.location = location
    }

    private enum CodingKeys: String, CodingKey { case operationId, operationLocation }

    /// The operation id from the body, or else from the last path segment of
    /// the operation's location.
    public var resolvedOperationID: String? {
        if let operationId { return operationId }
        guard let url = operationLocation ?? location, let last = url.split(separator: "/").last else { return nil }
        return String(last)
    }
}

/// The 202 body of Update, Delete and Remove Sender.
public struct ResourceAccepted: Codable, Hashable, Sendable {
    public var resourceId: String?
    public var resourceLocation: String?

    public init(resourceId: String?, resourceLocation: String?) {
        self.resourceId = resourceId
        self.resourceLocation = resourceLocation
    }
}

/// `{senderId}`: one item of Create's `senders` and of Add Senders.
public struct SenderReference: Encodable, Hashable, Sendable {
    public var senderId: String
    public init(senderId: String) { self.senderId = senderId }
}

public struct CreateSenderPoolRequest: Encodable, Hashable, Sendable {
    public var name: String?
    public var tags: Tags?
    public var senders: [SenderReference]?

    public init(name: String? = nil, tags: Tags? = nil, senders: [SenderReference]? = nil) {
        self.name = name
        self.tags = tags
        self.senders = senders
    }
}

public struct UpdateSenderPoolRequest: Encodable, Hashable, Sendable {
    public var name: String?
    public var tags: Tags?

    public init(name: String? = nil, tags: Tags? = nil) {
        self.name = name
        self.tags = tags
    }
}

/// Filters of List SenderPools.
public struct SenderPoolQuery: Hashable, Sendable {
    public var startDate: String?
    public var endDate: String?
    public var operationId: String?
    public var pageSize: Int?
    public var pageToken: String?

    public init(
        startDate: String? = nil, endDate: String? = nil, operationId: String? = nil, pageSize: Int? = nil, pageToken: String? = nil
    ) {
        self.startDate = startDate
        self.endDate = endDate
        self.operationId = operationId
        self.pageSize = pageSize
        self.pageToken = pageToken
    }
}

/// Filters of List Senders (in a pool, or the account's inventory).
public struct SenderQuery: Hashable, Sendable {
    public var channel: Channel?
    public var status: SenderStatus?
    public var startDate: String?
    public var endDate: String?
    public var pageSize: Int?
    public var pageToken: String?

    public init(
        channel: Channel? = nil, status: SenderStatus? = nil, startDate: String? = nil, endDate: String? = nil, pageSize: Int? = nil,
        pageToken: String? = nil
    ) {
        self.channel = channel
        self.status = status
        self.startDate = startDate
        self.endDate = endDate
        self.pageSize = pageSize
        self.pageToken = pageToken
    }
}

/// Filters of List Sender Pool Operations.
public struct OperationQuery: Hashable, Sendable {
    public var status: OperationStatus?
    public var startDate: String?
    public var endDate: String?
    public var pageSize: Int?
    public var pageToken: String?

    public init(
        status: OperationStatus? = nil, startDate: String? = nil, endDate: String? = nil, pageSize: Int? = nil, pageToken: String? = nil
    ) {
        self.status = status
        self.startDate = startDate
        self.endDate = endDate
        self.pageSize = pageSize
        self.pageToken = pageToken
    }
}

/// `GET /v1/SenderPools/{id}/Senders` as plan and export read it: per
/// sender only `id`, `address` and `channel` (missing or null ones are
/// empty, as in `Sender`); every other field is skipped, whatever its type.
/// `MemberPageScanner` reads the same shape faster; this is its fallback.
public struct PoolMemberList: Decodable, Sendable {
    public var members: [LiveMember]
    public var pagination: Pagination?

    private enum CodingKeys: String, CodingKey { case senders, pagination }
    private enum MemberKeys: String, CodingKey { case id, address, channel }

    private struct Member: Decodable {
        var member: LiveMember
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: MemberKeys.self)
            member = LiveMember(
                id: try container.decode(String.self, forKey: .id),
                address: try container.decodeIfPresent(String.self, forKey: .address) ?? "",
                channel: try container.decodeIfPresent(String.self, forKey: .channel) ?? "")
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        members = (try container.decodeIfPresent([Member].self, forKey: .senders) ?? []).map { $0.member }
        pagination = try container.decodeIfPresent(Pagination.self, forKey: .pagination)
    }
}

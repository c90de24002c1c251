import PoolctlModel

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

/// One page of a list.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var pagination: Pagination

    public init(items: [Item], pagination: Pagination) {
        self.items = items
        self.pagination = pagination
    }
}

/// An item of a list body, and the key its array is sent under.
public protocol ListItem: Sendable {
    static var listKey: String { get }
}

extension SenderPool: ListItem {
    public static var listKey: String { "senderPools" }
}

extension Sender: ListItem {
    public static var listKey: String { "senders" }
}

extension SenderPoolOperation: ListItem {
    public static var listKey: String { "operations" }
}

/// `GET /v1/SenderPools`
public typealias SenderPoolList = ListBody<SenderPool>
/// `GET /v1/SenderPools/{id}/Senders` and `GET /v1/Senders`
public typealias SenderList = ListBody<Sender>
/// `GET /v1/SenderPools/Operations`
public typealias OperationList = ListBody<SenderPoolOperation>

/// The body of a list: `{"<Item.listKey>": [...], "pagination": {...}}`.
/// `pagination` is optional for reading only: a list without it is one last page.
public struct ListBody<Item: ListItem>: Sendable {
    public var items: [Item]
    public var pagination: Pagination?

    public init(_ page: Page<Item>) {
        items = page.items
        pagination = page.pagination
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }

        static var items: Key { Key(stringValue: Item.listKey) }
        static var pagination: Key { Key(stringValue: "pagination") }
    }
}

extension ListBody: Decodable where Item: Decodable {
    // A missing or null array is an empty page: an API that omits empty
    // arrays must not fail a plan. A body with neither it nor `pagination`
    // is no list at all (an error body sent with a 200): read as an empty
    // account, it made plan create every pool again.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.contains(.items) || container.contains(.pagination) else {
            throw DecodingError.keyNotFound(
                Key.items, DecodingError.Context(codingPath: [], debugDescription: "neither the list nor pagination"))
        }
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
        pagination = try container.decodeIfPresent(Pagination.self, forKey: .pagination)
    }
}

extension ListBody: Encodable where Item: Encodable {
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: .items)
        try container.encodeIfPresent(pagination, forKey: .pagination)
    }
}

/// `GET /v1/SenderPools/{id}/Senders` as plan and export read it: per
/// sender only `id`, `address` and `channel` (missing or null ones are
/// empty, as in `Sender`); every other field is skipped, whatever its type.
/// `MemberPageScanner` reads the same shape faster; this is its fallback.
public struct PoolMemberList: Decodable, Sendable {
    public var members: [LiveMember]
    public var pagination: Pagination?

    private struct Member: Decodable, ListItem {
        static var listKey: String { Sender.listKey }
        private enum Keys: String, CodingKey { case id, address, channel }

        var member: LiveMember
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            member = LiveMember(
                id: try container.decode(String.self, forKey: .id),
                address: try container.decodeIfPresent(String.self, forKey: .address) ?? "",
                channel: try container.decodeIfPresent(String.self, forKey: .channel) ?? "")
        }
    }

    public init(from decoder: Decoder) throws {
        let body = try ListBody<Member>(from: decoder)
        members = body.items.map(\.member)
        pagination = body.pagination
    }
}

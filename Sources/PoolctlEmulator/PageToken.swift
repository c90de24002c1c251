import Foundation

/// Where a page starts: a keyset cursor (the default), or under
/// `paging=offset` a page number.
enum PageCursor: Hashable, Sendable {
    case keyset(Cursor)
    case offset(OffsetToken)
}

/// Keyset page tokens: unpadded base64url JSON naming the first item of a page,
/// `{"v":1}` for the start or `{"createdAt":"…","id":"…","v":1}` (`createdAt`
/// as the responses render it).
struct Cursor: Hashable, Sendable {
    /// Nil for the start of the list.
    var position: Position?

    struct Position: Hashable, Sendable, Comparable {
        /// The item's `createdAt` in microseconds (`Timestamp`).
        var micros: Int64
        var id: String

        static func < (lhs: Position, rhs: Position) -> Bool {
            lhs.micros != rhs.micros ? lhs.micros < rhs.micros : lhs.id < rhs.id
        }
    }

    /// How `createdAt` is written in tokens: as the responses render it.
    var style = TimestampStyle.whole

    static let start = Cursor(position: nil)

    init(position: Position?, style: TimestampStyle = .whole) {
        self.position = position
        self.style = style
    }

    /// The JSON in a token. Closed like a request body: an unknown, null or
    /// repeated field makes the token invalid.
    private struct Body: Codable {
        var v = 1
        var createdAt: String?
        var id: String?

        init(position: Position?, style: TimestampStyle) {
            createdAt = position.map { style.render(micros: $0.micros) }
            id = position?.id
        }

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: PropertyKey.self)
            guard fields.allKeys.allSatisfy({ ["v", "createdAt", "id"].contains($0.stringValue) }) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown field"))
            }
            v = try fields.decode(Int.self, forKey: PropertyKey("v"))
            createdAt = try fields.contains(PropertyKey("createdAt")) ? fields.decode(String.self, forKey: PropertyKey("createdAt")) : nil
            id = try fields.contains(PropertyKey("id")) ? fields.decode(String.self, forKey: PropertyKey("id")) : nil
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    private static let startToken = Base64.urlSafe(try! encoder.encode(Body(position: nil, style: .whole)))

    var token: String {
        guard position != nil else { return Self.startToken }
        // A string and an integer: encoding cannot fail.
        return Base64.urlSafe(try! Self.encoder.encode(Body(position: position, style: style)))
    }

    /// Nil when the token does not decode to a cursor for ids of `kind`
    /// with `createdAt` rendered in `style`.
    static func decode(_ token: String, kind: EmulatorIDKind, style: TimestampStyle = .whole) -> Cursor? {
        guard !token.isEmpty, token.utf8.count <= 1024, let json = Base64.decode(token, urlSafe: true),
            let body = try? JSONDecoder().decode(Body.self, from: json), body.v == 1,
            DuplicateKeys.first(in: json) == nil
        else { return nil }
        switch (body.createdAt, body.id) {
        case (nil, nil):
            return .start
        case (let createdAt?, let id?):
            guard let micros = style.parse(createdAt), kind.matches(id) else { return nil }
            return Cursor(position: Position(micros: micros, id: id), style: style)
        default:
            return nil
        }
    }
}

/// `paging=offset` tokens, shaped like the docs' example: standard base64
/// (padded) of `{"page":N}`, page 0 first. Page N of size P holds items
/// [N*P, N*P+P) of the list as it is when that page is requested.
struct OffsetToken: Hashable, Sendable {
    var page: Int

    /// Pages beyond this are refused (400): no list is that long.
    static let maxPage = 1_000_000_000

    var token: String { Data(#"{"page":\#(page)}"#.utf8).base64EncodedString() }

    /// The JSON: exactly one field, `page`, a non-negative integer.
    private struct Body: Decodable {
        var page: Int

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: PropertyKey.self)
            guard fields.allKeys.map(\.stringValue) == ["page"] else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "fields"))
            }
            page = try fields.decode(Int.self, forKey: PropertyKey("page"))
        }
    }

    /// Nil unless the token is base64 (padded or not) of `{"page":N}` with
    /// 0 <= N <= `maxPage`.
    static func decode(_ token: String) -> OffsetToken? {
        guard !token.isEmpty, token.utf8.count <= 1024, let json = Base64.decode(token, urlSafe: false),
            let body = try? JSONDecoder().decode(Body.self, from: json), (0...maxPage).contains(body.page),
            DuplicateKeys.first(in: json) == nil
        else { return nil }
        return OffsetToken(page: body.page)
    }
}

import Foundation

/// Page tokens: unpadded base64url JSON naming the first item of a page,
/// `{"v":1}` for the start or `{"createdAt":"…","id":"…","v":1}`.
struct Cursor: Hashable, Sendable {
    /// Nil for the start of the list.
    var position: Position?

    struct Position: Hashable, Sendable, Comparable {
        var seconds: Int64
        var id: String

        static func < (lhs: Position, rhs: Position) -> Bool {
            lhs.seconds != rhs.seconds ? lhs.seconds < rhs.seconds : lhs.id < rhs.id
        }
    }

    static let start = Cursor(position: nil)

    /// The JSON in a token. Closed like a request body: an unknown, null or
    /// repeated field makes the token invalid.
    private struct Body: Codable {
        var v = 1
        var createdAt: String?
        var id: String?

        init(position: Position?) {
            createdAt = position.map { Timestamp.format(seconds: $0.seconds) }
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

    private static let startToken = Base64.urlSafe(try! encoder.encode(Body(position: nil)))

    var token: String {
        guard position != nil else { return Self.startToken }
        // A string and an integer: encoding cannot fail.
        return Base64.urlSafe(try! Self.encoder.encode(Body(position: position)))
    }

    /// Nil when the token does not decode to a cursor for ids of `kind`.
    static func decode(_ token: String, kind: EmulatorIDKind) -> Cursor? {
        guard !token.isEmpty, token.utf8.count <= 1024, let json = Base64.decode(token, urlSafe: true),
            let body = try? JSONDecoder().decode(Body.self, from: json), body.v == 1,
            DuplicateKeys.first(in: json) == nil
        else { return nil }
        switch (body.createdAt, body.id) {
        case (nil, nil):
            return .start
        case (let createdAt?, let id?):
            guard let seconds = Timestamp.parseCanonical(createdAt), kind.matches(id) else { return nil }
            return Cursor(position: Position(seconds: seconds, id: id))
        default:
            return nil
        }
    }
}

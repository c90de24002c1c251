/// Page tokens: unpadded base64url JSON naming the first item of a page,
/// `{"v":1}` for the start or `{"v":1,"createdAt":"…","id":"…"}`.

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

    var token: String {
        var writer = JSONWriter(capacity: 96)
        writer.raw("{\"v\":1")
        if let position {
            writer.raw(",\"createdAt\":")
            writer.string(Timestamp.format(seconds: position.seconds))
            writer.raw(",\"id\":")
            writer.string(position.id)
        }
        writer.raw("}")
        return Base64URL.encode(writer.bytes)
    }

    /// Nil when the token does not decode to a cursor for ids of `kind`.
    static func decode(_ token: String, kind: EmulatorIDKind) -> Cursor? {
        guard !token.isEmpty, token.utf8.count <= 1024, let bytes = Base64URL.decode(token),
              let json = try? JSONReader.parse(bytes), case .object(let members) = json else { return nil }
        var version: String?
        var createdAt: String?
        var id: String?
        for (key, value) in members {
            switch (key, value) {
            case ("v", .number(let n)) where version == nil: version = n
            case ("createdAt", .string(let s)) where createdAt == nil: createdAt = s
            case ("id", .string(let s)) where id == nil: id = s
            default: return nil
            }
        }
        guard version == "1" else { return nil }
        switch (createdAt, id) {
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

enum Base64URL {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func value(_ c: UInt8) -> UInt32? {
        switch c {
        case 65...90: return UInt32(c - 65)
        case 97...122: return UInt32(c - 71)
        case 48...57: return UInt32(c + 4)
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }

    /// Unpadded or correctly padded base64url; nil for anything else.
    static func decode(_ text: String) -> [UInt8]? {
        var chars = Array(text.utf8)
        if chars.count % 4 == 0, let last = chars.last, last == UInt8(ascii: "=") {
            var pad = 0
            while let l = chars.last, l == UInt8(ascii: "="), pad < 2 { chars.removeLast(); pad += 1 }
            guard chars.last != UInt8(ascii: "=") else { return nil }
            guard (chars.count + pad) % 4 == 0, (chars.count % 4) + pad == 4 else { return nil }
        }
        guard chars.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            guard let v = value(c) else { return nil }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero (canonical encoding).
        guard buffer == 0 else { return nil }
        return out
    }
}

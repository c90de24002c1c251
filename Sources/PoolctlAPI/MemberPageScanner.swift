import PoolctlModel

/// A page of `GET /v1/SenderPools/{id}/Senders` as plan and export need it:
/// each sender's id, address and channel, and the next page's token.
///
/// Foundation's `JSONDecoder` spent about 10 µs per sender on the 8 fields
/// and the tags dictionary of `Sender` (issue 20); this scanner reads the
/// body once, keeps three strings per sender and validates the rest without
/// building it. It accepts only what is valid JSON of the expected shape and
/// returns nil for anything else (a wrong type, a missing id, nesting deeper
/// than 64, bad UTF-8 in a kept string): the caller then decodes the body
/// with `JSONDecoder`, whose errors say what is wrong. So a page it accepts
/// decodes exactly as `SenderList` would (`MemberPageScannerTests` fuzz this).
public enum MemberPageScanner {
    public struct Result: Sendable, Equatable {
        public var members: [LiveMember]
        public var pagination: Pagination?

        public init(members: [LiveMember], pagination: Pagination?) {
            self.members = members
            self.pagination = pagination
        }
    }

    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Result? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        var scanner = Scanner(p: base.assumingMemoryBound(to: UInt8.self), end: bytes.count)
        return scanner.page()
    }

    public static func scan(_ bytes: [UInt8]) -> Result? {
        bytes.withUnsafeBytes { scan($0) }
    }

    struct Scanner {
        let p: UnsafePointer<UInt8>
        let end: Int
        var i = 0

        init(p: UnsafePointer<UInt8>, end: Int) {
            self.p = p
            self.end = end
        }

        static let maxDepth = 64

        mutating func ws() {
            while i < end {
                let c = p[i]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { return }
            }
        }

        mutating func eat(_ c: UInt8) -> Bool {
            // Compact JSON first: the API sends no whitespace between tokens.
            if i < end && p[i] == c {
                i += 1
                return true
            }
            ws()
            if i < end && p[i] == c {
                i += 1
                return true
            }
            return false
        }

        /// The top level: an object with `senders` and `pagination` (other
        /// keys validated and skipped), and nothing after it.
        mutating func page() -> Result? {
            var members: [LiveMember]?
            var pagination: Pagination??
            let valid = object { s, key in
                if s.equals(key, "senders") { return Self.read(s.senders(), into: &members) }
                if s.equals(key, "pagination") { return Self.read(s.paginationValue(), into: &pagination) }
                return s.skipValue(depth: 1)
            }
            guard valid else { return nil }
            ws()
            // Neither key: not a list. The decoder, the fallback, says so.
            guard i == end, members != nil || pagination != nil else { return nil }
            return Result(members: members ?? [], pagination: pagination ?? nil)
        }

        /// `null` or an array of sender objects.
        mutating func senders() -> [LiveMember]? {
            if literal("null") { return [] }
            guard eat(0x5B) else { return nil }  // [
            var list: [LiveMember] = []
            list.reserveCapacity(1000)
            if eat(0x5D) { return list }
            repeat {
                guard let member = sender() else { return nil }
                list.append(member)
            } while eat(0x2C)
            guard eat(0x5D) else { return nil }
            return list
        }

        mutating func sender() -> LiveMember? {
            var id: String?
            var address: String??
            var channel: String??
            let valid = object { s, key in
                if s.equals(key, "id") { return Self.read(s.string(), into: &id) }
                if s.equals(key, "address") { return Self.read(s.nullableString(), into: &address) }
                if s.equals(key, "channel") { return Self.read(s.nullableString(), into: &channel) }
                return s.skipValue(depth: 2)
            }
            guard valid, let id else { return nil }
            return LiveMember(id: id, address: (address ?? nil) ?? "", channel: (channel ?? nil) ?? "")
        }

        mutating func paginationValue() -> Pagination?? {
            if literal("null") { return .some(nil) }
            var next: String??
            var current: String??
            let valid = object { s, key in
                if s.equals(key, "next") { return Self.read(s.nullableString(), into: &next) }
                if s.equals(key, "self") { return Self.read(s.nullableString(), into: &current) }
                return s.skipValue(depth: 2)
            }
            guard valid else { return nil }
            return .some(Pagination(next: next ?? nil, current: (current ?? nil) ?? ""))
        }

        /// Keeps a value read for a key; false (the body is refused) when
        /// there was none. A key given twice keeps its last value, as in
        /// `JSONDecoder`.
        @inline(__always)
        static func read<Value>(_ value: Value?, into field: inout Value?) -> Bool {
            guard let value else { return false }
            field = value
            return true
        }

        /// An object, `{` members `}`: `member` reads the value of each key
        /// (the scanner stands after its colon) and returns whether it was valid.
        @inline(__always)
        mutating func object(_ member: (inout Scanner, RawString) -> Bool) -> Bool {
            guard eat(0x7B) else { return false }  // {
            if eat(0x7D) { return true }
            repeat {
                guard let key = rawString(), eat(0x3A), member(&self, key) else { return false }  // :
            } while eat(0x2C)
            return eat(0x7D)
        }
    }
}

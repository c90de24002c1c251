import PoolctlModel

/// The JSON grammar under `MemberPageScanner`'s page shape: strings (fast
/// over plain ASCII), numbers, literals and any value validated and skipped.
extension MemberPageScanner.Scanner {
    /// A string's bytes between its quotes, and whether it has escapes.
    typealias RawString = (lowerBound: Int, count: Int, escaped: Bool)

    /// `.some(nil)` for null, `.some(text)` for a string, nil for anything else.
    mutating func nullableString() -> String?? {
        if literal("null") { return .some(nil) }
        guard let value = string() else { return nil }
        return .some(value)
    }

    /// A string value, unescaped, or nil when it is not a valid string.
    mutating func string() -> String? {
        guard let range = rawString() else { return nil }
        let raw = UnsafeBufferPointer(start: p + range.lowerBound, count: range.count)
        // `rawString` has validated any non-ASCII bytes already.
        if !range.escaped { return String(decoding: raw, as: UTF8.self) }
        return Self.unescape(raw)
    }

    /// The bytes between the quotes of a string (escapes validated, not
    /// decoded), or nil when it is not a valid JSON string.
    mutating func rawString() -> RawString? {
        guard eat(0x22) else { return nil }
        let start = i
        var escaped = false
        var ascii = true
        while i < end {
            // Eight bytes at a time past plain ASCII text: no quote,
            // backslash, control byte or non-ASCII byte among them. A
            // word that has one goes straight to its first such byte,
            // rather than byte by byte through the rest of the word.
            while i + 8 <= end {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let special = Self.specialBytes(UInt64(littleEndian: word))
                if special != 0 {
                    i += special.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            guard i < end else { break }
            let c = p[i]
            if c == 0x22 {
                i += 1
                // JSONDecoder refuses a body with invalid UTF-8 anywhere.
                if !ascii, String(validating: UnsafeBufferPointer(start: p + start, count: i - 1 - start), as: UTF8.self) == nil {
                    return nil
                }
                return (start, i - 1 - start, escaped)
            }
            if c >= 0x80 { ascii = false }
            if c < 0x20 { return nil }
            if c == 0x5C {
                escaped = true
                i += 1
                guard i < end else { return nil }
                switch p[i] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 1
                case 0x75:
                    guard i + 4 < end else { return nil }
                    for k in 1...4 where Self.hex(p[i + k]) == nil { return nil }
                    i += 5
                default: return nil
                }
                continue
            }
            i += 1
        }
        return nil
    }

    /// Whether any byte of `word` is `"`, `\\`, below 0x20 or above 0x7F.
    @inline(__always)
    static func hasSpecialByte(_ word: UInt64) -> Bool {
        specialBytes(word) != 0
    }

    /// The high bit of each byte of `word` (first byte lowest) that is
    /// `"`, `\\`, below 0x20 or above 0x7F, by the classic SWAR tests for
    /// a zero or a smaller byte. Those tests can also mark a byte above
    /// a marked one, never below it, so the lowest mark is exact.
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroInQuote = (quote &- ones) & ~quote
        let zeroInBackslash = (backslash &- ones) & ~backslash
        let control = (word &- ones &* 0x20) & ~word
        return ((zeroInQuote | zeroInBackslash | control) & highs) | (word & highs)
    }

    func equals(_ key: RawString, _ name: StaticString) -> Bool {
        guard !key.escaped, key.count == name.utf8CodeUnitCount else { return false }
        return Self.same(p + key.lowerBound, name.utf8Start, key.count)
    }

    static func same(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for k in 0..<n where a[k] != b[k] { return false }
        return true
    }

    mutating func literal(_ word: StaticString) -> Bool {
        ws()
        let n = word.utf8CodeUnitCount
        guard i + n <= end, Self.same(p + i, word.utf8Start, n) else { return false }
        i += n
        return true
    }

    /// Any JSON value, validated and skipped.
    mutating func skipValue(depth: Int) -> Bool {
        guard depth <= Self.maxDepth else { return false }
        ws()
        guard i < end else { return false }
        switch p[i] {
        case 0x22: return rawString() != nil
        case 0x7B: return object { s, _ in s.skipValue(depth: depth + 1) }
        case 0x5B:
            i += 1
            if eat(0x5D) { return true }
            repeat {
                guard skipValue(depth: depth + 1) else { return false }
            } while eat(0x2C)
            return eat(0x5D)
        case 0x74: return literal("true")
        case 0x66: return literal("false")
        case 0x6E: return literal("null")
        default: return number()
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() -> Bool {
        if i < end && p[i] == 0x2D { i += 1 }
        guard i < end, Self.isDigit(p[i]) else { return false }
        if p[i] == 0x30 {
            i += 1
        } else {
            while i < end && Self.isDigit(p[i]) { i += 1 }
        }
        if i < end && p[i] == 0x2E {
            i += 1
            guard i < end, Self.isDigit(p[i]) else { return false }
            while i < end && Self.isDigit(p[i]) { i += 1 }
        }
        if i < end && (p[i] == 0x65 || p[i] == 0x45) {
            i += 1
            if i < end && (p[i] == 0x2B || p[i] == 0x2D) { i += 1 }
            guard i < end, Self.isDigit(p[i]) else { return false }
            while i < end && Self.isDigit(p[i]) { i += 1 }
        }
        return true
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    static func hex(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: UInt32(c - 0x30)
        case 0x41...0x46: UInt32(c - 0x41 + 10)
        case 0x61...0x66: UInt32(c - 0x61 + 10)
        default: nil
        }
    }

    /// Decodes the escapes of a string already validated by `rawString`.
    /// Nil for invalid UTF-8 or a lone surrogate (JSONDecoder rejects both).
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var k = 0
        func unit(_ at: Int) -> UInt32 {
            (hex(raw[at])! << 12) | (hex(raw[at + 1])! << 8) | (hex(raw[at + 2])! << 4) | hex(raw[at + 3])!
        }
        while k < raw.count {
            let c = raw[k]
            guard c == 0x5C else {
                out.append(c)
                k += 1
                continue
            }
            let e = raw[k + 1]
            k += 2
            switch e {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = unit(k)
                k += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard k + 6 <= raw.count, raw[k] == 0x5C, raw[k + 1] == 0x75 else { return nil }
                    let low = unit(k + 2)
                    guard (0xDC00...0xDFFF).contains(low) else { return nil }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    k += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    return nil
                }
                guard let value = Unicode.Scalar(scalar) else { return nil }
                out.append(contentsOf: String(Character(value)).utf8)
            default: out.append(e)  // " \ /
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}

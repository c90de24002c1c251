/// Finds invalid UTF-8 with its position, which libyaml reports only as a
/// byte offset.
enum UTF8Check {
    static func firstInvalid(in bytes: [UInt8]) -> YAMLProblem? {
        // Valid text (nearly every file) is checked without counting lines:
        // the counting pass runs only to place an error.
        if bytes.withUnsafeBufferPointer(isValid) { return nil }
        return locate(in: bytes)
    }

    /// Whether all of `bytes` is UTF-8, skipping ASCII eight bytes at a time.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            while index + 8 <= count,
                UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
            }
            guard index < count else { break }
            if base[index] < 0x80 {
                index += 1
                continue
            }
            guard let length = sequenceLength(bytes, at: index) else { return false }
            index += length
        }
        return true
    }

    /// The first invalid byte's line and column (columns count characters).
    static func locate(in bytes: [UInt8]) -> YAMLProblem? {
        bytes.withUnsafeBufferPointer { bytes in
            var line = 1
            var column = 1
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    if byte == 0x0A {
                        line += 1
                        column = 1
                    } else {
                        column += 1
                    }
                    index += 1
                    continue
                }
                guard let length = sequenceLength(bytes, at: index) else { return invalid(byte, line, column) }
                index += length
                column += 1
            }
            return nil
        }
    }

    /// The length of the valid multi-byte sequence that starts at `index`
    /// (a byte of 0x80 or more), or nil: overlong forms, surrogates and
    /// scalars past U+10FFFF are invalid.
    @inline(__always)
    private static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        let byte = bytes[index]
        let length: Int
        let minimum: UInt32
        var scalar: UInt32
        switch byte {
        case 0xC2...0xDF:
            length = 2
            minimum = 0x80
            scalar = UInt32(byte & 0x1F)
        case 0xE0...0xEF:
            length = 3
            minimum = 0x800
            scalar = UInt32(byte & 0x0F)
        case 0xF0...0xF4:
            length = 4
            minimum = 0x10000
            scalar = UInt32(byte & 0x07)
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let next = bytes[index + offset]
            guard next & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return nil }
        return length
    }

    private static func invalid(_ byte: UInt8, _ line: Int, _ column: Int) -> YAMLProblem {
        let hex = String(byte, radix: 16, uppercase: true)
        return YAMLProblem(
            message: "invalid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex)); manifests must be UTF-8 text",
            mark: Mark(line: line, column: column))
    }
}

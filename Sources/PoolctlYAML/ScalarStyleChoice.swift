/// Which style a string scalar is written in so that every YAML reader, 1.1
/// or 1.2, reads back the same string: plain only when nothing could resolve
/// it to a boolean, null or number, nor parse it as syntax; double quotes for
/// text that needs escapes; single quotes otherwise.
public enum ScalarStyleChoice: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted

    public static func choose(for text: String) -> ScalarStyleChoice {
        // Printable ASCII never needs an escape; only other text is checked scalar by scalar.
        let printableASCII = text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
        if !printableASCII, text.unicodeScalars.contains(where: needsEscape) { return .doubleQuoted }
        return isPlainSafe(text) ? .plain : .singleQuoted
    }

    /// Control characters, line breaks (including NEL, LS and PS), the BOM,
    /// and what libyaml does not count as printable: only an escape keeps them.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20...0x7E: return false
        case 0x2028, 0x2029, 0xFEFF: return true
        case 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return false
        default: return true
        }
    }

    /// Words that YAML 1.1 or 1.2 resolves to null or a boolean (in any
    /// case, to be safe), and the 1.1 merge and value keys.
    static let reservedWords: Set<String> = [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", "<<", "=",
        ".inf", "+.inf", "-.inf", ".nan",
    ]

    /// Characters that start YAML syntax when they begin a plain scalar.
    static let leadingIndicators: Set<UInt8> = Set("-?:,[]{}#&*!|>'\"%@`".utf8)

    /// Byte by byte: this runs for every scalar written, a million sender ids included.
    static func isPlainSafe(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return false }
        if utf8.count <= 5, reservedWords.contains(text.lowercased()) { return false }
        if leadingIndicators.contains(first) || first == space || last == space || last == colon { return false }
        var previous: UInt8 = 0
        for byte in utf8 {
            // ": " starts a mapping value and " #" a comment.
            if (previous == colon && byte == space) || (previous == space && byte == hash) { return false }
            previous = byte
        }
        // Anything that may be a number, a date or a sexagesimal in some
        // schema starts with a digit, or with a sign or dot before a digit.
        if isDigit(first) { return false }
        if first == plus || first == dot, utf8.count > 1 {
            let second = utf8[utf8.index(after: utf8.startIndex)]
            if isDigit(second) || second == dot { return false }
        }
        return true
    }

    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
    private static let hash = UInt8(ascii: "#")
    private static let plus = UInt8(ascii: "+")
    private static let dot = UInt8(ascii: ".")

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

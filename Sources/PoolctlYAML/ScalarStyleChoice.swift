/// Which style a string scalar is written in so that every YAML reader, 1.1
/// or 1.2, reads back the same string: plain only when nothing could resolve
/// it to a boolean, null or number, nor parse it as syntax; double quotes for
/// text that needs escapes; single quotes otherwise.
public enum ScalarStyleChoice: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted

    public static func choose(for text: String) -> ScalarStyleChoice {
        if text.unicodeScalars.contains(where: needsEscape) { return .doubleQuoted }
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
    static let leadingIndicators: Set<Unicode.Scalar> = [
        "-", "?", ":", ",", "[", "]", "{", "}", "#", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`",
    ]

    static func isPlainSafe(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        if reservedWords.contains(text.lowercased()) { return false }
        if leadingIndicators.contains(first) || first == " " || last == " " || last == ":" { return false }
        if text.contains(": ") || text.contains(" #") { return false }
        // Anything that may be a number, a date or a sexagesimal in some
        // schema starts with a digit, or with a sign or dot before a digit.
        let scalars = Array(text.unicodeScalars.prefix(2))
        if isDigit(first) { return false }
        if first == "+" || first == ".", scalars.count > 1, isDigit(scalars[1]) || scalars[1] == "." { return false }
        return true
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }
}

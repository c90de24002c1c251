/// Text from outside poolctl (pool names, tags, addresses, API messages)
/// made inert for a terminal or a Markdown comment: anyone who can rename a
/// pool must not be able to fake plan lines, close a code fence, clear the
/// screen or reorder text with bidi overrides.
public enum Printable {
    /// `s` with every control character, line or paragraph separator and
    /// bidi control written as an escape (`\n`, `\r`, `\t`, `\u{1B}`); all
    /// else as it is. JSON needs none of this: its encoder escapes.
    public static func text(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1 (NEL among them)
        case 0x2028, 0x2029: return true  // line and paragraph separators
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi controls
        default: return false
        }
    }
}

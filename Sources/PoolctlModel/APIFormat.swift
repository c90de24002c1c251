/// The one home of the Comms API's formats and limits: id patterns, tag
/// limits, the pool-name length and the per-request sender cap. The manifest
/// decoder, the planner, the engine and the emulator all read them from here.
/// Checked by hand rather than with Regex: manifests may hold a million
/// sender references.
public enum APIFormat {
    public static let senderPrefix = "comms_sender_"
    public static let senderPoolPrefix = "comms_senderpool_"
    public static let operationPrefix = "comms_operation_"

    /// `^PREFIX[0-7][a-hjkmnpqrstv-z0-9]{25,34}$`
    public static func isID(_ text: String, prefix: String) -> Bool {
        var text = text
        var prefix = prefix
        // Over contiguous UTF-8: the generic `utf8` views cost more than the check.
        return text.withUTF8 { bytes in
            prefix.withUTF8 { head in
                guard bytes.count >= head.count + 26, bytes.count <= head.count + 35, bytes.starts(with: head) else { return false }
                let first = bytes[head.count]
                guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "7") else { return false }
                for k in (head.count + 1)..<bytes.count where !isCrockfordLower(bytes[k]) { return false }
                return true
            }
        }
    }

    public static func isSenderID(_ text: String) -> Bool { isID(text, prefix: senderPrefix) }
    public static func isSenderPoolID(_ text: String) -> Bool { isID(text, prefix: senderPoolPrefix) }
    public static func isOperationID(_ text: String) -> Bool { isID(text, prefix: operationPrefix) }

    /// Lowercase Crockford base32: digits and letters without i, l, o, u.
    @inline(__always)
    static func isCrockfordLower(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        case UInt8(ascii: "i"), UInt8(ascii: "l"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return true
        default: return false
        }
    }

    public static let maxTags = 10
    public static let maxTagKeyLength = 128
    public static let maxTagValueLength = 256

    /// Senders in one Create (`senders`) or one Add Senders request.
    public static let maxSendersPerRequest = 10_000
    /// The largest `pageSize` of every list endpoint.
    public static let maxPageSize = 1000

    /// A pool name is at most 256 characters, counted in Unicode code points
    /// (as JSON Schema's `maxLength` counts them), not grapheme clusters:
    /// "e" plus a combining accent is 2. See schema/API-DECISIONS.md.
    public static let maxPoolNameLength = 256

    /// The length the API checks against `maxPoolNameLength`.
    public static func poolNameLength(_ name: String) -> Int { name.unicodeScalars.count }

    /// A tag key the API accepts: 1-128 characters of the tag charset.
    public static func isTagKey(_ text: String) -> Bool {
        isTagText(text) && text.utf8.count <= maxTagKeyLength
    }

    /// A tag value the API accepts: 1-256 characters of the tag charset.
    public static func isTagValue(_ text: String) -> Bool {
        isTagText(text) && text.utf8.count <= maxTagValueLength
    }

    /// `^[a-zA-Z0-9._~-]+$`, the documented character set of tag keys and values.
    public static func isTagText(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }
    }
}

/// The reserved tag through which poolctl owns a live pool.
///
/// poolctl keeps no state file: a pool belongs to a stack and key because it
/// carries `poolctl: v1~STACK~KEY` (or `v1~STACK~KEY~protected`). Protection
/// lives on the pool itself, so removing a manifest entry can never delete a
/// protected pool. `~` cannot occur in stacks or keys, which makes the value
/// unambiguous; the longest value is 140 characters, inside the API's 256.
public struct Ownership: Sendable, Hashable, Codable {
    /// The reserved tag key. Users may not set it.
    public static let tagKey = "poolctl"
    static let version = "v1"

    public var stack: String
    public var key: String
    public var protected: Bool

    public init(stack: String, key: String, protected: Bool = false) {
        self.stack = stack
        self.key = key
        self.protected = protected
    }

    /// The tag value, e.g. `v1~marketing~sales-apac~protected`.
    public var tagValue: String {
        var value = "\(Self.version)~\(stack)~\(key)"
        if protected { value += "~protected" }
        return value
    }

    /// Reads a tag value; nil when it is not a value poolctl wrote.
    public init?(tagValue: String) {
        // Split by hand, without an array of strings: this runs for every
        // listed pool, several times a plan (2% of a 5,000-pool plan).
        let tilde = UInt8(ascii: "~")
        let prefix = Self.version + "~"
        guard tagValue.hasPrefix(prefix) else { return nil }
        let rest = tagValue[tagValue.utf8.index(tagValue.startIndex, offsetBy: prefix.utf8.count)...]
        guard let afterStack = rest.utf8.firstIndex(of: tilde) else { return nil }
        let stack = rest[..<afterStack]
        var key = rest[rest.utf8.index(after: afterStack)...]
        var protected = false
        if let afterKey = key.utf8.firstIndex(of: tilde) {
            guard key[key.utf8.index(after: afterKey)...] == "protected" else { return nil }
            key = key[..<afterKey]
            protected = true
        }
        guard ResourceName.isValid(stack), ResourceName.isValid(key) else { return nil }
        self.init(stack: String(stack), key: String(key), protected: protected)
    }

    /// A value in the form poolctl writes (`vN~…`) that this version cannot
    /// read: another version's, or a hand edit of one. It may name another
    /// stack, so such a pool is never adopted. (Any other value is not poolctl's.)
    public static func isUnreadableClaim(_ tagValue: String) -> Bool {
        guard Ownership(tagValue: tagValue) == nil, tagValue.first == "v" else { return false }
        let digits = tagValue.dropFirst().prefix { $0.isASCII && $0.isNumber }
        return !digits.isEmpty && tagValue.dropFirst(1 + digits.count).first == "~"
    }

    /// Reads the ownership tag of a live pool's tags, if any.
    public init?(tags: [String: String]) {
        guard let value = tags[Self.tagKey] else { return nil }
        self.init(tagValue: value)
    }

    /// The (stack, key) identity, without the protection flag.
    public var identity: String { "\(stack)~\(key)" }
}

/// Names of stacks, pool keys and sender aliases: `^[a-z0-9][a-z0-9._-]{0,62}$`.
public enum ResourceName {
    public static let maxLength = 63

    public static func isValid(_ text: some StringProtocol) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, utf8.count <= maxLength else { return false }
        guard isLowerAlnum(first) else { return false }
        return utf8.dropFirst().allSatisfy {
            isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The rule in words, for error messages.
    public static let rule = "1-63 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
}

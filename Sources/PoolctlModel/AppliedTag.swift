/// The reserved tag `poolctl-applied` (issue 21): a fingerprint of what apply
/// last made a pool, so that a plan can tell a change in the manifests from
/// a change made outside poolctl. Its grammar, `d1.NAME.TAGS.MEMBERS`
/// (12 lowercase hex digits each), is separate from the ownership tag's, so
/// older poolctl versions still recognise every pool.
public struct AppliedTag: Sendable, Hashable {
    /// The reserved tag key. Users may not set it or list it in ignoreTags.
    public static let tagKey = "poolctl-applied"
    static let version = "d1"
    static let digits = 12

    public var name: String
    public var tags: String
    public var members: String

    public var tagValue: String { "\(Self.version).\(name).\(tags).\(members)" }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// Tags poolctl writes for itself: never part of a fingerprint.
    public static let ownTags: Set<String> = [Ownership.tagKey, tagKey, LeaseTag.tagKey]

    public static func hashName(_ name: String) -> String {
        var hash = FingerprintHash()
        hash.feed(name)
        return hash.hex
    }

    /// Hex digits of the TAGS part that hash the `ignoreTags` list; the
    /// other 8 hash the tags. A list that changed since the last apply is
    /// seen apart: a tag leaving it is the manifest's doing, not drift.
    public static let ignoreListDigits = 4

    /// The ignore list's hash, then the tags' (sorted by key, ignored and
    /// poolctl's own left out, the ownership tag's protection flag in).
    public static func hashTags(_ tags: [String: String], ignoring ignored: [String], protected: Bool = false) -> String {
        var list = FingerprintHash()
        for key in Set(ignored).sorted() { list.feed(key) }
        var hash = FingerprintHash()
        for key in tags.keys.sorted() where !ownTags.contains(key) && !ignored.contains(key) {
            hash.feed(key)
            hash.feed(tags[key]!)
        }
        // Protection lives in the ownership tag; removing it by hand is drift.
        hash.feed(protected ? "protected" : "")
        return String(list.hex.suffix(ignoreListDigits)) + String(hash.hex.suffix(digits - ignoreListDigits))
    }

    public static func hashMembers(_ members: [String]) -> String {
        var hash = FingerprintHash()
        for member in members { hash.feed(member) }
        return hash.hex
    }
}

// In an extension, so that the memberwise init of the three hashes stays synthesized.
extension AppliedTag {
    /// The fingerprint of a pool named `name` with `tags` (ignored and
    /// poolctl's own tags are left out here), protected or not, and the
    /// sorted, distinct member ids `members`.
    public init(name: String, tags: [String: String], ignoring ignored: [String], protected: Bool = false, members: [String]) {
        self.init(
            name: Self.hashName(name), tags: Self.hashTags(tags, ignoring: ignored, protected: protected),
            members: Self.hashMembers(members))
    }

    /// Reads a tag value; nil when it is not one poolctl wrote.
    public init?(tagValue: String) {
        let parts = tagValue.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == Self.version,
            parts.dropFirst().allSatisfy({ $0.utf8.count == Self.digits && $0.utf8.allSatisfy(Self.isHexDigit) })
        else { return nil }
        self.init(name: String(parts[1]), tags: String(parts[2]), members: String(parts[3]))
    }

    public init?(tags: [String: String]) {
        guard let value = tags[Self.tagKey] else { return nil }
        self.init(tagValue: value)
    }
}

/// FNV-1a over 8-byte words (then the tail bytes), each item closed by a
/// separator: stable across runs and platforms, unlike `Hasher`, and cheap
/// enough for 10 million member ids. `hex` mixes the state and keeps 48 bits.
public struct FingerprintHash: Sendable {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    public init() {}

    public mutating func feed(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var index = 0
            while index + 8 <= bytes.count {
                var word: UInt64 = 0
                for offset in 0..<8 { word |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
                state = (state ^ word) &* Self.prime
                index += 8
            }
            while index < bytes.count {
                state = (state ^ UInt64(bytes[index])) &* Self.prime
                index += 1
            }
        }
        state = (state ^ 0x1F) &* Self.prime
    }

    public var hex: String {
        // A multiply moves a difference only upwards: without this final
        // mix (MurmurHash3's), bytes 6 and 7 of a word would never reach
        // the 48 bits kept, and names differing only there would collide.
        var mixed = state
        mixed ^= mixed >> 33
        mixed &*= 0xff51_afd7_ed55_8ccd
        mixed ^= mixed >> 33
        mixed &*= 0xc4ce_b9fe_1a85_ec53
        mixed ^= mixed >> 33
        let digits = String(mixed & 0xFFFF_FFFF_FFFF, radix: 16)
        return String(repeating: "0", count: AppliedTag.digits - digits.count) + digits
    }
}

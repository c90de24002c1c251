import PoolctlModel

/// The live view a plan was made from, for one pool.
public struct PoolFingerprint: Sendable, Hashable, Codable {
    public var poolID: String
    public var key: String?
    public var name: String
    public var updatedAt: String
    public var memberCount: Int
    /// A hash of name, tags, sorted member ids and updatedAt.
    public var digest: String

    public init(pool: LivePool, key: String?) {
        poolID = pool.id
        self.key = key
        name = pool.name
        updatedAt = pool.updatedAt
        memberCount = pool.memberCount ?? 0
        digest = pool.summary?.digest ?? Self.digest(of: pool)
    }

    public init(poolID: String, key: String?, name: String, updatedAt: String, memberCount: Int, digest: String) {
        self.poolID = poolID
        self.key = key
        self.name = name
        self.updatedAt = updatedAt
        self.memberCount = memberCount
        self.digest = digest
    }

    /// FNV-1a 64 over a canonical text form: stable across runs and
    /// platforms (unlike `Hasher`), and cheap for 10,000 pools.
    public static func digest(of pool: LivePool) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func feed(_ text: String) {
            var text = text
            // Over the contiguous UTF-8: a byte at a time through `utf8` was most of this.
            text.withUTF8 { bytes in
                for byte in bytes {
                    hash ^= UInt64(byte)
                    hash = hash &* 0x0000_0100_0000_01b3
                }
            }
            hash ^= 0x1F
            hash = hash &* 0x0000_0100_0000_01b3
        }
        feed(pool.name)
        for key in pool.tags.keys.sorted() {
            feed(key)
            feed(pool.tags[key]!)
        }
        feed("members")
        for member in pool.members ?? [] { feed(member.id) }
        feed(pool.updatedAt)
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

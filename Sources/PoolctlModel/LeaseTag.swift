/// The reserved tag of a stack lease: an empty pool whose tag
/// `poolctl-lease: v1~STACK~HOLDER~TTLSECONDS` says that HOLDER is applying
/// STACK. Its key is not the ownership key (`poolctl`), so plan, prune and
/// export never see a lease as a pool of the stack.
public struct LeaseTag: Sendable, Hashable {
    /// The reserved tag key. Users may not set it.
    public static let tagKey = "poolctl-lease"
    static let version = "v1"

    /// HOLDER: 1-100 characters of the tag charset without `~`.
    public static let maxHolderLength = 100
    /// The TTL is at most 9 digits, so the longest value (3 + 63 + 1 + 100 +
    /// 1 + 9 = 177 characters) fits the API's 256.
    public static let maxTTLSeconds = 999_999_999

    public var stack: String
    public var holder: String
    public var ttlSeconds: Int

    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case stack(String)
        case holder(String)
        case ttl(Int)

        public var description: String {
            switch self {
            case .stack(let stack): "lease stack '\(stack)' is not a valid stack name: \(ResourceName.rule)"
            case .holder(let holder):
                "lease holder '\(holder.prefix(120))' must be 1-\(LeaseTag.maxHolderLength) characters of a-z, A-Z, 0-9, '.', '_' and '-'"
            case .ttl(let seconds): "lease TTL \(seconds)s must be between 1 and \(LeaseTag.maxTTLSeconds) seconds"
            }
        }
    }

    public init(stack: String, holder: String, ttlSeconds: Int) throws(Problem) {
        guard ResourceName.isValid(stack) else { throw .stack(stack) }
        guard Self.isHolder(holder) else { throw .holder(holder) }
        guard (1...Self.maxTTLSeconds).contains(ttlSeconds) else { throw .ttl(ttlSeconds) }
        self.stack = stack
        self.holder = holder
        self.ttlSeconds = ttlSeconds
    }

    /// The tag value, e.g. `v1~marketing~ci-runner-7.4711~120`.
    public var tagValue: String { "\(Self.version)~\(stack)~\(holder)~\(ttlSeconds)" }

    /// The lease's one tag.
    public var tags: [String: String] { [Self.tagKey: tagValue] }

    /// A second reserved key that each renewal sets to a new count, so every
    /// renewal PATCH changes the pool and moves `updatedAt` even on an API
    /// that ignores a PATCH with identical values. A separate key keeps the
    /// `poolctl-lease` value's grammar, so older versions still read leases.
    public static let renewalKey = "poolctl-lease-renewal"

    /// The tags of the `count`-th renewal (1, 2, ...).
    public func tags(renewal count: Int) -> [String: String] {
        [Self.tagKey: tagValue, Self.renewalKey: String(count)]
    }

    /// The start of every lease pool's name for `stack`.
    public static func poolNamePrefix(stack: String) -> String { "poolctl lease: \(stack) (" }

    /// Reads a tag value; nil when it is not a value poolctl writes. Only the
    /// canonical form is read (no sign, no leading zero), so render(parse(x)) == x.
    public init?(tagValue: String) {
        let parts = tagValue.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == Self.version else { return nil }
        let ttl = parts[3]
        guard !ttl.isEmpty, ttl.utf8.count <= 9, ttl.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            !ttl.hasPrefix("0"), let seconds = Int(ttl)
        else { return nil }
        guard let lease = try? LeaseTag(stack: parts[1], holder: parts[2], ttlSeconds: seconds) else { return nil }
        self = lease
    }

    /// The lease a live pool's tags describe; nil when it is no lease poolctl wrote.
    public init?(tags: [String: String]) {
        guard let value = tags[Self.tagKey] else { return nil }
        self.init(tagValue: value)
    }

    /// Whether the tags carry the reserved lease key at all, readable or not.
    public static func isLease(_ tags: [String: String]) -> Bool { tags[tagKey] != nil }

    /// The stack a pool holds the lease of, when its tags make it a lease.
    public static func stack(of tags: [String: String]) -> String? { LeaseTag(tags: tags)?.stack }

    public static func isHolder(_ text: String) -> Bool {
        APIFormat.isTagText(text) && !text.utf8.contains(UInt8(ascii: "~")) && text.utf8.count <= maxHolderLength
    }

    /// A valid HOLDER made from any text (e.g. a host name and a pid): bytes
    /// outside the charset become `-`, and it is cut to 100 characters.
    public static func holder(from text: String) -> String {
        let mapped = text.unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && scalar != "~" && APIFormat.isTagText(String(scalar))
            return allowed ? Character(scalar) : "-"
        }
        let holder = String(mapped.prefix(maxHolderLength))
        return holder.isEmpty ? "unknown" : holder
    }

    /// The lease pool's name: "poolctl lease: STACK (HOST[, CI run RUN])",
    /// with HOST and RUN cut so the name stays within the API's 256 code
    /// points. Control characters become spaces.
    public static func poolName(stack: String, host: String, ciRun: String? = nil) -> String {
        func clean(_ text: String) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        }
        func cut(_ text: String, _ limit: Int) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.prefix(max(0, limit))))
        }
        let head = poolNamePrefix(stack: stack)
        var room = APIFormat.maxPoolNameLength - APIFormat.poolNameLength(head) - 1
        let run = ciRun.map(clean).map { ", CI run " + cut($0, 64) } ?? ""
        room -= APIFormat.poolNameLength(run)
        return head + cut(clean(host), room) + run + ")"
    }
}

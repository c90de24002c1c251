import Foundation

/// Rules that a manifest set, and the plan made from it, must keep (issue
/// 21): read from `kind: Policy` files by `PolicyLoader`, checked by
/// `PolicyCheck`. Each rule keeps where it was written, so that a violation
/// can point at the rule as well as at the pool.
public struct Policy: Sendable, Hashable {
    public var rules: [PolicyRule]
    /// The policy files read, in the order given.
    public var files: [String]

    public init(rules: [PolicyRule] = [], files: [String] = []) {
        self.rules = rules
        self.files = files
    }

    public static let apiVersion = "poolctl/v1"
    public static let kind = "Policy"
}

public struct PolicyRule: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
        case error, warning

        public var diagnostic: Diagnostic.Severity { self == .error ? .error : .warning }
    }

    /// What a rule checks: the desired state (`require`, also offline in
    /// `validate`), or the plan's effect on the pools it matches (`limit`).
    public enum Check: Sendable, Hashable {
        case require(PolicyRequirement)
        case limit(PolicyLimit)
    }

    public var id: String
    public var description: String?
    public var severity: Severity
    public var match: PolicyMatch
    public var check: Check
    public var location: SourceLocation?

    public init(
        id: String, description: String? = nil, severity: Severity = .error, match: PolicyMatch = PolicyMatch(),
        check: Check, location: SourceLocation? = nil
    ) {
        self.id = id
        self.description = description
        self.severity = severity
        self.match = match
        self.check = check
        self.location = location
    }
}

/// Which pools a rule applies to. Every condition given must hold; none
/// given means every pool. A saved plan holds it as it is (keys below).
public struct PolicyMatch: Sendable, Hashable, Codable {
    /// A glob over the pool key: `*` any run of characters, `?` one.
    public var key: String?
    /// An ICU regular expression over the pool name, unanchored.
    public var name: String?
    /// Tag key → ICU regular expression over its value; the tag must be set.
    public var tags: [String: String]

    public init(key: String? = nil, name: String? = nil, tags: [String: String] = [:]) {
        self.key = key
        self.name = name
        self.tags = tags
    }
}

/// What every matched pool must declare.
public struct PolicyRequirement: Sendable, Hashable {
    /// Tag key → regular expression its value must match; the tag must be set.
    public var tags: [String: String]
    public var name: String?
    /// Only `true` asks anything: the pool must be protected.
    public var protect: Bool
    public var minMembers: Int?
    public var maxMembers: Int?
    public var membership: Membership?

    public init(
        tags: [String: String] = [:], name: String? = nil, protect: Bool = false, minMembers: Int? = nil, maxMembers: Int? = nil,
        membership: Membership? = nil
    ) {
        self.tags = tags
        self.name = name
        self.protect = protect
        self.minMembers = minMembers
        self.maxMembers = maxMembers
        self.membership = membership
    }
}

/// The most a plan may do to the pools a rule matches. A saved plan holds it
/// as it is (keys below).
public struct PolicyLimit: Sendable, Hashable, Codable {
    /// Pools deleted; 0 forbids any delete.
    public var deletes: Int?
    /// Senders removed from any one pool.
    public var removeSenders: Int?
    /// The share of one pool's members removed, 0 to 1.
    public var removeFraction: Double?

    public init(deletes: Int? = nil, removeSenders: Int? = nil, removeFraction: Double? = nil) {
        self.deletes = deletes
        self.removeSenders = removeSenders
        self.removeFraction = removeFraction
    }
}

// The keys a saved plan (`PlanFile`, `policy.rules`) holds a rule's match and
// limit under: part of that public format.

extension PolicyMatch {
    enum CodingKeys: String, CodingKey { case key, name, tags }
}

extension PolicyLimit {
    enum CodingKeys: String, CodingKey { case deletes, removeSenders, removeFraction }
}

/// The two pattern languages of a policy. Regular expressions are ICU's
/// (`NSRegularExpression`) and unanchored: `prod` matches `eu-prod-1`;
/// `^prod$` matches only `prod` in a tag value, which cannot hold a line
/// break, but also `"prod\n"` as a name: `\Aprod\z` is exact.
public enum PolicyPattern {
    /// Nil when `pattern` is not a valid regular expression.
    public static func regex(_ pattern: String) -> NSRegularExpression? {
        try? NSRegularExpression(pattern: pattern)
    }

    public static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
        regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Whether `text` matches `glob` as a whole: `*` is any run of
    /// characters (none included), `?` exactly one.
    public static func globMatches(_ glob: String, _ text: String) -> Bool {
        let pattern = Array(glob)
        let subject = Array(text)
        var p = 0
        var s = 0
        // The last `*` seen, and where in the subject it was tried from.
        var star: Int?
        var resume = 0
        while s < subject.count {
            if p < pattern.count, pattern[p] == "*" {
                star = p
                resume = s
                p += 1
            } else if p < pattern.count, pattern[p] == "?" || pattern[p] == subject[s] {
                p += 1
                s += 1
            } else if let starAt = star {
                p = starAt + 1
                resume += 1
                s = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

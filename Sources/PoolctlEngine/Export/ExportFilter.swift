import Foundation
import PoolctlModel

/// Which pools `export` considers: `--name REGEX` (matched anywhere in the
/// name; anchor it with ^ and $) and `--tag KEY=VALUE`. Every tag key given
/// must be present with one of the values given for it.
public struct ExportFilter: Sendable {
    /// An NSRegularExpression is immutable and documented as thread-safe.
    private final class Pattern: @unchecked Sendable {
        let regex: NSRegularExpression
        init(_ regex: NSRegularExpression) { self.regex = regex }
    }

    public struct InvalidPattern: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    private let pattern: Pattern?
    /// Tag key -> accepted values.
    public let tags: [String: Set<String>]

    public init(namePattern: String? = nil, tags: [(key: String, value: String)] = []) throws(InvalidPattern) {
        if let namePattern {
            do {
                pattern = Pattern(try NSRegularExpression(pattern: namePattern))
            } catch {
                throw InvalidPattern(description: "invalid --name pattern '\(namePattern)': not an ICU regular expression")
            }
        } else {
            pattern = nil
        }
        var accepted: [String: Set<String>] = [:]
        for tag in tags { accepted[tag.key, default: []].insert(tag.value) }
        self.tags = accepted
    }

    public func matches(name: String, tags poolTags: [String: String]) -> Bool {
        for (key, values) in tags {
            guard let value = poolTags[key], values.contains(value) else { return false }
        }
        guard let regex = pattern?.regex else { return true }
        return regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }
}

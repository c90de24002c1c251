import Foundation
import PoolctlModel

/// Checks a policy's rules, purely: `require` rules against the desired
/// state (so `validate` can run them offline). A violation is a diagnostic
/// at the pool's manifest location that names the rule, with a note at the
/// rule's own line.
public enum PolicyCheck {
    public static func require(_ policy: Policy, desired: DesiredState) -> [Diagnostic] {
        var compiled = Patterns()
        var found: [Diagnostic] = []
        for rule in policy.rules {
            guard case .require(let requirement) = rule.check else { continue }
            for pool in desired.pools.sorted(by: { $0.key < $1.key })
            where compiled.matches(rule.match, key: pool.key, name: pool.name, tags: pool.tags) {
                for problem in problems(requirement, pool: pool, patterns: &compiled) {
                    found.append(violation(rule, "pool '\(pool.key)' \(problem)", at: pool.location))
                }
            }
        }
        return found
    }

    /// What `pool` lacks of `requirement`, one sentence each, in the order
    /// the requirement's fields are documented.
    static func problems(_ requirement: PolicyRequirement, pool: DesiredPool, patterns: inout Patterns) -> [String] {
        var problems: [String] = []
        for (key, pattern) in requirement.tags.sorted(by: { $0.key < $1.key }) {
            if let value = pool.tags[key] {
                if !patterns.matches(pattern, value) {
                    problems.append("has tag \(key)='\(value)', which does not match /\(pattern)/")
                }
            } else {
                problems.append("must set tag '\(key)' (matching /\(pattern)/)")
            }
        }
        if let pattern = requirement.name, !patterns.matches(pattern, pool.name) {
            problems.append("is named '\(pool.name)', which does not match /\(pattern)/")
        }
        if requirement.protect, !pool.protect {
            problems.append("must be protected (protect: true)")
        }
        let members = pool.senders.count
        if let low = requirement.minMembers, members < low {
            problems.append("declares \(members) sender\(members == 1 ? "" : "s"), fewer than the \(low) required (minMembers)")
        }
        if let high = requirement.maxMembers, members > high {
            problems.append("declares \(members) senders, more than the \(high) allowed (maxMembers)")
        }
        if let membership = requirement.membership, pool.membership != membership {
            problems.append("has membership: \(pool.membership.rawValue); the rule requires \(membership.rawValue)")
        }
        return problems
    }

    static func violation(_ rule: PolicyRule, _ message: String, at location: SourceLocation?) -> Diagnostic {
        let about = rule.description.map { ": \($0)" } ?? ""
        return Diagnostic(
            rule.severity.diagnostic, "policy rule '\(rule.id)': \(message)", at: location,
            notes: [Diagnostic.Note(message: "rule '\(rule.id)' is defined here\(about)", location: rule.location)])
    }

    /// Regular expressions compiled once per check. The loader has checked
    /// each one, so one that does not compile here matches nothing.
    struct Patterns {
        private var cache: [String: NSRegularExpression?] = [:]

        mutating func matches(_ pattern: String, _ text: String) -> Bool {
            if cache[pattern] == nil { cache[pattern] = .some(PolicyPattern.regex(pattern)) }
            guard let regex = cache[pattern] ?? nil else { return false }
            return PolicyPattern.matches(regex, text)
        }

        mutating func matches(_ match: PolicyMatch, key: String, name: String, tags: [String: String]) -> Bool {
            if let glob = match.key, !PolicyPattern.globMatches(glob, key) { return false }
            if let pattern = match.name, !matches(pattern, name) { return false }
            for (tag, pattern) in match.tags {
                guard let value = tags[tag], matches(pattern, value) else { return false }
            }
            return true
        }
    }
}

import Foundation
import PoolctlModel

/// Checks a policy's rules, purely: `require` rules against the desired
/// state (so `validate` can run them offline), `limit` rules against a
/// plan's effect. A violation is a diagnostic at the pool's manifest
/// location (for a pool being pruned, at `prune:`) that names the rule, with
/// a note at the rule's own line.
public enum PolicyCheck {
    /// How many deleted keys a `limit.deletes` violation names before it counts the rest.
    static let keysNamed = 20

    /// Both kinds, for `plan` and `apply`. `allowed` are the ids of `limit`
    /// rules lifted for this run (`--allow-policy`): their violations become
    /// warnings that say so.
    public static func evaluate(_ policy: Policy, desired: DesiredState, plan: Plan, allowed: Set<String> = []) -> PolicyVerdict {
        let found = requireViolations(policy, desired: desired) + limitViolations(policy, plan: plan, desired: desired)
        return PolicyVerdict(diagnostics: found.map { lift($0.rule, $0.diagnostic, allowed: allowed) })
    }

    /// A saved plan's check, made again with the rules it records: its
    /// require violations stand (the manifests they were found in are not at
    /// hand, and the plan cannot change them), its limit rules are run again
    /// on the saved changes, and `allowed` (the recorded overrides and this
    /// run's) lifts limit rules. Locations come from the recorded violations.
    public static func recheck(_ recorded: PolicyOutcome, plan: Plan, allowed: Set<String>) -> PolicyOutcome {
        let policy = recorded.policy
        let limitRules = Set(policy.rules.filter { if case .limit = $0.check { true } else { false } }.map(\.id))
        // A limit violation found again is the same sentence: it keeps the
        // recorded manifest location and note, which the saved plan's rules lack.
        let recordedByMessage = Dictionary(
            recorded.verdict.diagnostics.map { (Self.unlifted($0.message), $0) }, uniquingKeysWith: { first, _ in first })
        let bare = DesiredState(stack: plan.stack, prune: plan.prune, pools: [])
        var found: [(rule: PolicyRule, diagnostic: Diagnostic)] = []
        for diagnostic in recorded.verdict.diagnostics {
            guard let id = diagnostic.rule, !limitRules.contains(id), let rule = policy.rules.first(where: { $0.id == id }) else {
                continue
            }
            var kept = diagnostic
            kept.severity = rule.severity.diagnostic
            found.append((rule, kept))
        }
        for (rule, diagnostic) in limitViolations(policy, plan: plan, desired: bare) {
            var located = diagnostic
            if let earlier = recordedByMessage[diagnostic.message] {
                located.location = earlier.location
                located.notes = earlier.notes
            }
            found.append((rule, located))
        }
        let verdict = PolicyVerdict(diagnostics: found.map { lift($0.rule, $0.diagnostic, allowed: allowed) })
        return PolicyOutcome(policy: policy, allowed: Array(allowed), verdict: verdict)
    }

    static let liftedSuffix = " (allowed for this run by --allow-policy "

    static func unlifted(_ message: String) -> String {
        guard let range = message.range(of: liftedSuffix) else { return message }
        return String(message[..<range.lowerBound])
    }

    static func lift(_ rule: PolicyRule, _ violation: Diagnostic, allowed: Set<String>) -> Diagnostic {
        // Only limit rules can be lifted, whatever a (saved) override list says.
        guard case .limit = rule.check, violation.severity == .error, allowed.contains(rule.id) else { return violation }
        var lifted = violation
        lifted.severity = .warning
        lifted.message += liftedSuffix + "\(rule.id))"
        return lifted
    }

    /// `limit` rules against the plan: deletes over all matched pools,
    /// removals per matched pool. A deleted pool (pruned, or a duplicate of a
    /// declared one) is matched by its live name and tags, any other by what
    /// it is before the plan or after it.
    public static func limits(_ policy: Policy, plan: Plan, desired: DesiredState) -> [Diagnostic] {
        limitViolations(policy, plan: plan, desired: desired).map(\.diagnostic)
    }

    static func limitViolations(_ policy: Policy, plan: Plan, desired: DesiredState) -> [(rule: PolicyRule, diagnostic: Diagnostic)] {
        var compiled = Patterns()
        var found: [(rule: PolicyRule, diagnostic: Diagnostic)] = []
        let locations = Dictionary(desired.pools.map { ($0.key, $0.location) }, uniquingKeysWith: { first, _ in first })
        for rule in policy.rules {
            guard case .limit(let limit) = rule.check else { continue }
            let matched = plan.changes.filter { matches(rule.match, $0, compiled: &compiled) }
            let deletes = matched.filter(\.action.deletesPool)
            if let most = limit.deletes, deletes.count > most {
                // Named up to a point: the line goes into PR comments and SARIF; the plan lists every delete.
                var keys = deletes.prefix(Self.keysNamed).map { "'\($0.key)'" }.joined(separator: ", ")
                if deletes.count > Self.keysNamed { keys += ", … and \(deletes.count - Self.keysNamed) more" }
                let allowed = most == 0 ? "no pool may be deleted" : "at most \(most) may be"
                found.append(
                    (
                        rule,
                        violation(
                            rule,
                            "the plan deletes \(deletes.count) matched pool\(deletes.count == 1 ? "" : "s") (\(keys)); \(allowed) (limit.deletes)",
                            at: desired.pruneLocation)
                    ))
            }
            for change in matched where !change.removeSenders.isEmpty {
                let removed = change.removeSenders.count
                let at = change.action.deletesPool ? desired.pruneLocation : locations[change.key] ?? nil
                if let most = limit.removeSenders, removed > most {
                    found.append(
                        (
                            rule,
                            violation(
                                rule,
                                "the plan removes \(removed) sender\(removed == 1 ? "" : "s") from pool '\(change.key)'; at most \(most) may go (limit.removeSenders)",
                                at: at)
                        ))
                }
                // Division, as the guard does: removed / before is the double
                // nearest the written fraction when they are equal.
                if let fraction = limit.removeFraction, change.membersBefore > 0, Double(removed) / Double(change.membersBefore) > fraction
                {
                    found.append(
                        (
                            rule,
                            violation(
                                rule,
                                "the plan removes \(removed) of the \(change.membersBefore) members of pool '\(change.key)'; at most \(DestructiveGuard.allowedRemovals(of: change.membersBefore, fraction: fraction)) may go (limit.removeFraction: \(fraction))",
                                at: at)
                        ))
                }
            }
        }
        return found
    }

    /// A pool matches by what it is before the plan or after it: retagging,
    /// renaming or moving a pool in the same plan never escapes a limit.
    private static func matches(_ match: PolicyMatch, _ change: PoolChange, compiled: inout Patterns) -> Bool {
        var before = change.desiredTags
        for tag in change.tags { before[tag.key] = tag.before }
        let beforeName = change.name.before ?? change.key
        let afterName = change.name.after ?? beforeName
        return compiled.matches(match, key: change.movedFrom ?? change.key, name: beforeName, tags: before)
            || (!change.action.deletesPool
                && compiled.matches(match, key: change.key, name: afterName, tags: change.desiredTags))
    }

    public static func require(_ policy: Policy, desired: DesiredState) -> [Diagnostic] {
        requireViolations(policy, desired: desired).map(\.diagnostic)
    }

    static func requireViolations(_ policy: Policy, desired: DesiredState) -> [(rule: PolicyRule, diagnostic: Diagnostic)] {
        var compiled = Patterns()
        var found: [(rule: PolicyRule, diagnostic: Diagnostic)] = []
        for rule in policy.rules {
            guard case .require(let requirement) = rule.check else { continue }
            for pool in desired.pools.sorted(by: { $0.key < $1.key })
            where compiled.matches(rule.match, key: pool.key, name: pool.name, tags: pool.tags) {
                for problem in problems(requirement, pool: pool, patterns: &compiled) {
                    found.append((rule, violation(rule, "pool '\(pool.key)' \(problem)", at: pool.location)))
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
            problems.append("declares \(members) sender\(members == 1 ? "" : "s"), more than the \(high) allowed (maxMembers)")
        }
        if let membership = requirement.membership, pool.membership != membership {
            problems.append("has membership: \(pool.membership.rawValue); the rule requires \(membership.rawValue)")
        }
        return problems
    }

    static func violation(_ rule: PolicyRule, _ message: String, at location: SourceLocation?) -> Diagnostic {
        let about = rule.description.map { ": \($0)" } ?? ""
        var diagnostic = Diagnostic(
            rule.severity.diagnostic, "policy rule '\(rule.id)': \(message)", at: location,
            notes: [Diagnostic.Note(message: "rule '\(rule.id)' is defined here\(about)", location: rule.location)])
        diagnostic.rule = rule.id
        return diagnostic
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

/// A policy's verdict on one plan.
public struct PolicyVerdict: Sendable, Hashable {
    /// Violations, errors first; lifted ones are warnings.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted { lhs, rhs in
            if lhs.severity != rhs.severity { return lhs.severity < rhs.severity }
            return lhs < rhs
        }
    }

    /// An error rule is violated, and not lifted: plan exits 1, apply writes nothing.
    public var blocks: Bool { diagnostics.contains { $0.severity == .error } }
    public var errors: Int { diagnostics.filter { $0.severity == .error }.count }
}

/// A policy's check of one plan, kept on the plan and in its saved form:
/// the rules checked, the `limit` rules lifted for the run, and the verdict.
public struct PolicyOutcome: Sendable, Hashable {
    public var policy: Policy
    /// `--allow-policy` rule ids, sorted.
    public var allowed: [String]
    public var verdict: PolicyVerdict

    public init(policy: Policy, allowed: [String], verdict: PolicyVerdict) {
        self.policy = policy
        self.allowed = allowed.sorted()
        self.verdict = verdict
    }

    public var blocks: Bool { verdict.blocks }
}

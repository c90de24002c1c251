import Foundation
import PoolctlModel

/// The saved plan, a public format (`formatVersion: 3`): what
/// `plan --format json` prints, `plan --out FILE` saves, and `apply FILE` and
/// `show FILE` read. It holds everything apply needs (full member lists, the
/// tags to send, the fingerprints), so no manifests are needed at hand.
///
/// Where the file spells a part of the plan as the planner holds it, it holds
/// the planner's value (`PoolFingerprint`, `GuardViolation`, …) under keys
/// declared here, so renaming a property inside the planner cannot change
/// the file; where it spells it otherwise, it has a type of its own. Bump
/// `formatVersion` on any change that would break a consumer; readers
/// refuse versions they do not know.
public struct PlanFile: Sendable, Hashable, Codable {
    /// 2: `guard` and `targeting`; a version-1 reader must not apply a
    /// blocked or partial plan as if it were whole and allowed.
    /// 3: `policy`; a version-2 reader must not apply a plan a policy blocked.
    /// Version 2 files are still read (they have no policy).
    public static let currentFormatVersion = 3
    public static let readableFormatVersions = 2...3
    public static let kindValue = "poolctl-plan"

    public var formatVersion: Int
    public var kind: String
    public var poolctlVersion: String
    public var stack: String
    public var prune: Bool
    public var summary: Summary
    /// API calls apply is expected to make, by endpoint.
    public var apiCalls: [String: Int]
    public var changes: [Change]
    public var conflicts: [PlanDiagnostic]
    public var warnings: [PlanDiagnostic]
    public var fingerprints: [PoolFingerprint]
    /// The destructive-change guard's verdict.
    public var `guard`: Guard
    /// Only for a partial plan.
    public var targeting: Scope?
    /// Only for a plan checked against a policy (`--policy`).
    public var policy: PolicyResult?

    public init(plan: Plan, poolctlVersion: String) {
        formatVersion = Self.currentFormatVersion
        kind = Self.kindValue
        self.poolctlVersion = poolctlVersion
        stack = plan.stack
        prune = plan.prune
        summary = Summary(plan.summary)
        apiCalls = plan.estimate.byEndpoint
        changes = plan.changes.map(Change.init)
        conflicts = plan.diagnostics.filter { $0.severity == .error }
        warnings = plan.diagnostics.filter { $0.severity != .error }
        fingerprints = plan.fingerprints
        `guard` = Guard(plan.destructiveGuard)
        targeting = plan.targeting.map(Scope.init)
        policy = plan.policy.map(PolicyResult.init)
    }

    /// The plan this file holds. The summary and the guard's verdict are
    /// recomputed from the changes.
    public var plan: Plan {
        let changes = changes.map(\.change)
        return Plan(
            stack: stack, prune: prune, changes: changes, diagnostics: conflicts + warnings,
            fingerprints: fingerprints, estimate: CallEstimate(byEndpoint: apiCalls),
            destructiveGuard: `guard`.result(of: changes), targeting: targeting?.targeting, policy: policy?.outcome)
    }

    /// The counts a reviewer reads first.
    public struct Summary: Sendable, Hashable, Codable {
        public var create: Int
        public var update: Int
        public var delete: Int
        public var adopt: Int
        /// Left out when there is no move, so plans without moves read as before.
        public var move: Int?
        public var addSenders: Int
        public var removeSenders: Int
        public var apiCalls: Int
        public var deleteBlocked: Int
        public var conflicts: Int
        public var warnings: Int
        public var hasChanges: Bool

        init(_ summary: PlanSummary) {
            create = summary.create
            update = summary.update
            delete = summary.delete
            adopt = summary.adopt
            move = summary.move > 0 ? summary.move : nil
            addSenders = summary.addSenders
            removeSenders = summary.removeSenders
            apiCalls = summary.apiCalls
            deleteBlocked = summary.deleteBlocked
            conflicts = summary.conflicts
            warnings = summary.warnings
            hasChanges = summary.hasChanges
        }
    }

    /// One pool's planned change: the `PoolChange` under its keys (below),
    /// and the three fields the file spells its own way.
    public struct Change: Sendable, Hashable, Codable {
        public var change: PoolChange

        init(_ change: PoolChange) { self.change = change }

        private enum CodingKeys: String, CodingKey {
            /// The pool's `ignoreTags`, sorted; left out when there are none.
            case ignoredTags
            /// Why each field the change sets differs, by field: `manifest`,
            /// `drift`, `both` or `unknown` (formatVersion 3; absent in older
            /// plans, read as `unknown` for each field set). A field or cause
            /// this version does not know is left out.
            case cause
            /// The fields whose cause is `drift` or `both`, in field order:
            /// written for readers, recomputed from `cause` when read.
            case drift
        }

        public init(from decoder: any Decoder) throws {
            change = try PoolChange(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            change.ignoredTags = try container.decodeIfPresent([String].self, forKey: .ignoredTags)?.sorted() ?? []
            if let cause = try container.decodeIfPresent([String: String].self, forKey: .cause) {
                change.cause = Dictionary(
                    cause.compactMap { field, cause in
                        ChangeField(rawValue: field).flatMap { field in ChangeCause(rawValue: cause).map { (field, $0) } }
                    }, uniquingKeysWith: { first, _ in first })
            } else {
                // A version-2 plan knew no causes: each field it sets has cause `unknown`, not none.
                change.cause = Dictionary(uniqueKeysWithValues: change.fieldsSet.map { ($0, ChangeCause.unknown) })
            }
            // Read only to refuse a malformed one, as before.
            _ = try container.decodeIfPresent([String].self, forKey: .drift)
        }

        public func encode(to encoder: any Encoder) throws {
            try change.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(change.ignoredTags.isEmpty ? nil : change.ignoredTags, forKey: .ignoredTags)
            let cause = Dictionary(uniqueKeysWithValues: change.cause.map { ($0.key.rawValue, $0.value.rawValue) })
            try container.encode(cause, forKey: .cause)
            try container.encode(change.drift.map(\.rawValue), forKey: .drift)
        }
    }
}

extension PoolChange {
    /// The fields a change writes: its name, its tags, its members.
    var fieldsSet: [ChangeField] {
        guard action.isChange, !action.deletesPool else { return [] }
        var fields: [ChangeField] = []
        if name.changed { fields.append(.name) }
        if !tags.isEmpty { fields.append(.tags) }
        if !addSenders.isEmpty || !removeSenders.isEmpty { fields.append(.members) }
        return fields
    }
}

// The keys of the planner's values the file holds as they are. Their enums
// (`PlanAction`, `Membership`, `Diagnostic.Severity`) are saved by raw value.

extension PoolChange {
    /// `PlanFile.Change` adds `ignoredTags`, `cause` and `drift`.
    enum CodingKeys: String, CodingKey {
        case key, action, poolID, name, tags, desiredTags, addSenders, removeSenders, membership, protect
        case membersBefore, membersAfter, reason, createdAt
        /// Only for `move`: the key whose ownership the pool carries now.
        case movedFrom
        /// The `poolctl-applied` value apply records; absent when none.
        case applied
    }
}

extension ValueChange {
    /// Nil before: the pool does not exist yet.
    enum CodingKeys: String, CodingKey { case before, after }
}

extension TagChange {
    enum CodingKeys: String, CodingKey { case key, before, after }
}

extension MemberChange {
    enum CodingKeys: String, CodingKey { case id, alias, address, channel }
}

extension PlanDiagnostic {
    /// `location` is a `SourceLocation`: `file`, `line` and `column`.
    enum CodingKeys: String, CodingKey { case severity, key, message, poolIDs, location }

    /// Through the init, so that a hand-edited file's `poolIDs` read sorted, as poolctl writes them.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            severity: try values.decode(Diagnostic.Severity.self, forKey: .severity),
            key: try values.decodeIfPresent(String.self, forKey: .key), message: try values.decode(String.self, forKey: .message),
            poolIDs: try values.decode([String].self, forKey: .poolIDs),
            location: try values.decodeIfPresent(SourceLocation.self, forKey: .location))
    }
}

extension PoolFingerprint {
    enum CodingKeys: String, CodingKey { case poolID, key, name, updatedAt, memberCount, digest }
}

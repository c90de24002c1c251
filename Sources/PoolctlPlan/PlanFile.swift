import Foundation
import PoolctlModel

/// The saved plan, a public format (`formatVersion: 3`): what
/// `plan --format json` prints, `plan --out FILE` saves, and `apply FILE` and
/// `show FILE` read. It holds everything apply needs (full member lists, the
/// tags to send, the fingerprints), so no manifests are needed at hand.
///
/// Its types are its own and map to the planner's explicitly, so renaming
/// something inside the planner cannot change the file. Bump
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
    public var conflicts: [Diagnostic]
    public var warnings: [Diagnostic]
    public var fingerprints: [Fingerprint]
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
        conflicts = plan.diagnostics.filter { $0.severity == .error }.map(Diagnostic.init)
        warnings = plan.diagnostics.filter { $0.severity != .error }.map(Diagnostic.init)
        fingerprints = plan.fingerprints.map(Fingerprint.init)
        `guard` = Guard(plan.destructiveGuard)
        targeting = plan.targeting.map(Scope.init)
        policy = plan.policy.map(PolicyResult.init)
    }

    /// The plan this file holds. The summary is recomputed from the changes.
    public var plan: Plan {
        Plan(
            stack: stack, prune: prune, changes: changes.map(\.poolChange),
            diagnostics: (conflicts + warnings).map(\.planDiagnostic),
            fingerprints: fingerprints.map(\.poolFingerprint), estimate: CallEstimate(byEndpoint: apiCalls),
            destructiveGuard: `guard`.result, targeting: targeting?.targeting, policy: policy?.outcome)
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

    /// One pool's planned change.
    public struct Change: Sendable, Hashable, Codable {
        public var key: String
        public var action: Action
        public var poolID: String?
        public var name: Value
        public var tags: [Tag]
        public var desiredTags: [String: String]
        public var addSenders: [Member]
        public var removeSenders: [Member]
        public var membership: MembershipMode
        public var protect: Bool
        public var membersBefore: Int
        public var membersAfter: Int
        public var reason: String?
        /// Only for `delete-duplicate`: when the duplicate was created.
        public var createdAt: String?
        /// Only for `move`: the key whose ownership the pool carries now.
        public var movedFrom: String?
        /// The pool's `ignoreTags`, sorted; left out when there are none.
        public var ignoredTags: [String]?
        /// Why each field the change sets differs: `manifest`, `drift`,
        /// `both` or `unknown` (formatVersion 3; absent in older plans).
        public var cause: [String: String]?
        /// The fields whose cause is `drift` or `both`, in field order.
        public var drift: [String]?
        /// The `poolctl-applied` value apply records; absent when none.
        public var applied: String?

        init(_ change: PoolChange) {
            key = change.key
            action = Action(change.action)
            poolID = change.poolID
            name = Value(before: change.name.before, after: change.name.after)
            tags = change.tags.map { Tag(key: $0.key, before: $0.before, after: $0.after) }
            desiredTags = change.desiredTags
            addSenders = change.addSenders.map(Member.init)
            removeSenders = change.removeSenders.map(Member.init)
            membership = MembershipMode(change.membership)
            protect = change.protect
            membersBefore = change.membersBefore
            membersAfter = change.membersAfter
            reason = change.reason
            createdAt = change.createdAt
            movedFrom = change.movedFrom
            ignoredTags = change.ignoredTags.isEmpty ? nil : change.ignoredTags
            cause = Dictionary(uniqueKeysWithValues: change.cause.map { ($0.key.rawValue, $0.value.rawValue) })
            drift = change.drift.map(\.rawValue)
            applied = change.applied
        }

        var poolChange: PoolChange {
            PoolChange(
                key: key, action: action.planAction, poolID: poolID,
                name: ValueChange(before: name.before, after: name.after),
                tags: tags.map { TagChange(key: $0.key, before: $0.before, after: $0.after) },
                desiredTags: desiredTags, addSenders: addSenders.map(\.memberChange), removeSenders: removeSenders.map(\.memberChange),
                membership: membership.membership, protect: protect,
                membersBefore: membersBefore, membersAfter: membersAfter, reason: reason, createdAt: createdAt,
                movedFrom: movedFrom, ignoredTags: ignoredTags ?? [],
                cause: Dictionary(
                    (cause ?? [:]).compactMap { field, cause in
                        ChangeField(rawValue: field).flatMap { field in ChangeCause(rawValue: cause).map { (field, $0) } }
                    }, uniquingKeysWith: { first, _ in first }),
                applied: applied)
        }
    }

    /// What will happen to a pool; also the `action` of the apply report.
    /// The public format's own spelling of `PlanAction`: the same raw
    /// values, mapped by them (`PlanFileTests` checks every case both ways).
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        case create, update, adopt, move, delete
        case deleteDuplicate = "delete-duplicate"
        case deleteBlocked = "delete-blocked"
        case conflict
        case noChange = "no-change"

        public init(_ action: PlanAction) { self.init(mirroring: action) }
        var planAction: PlanAction { PlanAction(mirroring: self) }
    }

    public enum MembershipMode: String, Sendable, Hashable, Codable, CaseIterable {
        case exact, additive

        init(_ membership: Membership) { self.init(mirroring: membership) }
        var membership: Membership { Membership(mirroring: self) }
    }

    /// A value before and after; nil before: the pool does not exist yet.
    public struct Value: Sendable, Hashable, Codable {
        public var before: String?
        public var after: String?
    }

    public struct Tag: Sendable, Hashable, Codable {
        public var key: String
        public var before: String?
        public var after: String?
    }

    /// A sender joining or leaving a pool.
    public struct Member: Sendable, Hashable, Codable {
        public var id: String
        public var alias: String?
        public var address: String?
        public var channel: String?

        init(_ member: MemberChange) {
            id = member.id
            alias = member.alias
            address = member.address
            channel = member.channel
        }

        var memberChange: MemberChange {
            MemberChange(id: id, alias: alias, address: address, channel: channel)
        }
    }

    /// A conflict or a warning.
    public struct Diagnostic: Sendable, Hashable, Codable {
        public enum Severity: String, Sendable, Hashable, Codable, CaseIterable {
            case error, warning, note
        }

        public struct Location: Sendable, Hashable, Codable {
            public var file: String
            public var line: Int
            public var column: Int
        }

        public var severity: Severity
        public var key: String?
        public var message: String
        public var poolIDs: [String]
        public var location: Location?

        init(_ diagnostic: PlanDiagnostic) {
            severity = Severity(mirroring: diagnostic.severity)
            key = diagnostic.key
            message = diagnostic.message
            poolIDs = diagnostic.poolIDs
            location = diagnostic.location.map { Location(file: $0.file, line: $0.line, column: $0.column) }
        }

        var planDiagnostic: PlanDiagnostic {
            PlanDiagnostic(
                severity: PoolctlModel.Diagnostic.Severity(mirroring: severity), key: key, message: message, poolIDs: poolIDs,
                location: location.map { SourceLocation(file: $0.file, line: $0.line, column: $0.column) })
        }
    }

    /// The live view of one pool when the plan was made.
    public struct Fingerprint: Sendable, Hashable, Codable {
        public var poolID: String
        public var key: String?
        public var name: String
        public var updatedAt: String
        public var memberCount: Int
        public var digest: String

        init(_ fingerprint: PoolFingerprint) {
            poolID = fingerprint.poolID
            key = fingerprint.key
            name = fingerprint.name
            updatedAt = fingerprint.updatedAt
            memberCount = fingerprint.memberCount
            digest = fingerprint.digest
        }

        var poolFingerprint: PoolFingerprint {
            PoolFingerprint(poolID: poolID, key: key, name: name, updatedAt: updatedAt, memberCount: memberCount, digest: digest)
        }
    }
}

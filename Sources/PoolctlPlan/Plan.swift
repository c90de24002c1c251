import PoolctlModel

/// The outcome of comparing desired and live state: a plain value that holds
/// no client and no formatting. Renderers draw it; apply executes it. Its
/// saved form is `PlanFile`, which holds its parts under the keys it declares.
public struct Plan: Sendable, Hashable {
    public var stack: String
    public var prune: Bool
    /// One entry per pool key (and per undeclared owned pool), sorted by key,
    /// then pool id. No-change entries are included so that a reviewer sees
    /// every pool the plan looked at.
    public var changes: [PoolChange]
    /// Conflicts (errors) and warnings, e.g. an unmanaged pool with a declared name.
    public var diagnostics: [PlanDiagnostic]
    /// The live view of every pool the plan read, so that apply can refuse a
    /// stale plan.
    public var fingerprints: [PoolFingerprint]
    /// The API calls apply is expected to make, by endpoint.
    public var estimate: CallEstimate
    /// The destructive-change guard's verdict (`DestructiveGuard`).
    public var destructiveGuard: GuardResult
    /// Set for a partial plan (`--target`, `--exclude`).
    public var targeting: Targeting?
    /// Set when the plan was checked against a policy (`--policy`).
    public var policy: PolicyOutcome?
    /// Key → adopt id, for keys whose `adopt:` pool is gone and that own none (a conflict): to drift, `missing`.
    public var missingAdoptions: [String: String] = [:]

    public init(
        stack: String, prune: Bool, changes: [PoolChange], diagnostics: [PlanDiagnostic], fingerprints: [PoolFingerprint],
        estimate: CallEstimate, destructiveGuard: GuardResult = GuardResult(), targeting: Targeting? = nil, policy: PolicyOutcome? = nil
    ) {
        self.stack = stack
        self.prune = prune
        self.changes = changes
        self.diagnostics = diagnostics
        self.fingerprints = fingerprints
        self.estimate = estimate
        self.destructiveGuard = destructiveGuard
        self.targeting = targeting
        self.policy = policy
    }

    /// True when applying would change something.
    public var hasChanges: Bool { changes.contains { $0.action.isChange } }
    public var hasConflicts: Bool { diagnostics.contains { $0.severity == .error } }

    public var summary: PlanSummary { PlanSummary(self) }
}

/// What will happen to one pool. The raw values are the public names, in the
/// plan file and the apply report alike.
public enum PlanAction: String, Sendable, Hashable, Codable, CaseIterable {
    case create
    case update
    /// Take over an existing pool: it gets the ownership tag, and any other
    /// difference is changed with it.
    case adopt
    /// A declared pool whose key was renamed (`movedFrom`): the live pool of
    /// the old key gets the new ownership tag, and any other difference is
    /// changed with it. No create, no delete.
    case move
    case delete
    /// A second live pool carrying a key's ownership: the oldest is kept,
    /// this one is deleted (see `Planner.repairDuplicates`).
    case deleteDuplicate = "delete-duplicate"
    /// An owned pool that no manifest declares, but that is protected.
    case deleteBlocked = "delete-blocked"
    /// Nothing planned because of a conflict; see the plan's diagnostics.
    case conflict
    case noChange = "no-change"

    /// A delete of a pool no manifest declares, or of a duplicate.
    public var deletesPool: Bool { self == .delete || self == .deleteDuplicate }

    public var isChange: Bool {
        switch self {
        case .create, .update, .adopt, .move, .delete, .deleteDuplicate: return true
        case .deleteBlocked, .conflict, .noChange: return false
        }
    }
}

/// One pool's planned change, with before and after values. The plan file
/// saves it under the keys `PlanFile` declares.
public struct PoolChange: Sendable, Hashable, Codable {
    public var key: String
    public var action: PlanAction
    /// The live pool, when there is one.
    public var poolID: String?
    public var name: ValueChange
    /// Every tag whose value differs, sorted by tag key. The ownership tag
    /// is included.
    public var tags: [TagChange]
    /// Every tag after the change (the create or patch body), sorted by key.
    public var desiredTags: [String: String]
    public var addSenders: [MemberChange]
    public var removeSenders: [MemberChange]
    public var membership: Membership
    public var protect: Bool
    /// Members before and after.
    public var membersBefore: Int
    public var membersAfter: Int
    /// Why, for people: "not in any manifest; prune is on", …
    public var reason: String?
    /// The live pool's `createdAt`, shown for a duplicate to delete.
    public var createdAt: String?
    /// For a move: the key whose ownership the live pool carries now.
    public var movedFrom: String?
    /// Tag keys left out of the diff (`ignoreTags`), sorted; `desiredTags`
    /// carries their live values, and verification does not compare them.
    public var ignoredTags: [String] = []
    /// Why each field this change changes differs (issue 21): the manifest
    /// moved since the last apply, the live pool did, both, or unknown (no
    /// fingerprint to compare with). Only the fields it changes.
    public var cause: [ChangeField: ChangeCause] = [:]
    /// The `poolctl-applied` value apply records once the pool has
    /// converged; nil when none is recorded (no tag slot left, a delete, no
    /// change). It rides in the PATCH when `desiredTags` already carries it.
    public var applied: String?

    public init(
        key: String, action: PlanAction, poolID: String? = nil, name: ValueChange, tags: [TagChange] = [],
        desiredTags: [String: String] = [:], addSenders: [MemberChange] = [], removeSenders: [MemberChange] = [],
        membership: Membership = .exact, protect: Bool = false, membersBefore: Int = 0, membersAfter: Int = 0, reason: String? = nil,
        createdAt: String? = nil, movedFrom: String? = nil, ignoredTags: [String] = [], cause: [ChangeField: ChangeCause] = [:],
        applied: String? = nil
    ) {
        self.key = key
        self.action = action
        self.poolID = poolID
        self.name = name
        self.tags = tags
        self.desiredTags = desiredTags
        self.addSenders = addSenders
        self.removeSenders = removeSenders
        self.membership = membership
        self.protect = protect
        self.membersBefore = membersBefore
        self.membersAfter = membersAfter
        self.reason = reason
        self.createdAt = createdAt
        self.movedFrom = movedFrom
        self.ignoredTags = ignoredTags.sorted()
        self.cause = cause
        self.applied = applied
    }

    /// The fields that changed outside poolctl since the last apply and that
    /// this change sets back (cause `drift` or `both`), in field order.
    public var drift: [ChangeField] {
        ChangeField.allCases.filter { cause[$0] == .drift || cause[$0] == .both }
    }

    /// Whether apply records the fingerprint with a PATCH of its own after
    /// verification (not riding in the change's PATCH, nor already there).
    public var recordsAppliedAfterVerify: Bool {
        guard let applied else { return false }
        return desiredTags[AppliedTag.tagKey] != applied
    }

    /// The ignored tags the live pool carries, which the PATCH sends back
    /// unchanged: the only ones worth a note.
    public var liveIgnoredTags: [String] {
        action == .create ? [] : ignoredTags.filter { desiredTags[$0] != nil }
    }

    /// Whether the PATCH body has anything to send.
    public var patchesPool: Bool { name.changed || !tags.isEmpty }

    /// The key whose ownership the pool this change writes to carried when
    /// it was planned: `.key` for an update or a delete (its own key) and a
    /// move (the old key), `.unowned` for an adopt; nil for a change that
    /// writes to no existing pool. Apply confirms it before it writes.
    public var ownerWhenPlanned: OwnerWhenPlanned? {
        switch action {
        case .update, .delete, .deleteDuplicate: .key(key)
        case .move: movedFrom.map(OwnerWhenPlanned.key)
        case .adopt: .unowned
        case .create, .deleteBlocked, .conflict, .noChange: nil
        }
    }

    public enum OwnerWhenPlanned: Sendable, Hashable {
        case key(String)
        case unowned

        /// Whether `ownership` is it, within `stack`.
        public func matches(_ ownership: Ownership?, stack: String) -> Bool {
            switch self {
            case .key(let key): ownership?.identity == Ownership(stack: stack, key: key).identity
            case .unowned: ownership == nil
            }
        }

        /// "the ownership of 'web/old'", or "no ownership tag".
        public func described(stack: String) -> String {
            switch self {
            case .key(let key): "the ownership of '\(stack)/\(key)'"
            case .unowned: "no ownership tag"
            }
        }
    }
}

/// A field of a pool that a change sets and a fingerprint covers.
public enum ChangeField: String, Sendable, Hashable, CaseIterable {
    case name, tags, members
}

/// Why a field differs, from the pool's `poolctl-applied` fingerprint.
public enum ChangeCause: String, Sendable, Hashable, CaseIterable {
    /// The manifests changed it since the last apply.
    case manifest
    /// Someone changed the live pool outside poolctl since the last apply.
    case drift
    case both
    /// The pool has no fingerprint (never applied by this version, no tag
    /// slot, or not created yet), so the two cannot be told apart; or an
    /// additive pool whose declared senders changed since the last apply,
    /// and a live member the fingerprint cannot account for.
    case unknown
}

/// A field's value before and after. Nil `before` means the pool does not
/// exist yet; nil `after` means it will not exist any more.
public struct ValueChange: Sendable, Hashable, Codable {
    public var before: String?
    public var after: String?

    public init(before: String?, after: String?) {
        self.before = before
        self.after = after
    }

    /// Code point for code point: Swift's `==` holds canonically equivalent
    /// strings equal ("Café" composed and decomposed), but the API stores
    /// the one it was sent, and a plan must show that difference.
    public var changed: Bool {
        switch (before, after) {
        case (nil, nil): false
        case (let before?, let after?): !before.unicodeScalars.elementsEqual(after.unicodeScalars)
        default: true
        }
    }

    /// A change a reader cannot see: the same text, composed one way before
    /// and another after (Swift's `==` holds the two equal).
    public var onlyNormalizationDiffers: Bool { changed && before == after }
}

public struct TagChange: Sendable, Hashable, Codable {
    public var key: String
    public var before: String?
    public var after: String?

    public init(key: String, before: String?, after: String?) {
        self.key = key
        self.before = before
        self.after = after
    }
}

/// A sender joining or leaving a pool, with what is known about it.
public struct MemberChange: Sendable, Hashable, Codable {
    public var id: String
    /// The manifest alias, when the sender was written as one.
    public var alias: String?
    /// From the live listing, when the sender is already a member.
    public var address: String?
    public var channel: String?

    public init(id: String, alias: String? = nil, address: String? = nil, channel: String? = nil) {
        self.id = id
        self.alias = alias
        self.address = address
        self.channel = channel
    }
}

/// A conflict or warning found while planning.
public struct PlanDiagnostic: Sendable, Hashable, Codable {
    public var severity: Diagnostic.Severity
    /// The pool key concerned, when there is one.
    public var key: String?
    public var message: String
    /// The pool ids concerned, sorted.
    public var poolIDs: [String]
    public var location: SourceLocation?

    public init(severity: Diagnostic.Severity, key: String?, message: String, poolIDs: [String] = [], location: SourceLocation? = nil) {
        self.severity = severity
        self.key = key
        self.message = message
        self.poolIDs = poolIDs.sorted()
        self.location = location
    }
}

/// API calls by endpoint (keys are `Endpoint` raw values such as
/// `POST /v1/SenderPools`), with the total.
public struct CallEstimate: Sendable, Hashable {
    public var byEndpoint: [String: Int]

    public init(byEndpoint: [String: Int] = [:]) {
        self.byEndpoint = byEndpoint.filter { $0.value > 0 }
    }

    public var total: Int { byEndpoint.values.reduce(0, +) }
}

/// The counts a reviewer reads first.
public struct PlanSummary: Sendable, Hashable {
    public var create: Int
    public var update: Int
    public var delete: Int
    public var adopt: Int
    public var move: Int
    public var addSenders: Int
    public var removeSenders: Int
    public var apiCalls: Int
    public var deleteBlocked: Int
    /// Of `delete`, the duplicates of a key's pool.
    public var deleteDuplicate: Int
    public var conflicts: Int
    public var warnings: Int
    public var hasChanges: Bool

    public init(_ plan: Plan) {
        func count(_ action: PlanAction) -> Int { plan.changes.filter { $0.action == action }.count }
        create = count(.create)
        update = count(.update)
        // Duplicates are deletions too; renderers say how many.
        delete = count(.delete) + count(.deleteDuplicate)
        deleteDuplicate = count(.deleteDuplicate)
        adopt = count(.adopt)
        move = count(.move)
        deleteBlocked = count(.deleteBlocked)
        addSenders = plan.changes.reduce(0) { $0 + $1.addSenders.count }
        removeSenders = plan.changes.reduce(0) { $0 + $1.removeSenders.count }
        apiCalls = plan.estimate.total
        conflicts = plan.diagnostics.filter { $0.severity == .error }.count
        warnings = plan.diagnostics.filter { $0.severity == .warning }.count
        hasChanges = plan.hasChanges
    }
}

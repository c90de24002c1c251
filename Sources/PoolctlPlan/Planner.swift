import PoolctlModel

/// `plan(desired, live) -> Plan`: a pure function, no I/O.
public struct Planner: Sendable {
    /// API limits that shape the call estimate.
    public static let maxSendersPerCreate = APIFormat.maxSendersPerRequest
    public static let maxSendersPerAdd = APIFormat.maxSendersPerRequest

    /// Records the `poolctl-applied` fingerprint of converged pools that
    /// lack one or carry a stale one (`apply --baseline`): one PATCH each.
    public var baseline: Bool
    /// Senders per Create or Add Senders request (`apply --max-batch`), for
    /// the call estimate; the API's 10,000 by default.
    public var maxBatch: Int

    public init(baseline: Bool = false, maxBatch: Int = APIFormat.maxSendersPerRequest) {
        self.baseline = baseline
        self.maxBatch = max(1, min(maxBatch, APIFormat.maxSendersPerRequest))
    }

    /// Whether the listings behind `live` prove that a key they miss has no
    /// pool (see `PoolSightings` in the engine).
    public enum Absence: Sendable, Hashable {
        /// A key without a live pool is a create.
        case confirmed
        /// No listing could be shown to have skipped nothing: a key without
        /// a live pool is a conflict, never a create. The text says why, for
        /// the diagnostic.
        case unconfirmed(String)
    }

    /// `targeting` restricts the plan to its keys, declared and owned alike,
    /// so prune deletes only targeted keys; `allowDestructive` records that
    /// the guard is lifted for this run. `absence` says whether a missing
    /// key may be created; `confirmationCalls` is the cost of the extra
    /// listing that confirms it, counted in the estimate when the plan creates.
    public func plan(
        desired fullDesired: DesiredState, live rawLive: LiveState, targeting: Targeting? = nil, allowDestructive: Bool = false,
        absence: Absence = .confirmed, confirmationCalls: Int = 0
    ) -> Plan {
        var desired = fullDesired
        if let targeting { desired.pools = desired.pools.filter { targeting.includes($0.key) } }
        let index = LiveIndex(Self.unique(rawLive.pools), desired: desired, targeting: targeting)
        var draft = PlanDraft()
        for pool in desired.pools {
            planDeclared(pool, stack: desired.stack, index: index, absence: absence, into: &draft)
        }
        Self.planUndeclared(desired, index: index, into: &draft)

        draft.changes.sort { ($0.key, $0.poolID ?? "") < ($1.key, $1.poolID ?? "") }
        draft.diagnostics.sort { ($0.key ?? "", $0.severity, $0.message) < ($1.key ?? "", $1.severity, $1.message) }
        let fingerprints = draft.readPools.compactMap { id, key in index.byID[id].map { PoolFingerprint(pool: $0, key: key) } }
            .sorted { $0.poolID < $1.poolID }
        let verdict = DestructiveGuard.evaluate(
            changes: draft.changes, ownedPools: index.ownedKeys.count, policy: desired.guardPolicy, lifted: allowDestructive)
        var plan = Plan(
            stack: desired.stack, prune: desired.prune, changes: draft.changes, diagnostics: draft.diagnostics,
            fingerprints: fingerprints,
            estimate: Self.estimate(draft.changes, confirmationCalls: confirmationCalls, batch: maxBatch), destructiveGuard: verdict,
            targeting: targeting)
        plan.missingAdoptions = draft.missingAdoptions
        return plan
    }

    /// A listing is not a snapshot: a pool shown twice is still one pool,
    /// and must never become a duplicate of itself. The last sighting wins.
    static func unique(_ pools: [LivePool]) -> [LivePool] { pools.latestSightings(by: \.id) }

    /// The live pools as the planner looks them up.
    struct LiveIndex {
        var byID: [String: LivePool]
        /// Pools this stack owns, by key (targeted keys only).
        var owned: [String: [LivePool]] = [:]
        /// Every key this stack owns, targeted or not: the guard's base.
        var ownedKeys = Set<String>()
        /// Unmanaged pools named as a declared pool is, by name.
        var unmanagedByName: [String: [LivePool]] = [:]

        init(_ pools: [LivePool], desired: DesiredState, targeting: Targeting?) {
            byID = Dictionary(pools.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for pool in pools {
                if let ownership = pool.ownership, ownership.stack == desired.stack {
                    ownedKeys.insert(ownership.key)
                    if targeting?.includes(ownership.key) ?? true { owned[ownership.key, default: []].append(pool) }
                }
            }
            let desiredNames = Set(desired.pools.map(\.name))
            // A pool with another version's ownership tag is never adopted: not suggested either.
            for pool in pools where pool.ownership == nil && desiredNames.contains(pool.name) && pool.unreadableClaim == nil {
                unmanagedByName[pool.name, default: []].append(pool)
            }
        }
    }

    /// What the plan has gathered so far.
    struct PlanDraft {
        var changes: [PoolChange] = []
        var diagnostics: [PlanDiagnostic] = []
        /// Pool id -> key, for fingerprints.
        var readPools: [String: String?] = [:]
        /// Old keys whose pools a `movedFrom` accounts for: never pruned.
        var movedKeys = Set<String>()
        var missingAdoptions: [String: String] = [:]
    }

    /// Owned pools that no manifest declares: kept, blocked or deleted.
    static func planUndeclared(_ desired: DesiredState, index: LiveIndex, into draft: inout PlanDraft) {
        let declared = Set(desired.pools.map(\.key))
        for (key, pools) in index.owned where !declared.contains(key) && !draft.movedKeys.contains(key) {
            for pool in pools {
                draft.readPools[pool.id] = key
                draft.changes.append(undeclared(pool, key: key, prune: desired.prune))
            }
        }
    }

    private static func undeclared(_ pool: LivePool, key: String, prune: Bool) -> PoolChange {
        let memberCount = pool.memberCount ?? 0
        let protected = pool.ownership?.protected ?? false
        let action: PlanAction
        let reason: String
        if !prune {
            action = .noChange
            reason = "not declared in any manifest; kept because prune is off"
        } else if protected {
            action = .deleteBlocked
            reason =
                "not declared in any manifest, but protected; remove its protection (declare it with protect: false and apply) to delete it"
        } else {
            action = .delete
            reason = "not declared in any manifest; prune is on"
        }
        return PoolChange(
            key: key, action: action, poolID: pool.id,
            name: ValueChange(before: pool.name, after: action == .delete ? nil : pool.name),
            desiredTags: pool.tags,
            membership: .exact, protect: protected,
            membersBefore: memberCount, membersAfter: action == .delete ? 0 : memberCount,
            reason: reason)
    }
}

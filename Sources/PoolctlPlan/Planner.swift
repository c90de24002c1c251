import PoolctlModel

/// `plan(desired, live) -> Plan`: a pure function, no I/O.
public struct Planner: Sendable {
    /// API limits that shape the call estimate.
    public static let maxSendersPerCreate = APIFormat.maxSendersPerRequest
    public static let maxSendersPerAdd = APIFormat.maxSendersPerRequest

    /// Records the `poolctl-applied` fingerprint of converged pools that
    /// lack one or carry a stale one (`apply --baseline`): one PATCH each.
    public var baseline: Bool

    public init(baseline: Bool = false) {
        self.baseline = baseline
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
        // A listing is not a snapshot: a pool shown twice is still one pool,
        // and must never become a duplicate of itself.
        var live = rawLive
        var seen: [String: Int] = [:]
        var unique: [LivePool] = []
        for pool in rawLive.pools {
            if let at = seen[pool.id] {
                unique[at] = pool
            } else {
                seen[pool.id] = unique.count
                unique.append(pool)
            }
        }
        live.pools = unique
        var desired = fullDesired
        if let targeting { desired.pools = desired.pools.filter { targeting.includes($0.key) } }
        var changes: [PoolChange] = []
        var diagnostics: [PlanDiagnostic] = []
        var readPools: [String: String?] = [:]  // pool id -> key, for fingerprints

        let byID = Dictionary(live.pools.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        // Pools this stack owns, by key.
        var owned: [String: [LivePool]] = [:]
        var ownedKeys = Set<String>()
        for pool in live.pools {
            if let ownership = pool.ownership, ownership.stack == desired.stack {
                ownedKeys.insert(ownership.key)
                if targeting?.includes(ownership.key) ?? true { owned[ownership.key, default: []].append(pool) }
            }
        }
        let desiredNames = Set(desired.pools.map(\.name))
        var unmanagedByName: [String: [LivePool]] = [:]
        for pool in live.pools where pool.ownership == nil && desiredNames.contains(pool.name) {
            unmanagedByName[pool.name, default: []].append(pool)
        }

        // Old keys whose pools a `movedFrom` accounts for: never pruned.
        var movedKeys = Set<String>()
        // A declared pool against its live match, unless its tags would not fit.
        func matched(_ pool: DesiredPool, _ live: LivePool, ownershipValue: String, adopting: Bool, movedFrom: String? = nil) {
            let change = diff(pool, live, ownershipValue: ownershipValue, adopting: adopting, movedFrom: movedFrom)
            if let overflow = Self.tagOverflow(pool, change) {
                diagnostics.append(overflow)
                changes.append(conflict(pool))
            } else {
                changes.append(change)
            }
        }

        for pool in desired.pools {
            let candidates = owned[pool.key] ?? []
            let ownershipValue = Ownership(stack: desired.stack, key: pool.key, protected: pool.protect).tagValue

            if let old = pool.movedFrom, pool.adopt == nil {
                let outcome = Self.move(pool, from: old, stack: desired.stack, candidates: candidates, oldPools: owned[old] ?? [])
                if let warning = outcome.diagnostic { diagnostics.append(warning) }
                switch outcome {
                case .move(let source):
                    movedKeys.insert(old)
                    readPools[source.id] = pool.key
                    matched(pool, source, ownershipValue: ownershipValue, adopting: false, movedFrom: old)
                    continue
                case .ambiguous(let sources, _):
                    movedKeys.insert(old)
                    sources.forEach { readPools[$0.id] = old }
                    changes.append(conflict(pool))
                    continue
                case .done, .nothingToMove:
                    break
                }
            }

            if candidates.count > 1 {
                candidates.forEach { readPools[$0.id] = pool.key }
                switch Self.repairDuplicates(candidates, of: pool) {
                case .repair(let keep, let extras):
                    // Keep the oldest; the others go, after everything else.
                    matched(pool, keep, ownershipValue: ownershipValue, adopting: false)
                    for extra in extras {
                        changes.append(
                            PoolChange(
                                key: pool.key, action: .deleteDuplicate, poolID: extra.id,
                                name: ValueChange(before: extra.name, after: nil),
                                // Its live tags, as for any deleted pool, so
                                // that policy limits match it.
                                desiredTags: extra.tags,
                                membership: pool.membership, protect: pool.protect,
                                membersBefore: extra.memberCount ?? 0, membersAfter: 0,
                                reason:
                                    "duplicate of \(keep.id) (created \(keep.createdAt)); this one was created \(extra.createdAt) and holds \(extra.memberCount ?? 0) sender\((extra.memberCount ?? 0) == 1 ? "" : "s"), all declared",
                                createdAt: extra.createdAt))
                    }
                case .conflict(let message):
                    diagnostics.append(
                        PlanDiagnostic(
                            severity: .error, key: pool.key, message: message, poolIDs: candidates.map(\.id), location: pool.location))
                    changes.append(conflict(pool))
                }
                continue
            }

            if let adoptID = pool.adopt {
                guard let target = byID[adoptID] else {
                    diagnostics.append(
                        PlanDiagnostic(
                            severity: .error, key: pool.key,
                            message: "pool '\(pool.key)' adopts \(adoptID), which does not exist",
                            poolIDs: [adoptID], location: pool.location))
                    changes.append(conflict(pool))
                    continue
                }
                if let ownership = target.ownership, ownership.identity != Ownership(stack: desired.stack, key: pool.key).identity {
                    diagnostics.append(
                        PlanDiagnostic(
                            severity: .error, key: pool.key,
                            message:
                                "pool '\(pool.key)' adopts \(adoptID), which is already owned by '\(ownership.stack)/\(ownership.key)'",
                            poolIDs: [adoptID], location: pool.location))
                    changes.append(conflict(pool))
                    continue
                }
                if let other = candidates.first, other.id != adoptID {
                    diagnostics.append(
                        PlanDiagnostic(
                            severity: .error, key: pool.key,
                            message:
                                "pool '\(pool.key)' adopts \(adoptID), but \(other.id) already carries its ownership; remove one of them",
                            poolIDs: [adoptID, other.id], location: pool.location))
                    changes.append(conflict(pool))
                    readPools[other.id] = pool.key
                    continue
                }
                readPools[target.id] = pool.key
                let adopting = target.ownership == nil
                matched(pool, target, ownershipValue: ownershipValue, adopting: adopting)
                continue
            }

            if let match = candidates.first {
                readPools[match.id] = pool.key
                matched(pool, match, ownershipValue: ownershipValue, adopting: false)
                continue
            }

            // No listing proved the key has no pool: creating one could duplicate it.
            if case .unconfirmed(let why) = absence {
                diagnostics.append(
                    PlanDiagnostic(
                        severity: .error, key: pool.key,
                        message:
                            "pool '\(pool.key)' was not in the listing, but its absence could not be confirmed (\(why)); nothing is created for it. Plan again; if this persists, the API's paging cannot be trusted to show every pool",
                        location: pool.location))
                changes.append(conflict(pool))
                continue
            }

            // A create. Warn when an unmanaged pool already has the name.
            for existing in unmanagedByName[pool.name] ?? [] {
                diagnostics.append(
                    PlanDiagnostic(
                        severity: .warning, key: pool.key,
                        message:
                            "pool \(existing.id) named '\(pool.name)' exists but is not managed; adopt it (adopt: \(existing.id)) or rename pool '\(pool.key)'",
                        poolIDs: [existing.id], location: pool.location))
            }
            var tags = pool.tags
            tags[Ownership.tagKey] = ownershipValue
            // A pool that does not exist has no fingerprint: whether it was
            // never applied or deleted by hand cannot be told.
            var cause: [ChangeField: ChangeCause] = [.name: .unknown, .tags: .unknown]
            if !pool.senders.isEmpty { cause[.members] = .unknown }
            changes.append(
                PoolChange(
                    key: pool.key, action: .create, name: ValueChange(before: nil, after: pool.name),
                    tags: tags.keys.sorted().map { TagChange(key: $0, before: nil, after: tags[$0]) },
                    desiredTags: tags,
                    addSenders: pool.senders.map { MemberChange(id: $0, alias: pool.aliases[$0]) },
                    membership: pool.membership, protect: pool.protect,
                    membersBefore: 0, membersAfter: pool.senders.count, ignoredTags: pool.ignoreTags, cause: cause,
                    applied: Self.hasFingerprintSlot(pool) ? Self.target(pool).tagValue : nil))
        }

        // Owned pools that no manifest declares.
        let declared = Set(desired.pools.map(\.key))
        for (key, pools) in owned where !declared.contains(key) && !movedKeys.contains(key) {
            for pool in pools {
                readPools[pool.id] = key
                let memberCount = pool.memberCount ?? 0
                let protected = pool.ownership?.protected ?? false
                let action: PlanAction
                let reason: String
                if !desired.prune {
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
                changes.append(
                    PoolChange(
                        key: key, action: action, poolID: pool.id,
                        name: ValueChange(before: pool.name, after: action == .delete ? nil : pool.name),
                        desiredTags: pool.tags,
                        membership: .exact, protect: protected,
                        membersBefore: memberCount, membersAfter: action == .delete ? 0 : memberCount,
                        reason: reason))
            }
        }

        changes.sort { ($0.key, $0.poolID ?? "") < ($1.key, $1.poolID ?? "") }
        diagnostics.sort { ($0.key ?? "", $0.severity, $0.message) < ($1.key ?? "", $1.severity, $1.message) }
        let fingerprints = readPools.compactMap { id, key in byID[id].map { PoolFingerprint(pool: $0, key: key) } }
            .sorted { $0.poolID < $1.poolID }
        let verdict = DestructiveGuard.evaluate(
            changes: changes, ownedPools: ownedKeys.count, policy: desired.guardPolicy, lifted: allowDestructive)
        return Plan(
            stack: desired.stack, prune: desired.prune, changes: changes, diagnostics: diagnostics,
            fingerprints: fingerprints,
            estimate: Self.estimate(changes, confirmationCalls: confirmationCalls), destructiveGuard: verdict, targeting: targeting)
    }

    private func conflict(_ pool: DesiredPool) -> PoolChange {
        PoolChange(
            key: pool.key, action: .conflict, name: ValueChange(before: nil, after: nil),
            membership: pool.membership, protect: pool.protect,
            reason: "no change planned until the conflict is resolved")
    }

    /// Name, tags and members of a declared pool against its live match.
    /// Ignored tag keys keep their live values (and are left out when the
    /// live pool has none), so they never differ and the PATCH sends them back.
    private func diff(_ pool: DesiredPool, _ live: LivePool, ownershipValue: String, adopting: Bool, movedFrom: String? = nil)
        -> PoolChange
    {
        let ignored = Set(pool.ignoreTags)
        var tags = pool.tags.filter { !ignored.contains($0.key) }
        for key in pool.ignoreTags { tags[key] = live.tags[key] }
        tags[Ownership.tagKey] = ownershipValue
        var tagChanges: [TagChange] = []
        // The fingerprint is never a difference: it is carried, or replaced below.
        for key in Set(tags.keys).union(live.tags.keys).sorted() where tags[key] != live.tags[key] && key != AppliedTag.tagKey {
            tagChanges.append(TagChange(key: key, before: live.tags[key], after: tags[key]))
        }
        // Both sides sorted by id: a merge, or the summary made as the members arrived.
        let memberCount = live.memberCount ?? 0
        let additions = live.senders(pool.senders, missingFor: pool.key).map { MemberChange(id: $0, alias: pool.aliases[$0]) }
        let removals =
            pool.membership == .exact
            ? (live.members(notIn: pool.senders, key: pool.key) ?? []).map {
                MemberChange(id: $0.id, address: $0.address, channel: $0.channel)
            }
            : []
        let name = ValueChange(before: live.name, after: pool.name)
        let changed = name.changed || !tagChanges.isEmpty || !additions.isEmpty || !removals.isEmpty
        var action: PlanAction = adopting ? .adopt : movedFrom != nil ? .move : (changed ? .update : .noChange)
        var reason: String? =
            adopting
            ? "adopted: gets poolctl's ownership tag"
            : movedFrom.map { "moved from key '\($0)': its pool gets the ownership tag of '\(pool.key)'; no create, no delete" }
        // Hashed for a pool apply touches or one with a fingerprint to check for
        // staleness; unchanged pools without one (an older poolctl's) skip it.
        let recorded = live.tags[AppliedTag.tagKey]
        let parsed = recorded.flatMap(AppliedTag.init(tagValue:))
        let target = action != .noChange || baseline || parsed != nil ? Self.target(pool) : nil
        let cause =
            target.map {
                Self.causes(
                    pool, live, target: $0, recorded: parsed, name: name, tagChanges: tagChanges, additions: additions,
                    removals: removals, declaredMove: adopting || movedFrom != nil)
            } ?? [:]
        // The fingerprint needs a tag slot of its own; without one the pool
        // keeps working, its causes unknown (validate warns when the declared
        // and ignored tags leave none).
        var applied: String?
        if Self.hasFingerprintSlot(pool) {
            if let recorded { tags[AppliedTag.tagKey] = recorded }
            if action != .noChange, let target = target?.tagValue {
                applied = target
                // Known in advance when only name and tags change: it rides in that PATCH.
                // Not when the PATCH removes a tag: an API that keeps tags left out of a
                // PATCH (see keptTags) would fail verification yet keep the new value.
                if name.changed || !tagChanges.isEmpty, additions.isEmpty, removals.isEmpty,
                    !tagChanges.contains(where: { $0.after == nil })
                {
                    tags[AppliedTag.tagKey] = target
                }
            } else if let target = target?.tagValue, recorded != target, baseline || parsed != nil {
                // A stale fingerprint on a converged pool: the manifests took up a change
                // made by hand, or an apply converged the pool but could not verify it.
                // Left as it is, the pool's next manifest change would read as drift.
                // A missing one (an older poolctl's pool) is recorded only when asked.
                action = .update
                applied = target
                reason =
                    recorded == nil
                    ? "records what apply made it (poolctl-applied), for drift detection: --baseline"
                    : "refreshes what apply made it (poolctl-applied): the recorded state is not the manifests' any more, though the pool matches them"
            }
        }
        return PoolChange(
            key: pool.key, action: action, poolID: live.id, name: name, tags: tagChanges, desiredTags: tags,
            addSenders: additions, removeSenders: removals, membership: pool.membership, protect: pool.protect,
            membersBefore: memberCount, membersAfter: memberCount + additions.count - removals.count,
            reason: reason, movedFrom: movedFrom, ignoredTags: pool.ignoreTags, cause: cause, applied: applied)
    }

    enum DuplicateRepair {
        case repair(keep: LivePool, extras: [LivePool])
        case conflict(String)
    }

    /// Several live pools carry one key's ownership (a run without the
    /// lease, an older poolctl, another tool). The oldest (`createdAt`, then
    /// id) is kept and the others are deleted, but only when no other one
    /// holds a sender the manifest does not declare for the key: deleting
    /// it would drop a membership nobody asked to drop.
    static func repairDuplicates(_ candidates: [LivePool], of pool: DesiredPool) -> DuplicateRepair {
        let sorted = candidates.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        let keep = sorted[0]
        // Never the kept pool itself, whatever the caller passed.
        let extras = sorted.dropFirst().filter { $0.id != keep.id }
        let all = sorted.map(\.id).joined(separator: ", ")
        if pool.adopt != nil {
            return .conflict(
                "\(candidates.count) live pools carry the ownership of pool '\(pool.key)' (\(all)), and it also adopts \(pool.adopt!); delete or untag the duplicates, then plan again"
            )
        }
        var holders: [String] = []
        for extra in extras {
            guard let outside = extra.members(notIn: pool.senders, key: pool.key) else {
                return .conflict(
                    "\(candidates.count) live pools carry the ownership of pool '\(pool.key)' (\(all)); the members of \(extra.id) were not read, so it cannot be checked for undeclared senders"
                )
            }
            let undeclared = outside.map(\.id)
            if !undeclared.isEmpty {
                let shown = undeclared.prefix(5).joined(separator: ", ") + (undeclared.count > 5 ? ", … (\(undeclared.count) in all)" : "")
                holders.append("\(extra.id) holds \(shown)")
            }
        }
        if !holders.isEmpty {
            return .conflict(
                "\(candidates.count) live pools carry the ownership of pool '\(pool.key)' (\(all)); poolctl keeps the oldest, \(keep.id), and deletes the others only when they hold no sender the manifest does not declare for this key, but \(holders.joined(separator: "; ")). Declare those senders, or move or delete the duplicates yourself, then plan again"
            )
        }
        return .repair(keep: keep, extras: extras)
    }

    /// The calls apply will make, the minimum: one create per new pool (up
    /// to 10,000 senders inline; a lookup of its id only when Add Senders
    /// calls follow), add batches of 10,000, one PATCH for name and tags
    /// together, one call per removed sender, one delete; operations are
    /// polled together, one listing per 1,000 per round, at least one round;
    /// verification lists the pools (1 call per 1,000) and re-reads the
    /// members only of pools that had removals; a changed pool's fingerprint
    /// costs a PATCH after verification unless it rode in the change's own,
    /// and those PATCHes are read back (1 listing per 1,000). Every delete first reads
    /// its pool by id (a duplicate's kept pool too), and a plan that creates
    /// counts `confirmationCalls`, the listing that confirms the key has no
    /// pool (0 when one page held every pool).
    static func estimate(_ changes: [PoolChange], confirmationCalls: Int = 0) -> CallEstimate {
        var calls: [String: Int] = [:]
        func batches(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }
        var operations = 0
        var touched = 0
        var fingerprints = 0
        for change in changes where change.action.isChange {
            touched += 1
            // The fingerprint's own PATCH, once the pool has converged, read back below.
            if change.recordsAppliedAfterVerify {
                calls[Endpoint.updateSenderPool.rawValue, default: 0] += 1
                fingerprints += 1
            }
            switch change.action {
            case .create:
                let extra = max(0, change.addSenders.count - maxSendersPerCreate)
                let addBatches = batches(extra, maxSendersPerAdd)
                calls[Endpoint.createSenderPool.rawValue, default: 0] += 1
                if addBatches > 0 { calls[Endpoint.listSenderPools.rawValue, default: 0] += 1 }
                calls[Endpoint.addSenders.rawValue, default: 0] += addBatches
                operations += 1 + addBatches
            case .update, .adopt, .move:
                if change.patchesPool { calls[Endpoint.updateSenderPool.rawValue, default: 0] += 1 }
                let addBatches = batches(change.addSenders.count, maxSendersPerAdd)
                calls[Endpoint.addSenders.rawValue, default: 0] += addBatches
                operations += addBatches
                calls[Endpoint.removeSender.rawValue, default: 0] += change.removeSenders.count
                if !change.removeSenders.isEmpty {
                    calls[Endpoint.listPoolSenders.rawValue, default: 0] += max(1, batches(change.membersAfter, 1000))
                }
            case .delete:
                calls[Endpoint.fetchSenderPool.rawValue, default: 0] += 1
                calls[Endpoint.deleteSenderPool.rawValue, default: 0] += 1
            case .deleteDuplicate:
                calls[Endpoint.fetchSenderPool.rawValue, default: 0] += 2
                calls[Endpoint.deleteSenderPool.rawValue, default: 0] += 1
            case .deleteBlocked, .conflict, .noChange:
                break
            }
        }
        if operations > 0 { calls[Endpoint.listOperations.rawValue, default: 0] += batches(operations, 1000) }
        if touched > 0 { calls[Endpoint.listSenderPools.rawValue, default: 0] += batches(touched, 1000) }
        if fingerprints > 0 { calls[Endpoint.listSenderPools.rawValue, default: 0] += batches(fingerprints, 1000) }
        if changes.contains(where: { $0.action == .create }) { calls[Endpoint.listSenderPools.rawValue, default: 0] += confirmationCalls }
        return CallEstimate(byEndpoint: calls.filter { $0.value > 0 })
    }
}

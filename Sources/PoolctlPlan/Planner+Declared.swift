import PoolctlModel

/// One declared pool against the live ones, in the order the cases are
/// told apart: a move, duplicates, an adoption, a match, then a create.
extension Planner {
    func planDeclared(_ pool: DesiredPool, stack: String, index: LiveIndex, absence: Absence, into draft: inout PlanDraft) {
        let candidates = index.owned[pool.key] ?? []
        let ownershipValue = Ownership(stack: stack, key: pool.key, protected: pool.protect).tagValue
        if let old = pool.movedFrom, pool.adopt == nil,
            planMove(pool, from: old, stack: stack, index: index, ownershipValue: ownershipValue, into: &draft)
        {
            return
        }
        if candidates.count > 1 {
            planDuplicates(pool, candidates, ownershipValue: ownershipValue, into: &draft)
            return
        }
        if let adoptID = pool.adopt {
            planAdoption(pool, of: adoptID, stack: stack, index: index, absence: absence, ownershipValue: ownershipValue, into: &draft)
            return
        }
        if let match = candidates.first {
            draft.readPools[match.id] = pool.key
            matched(pool, match, ownershipValue: ownershipValue, adopting: false, into: &draft)
            return
        }
        // No listing proved the key has no pool: creating one could duplicate it.
        if case .unconfirmed(let why) = absence {
            draft.diagnostics.append(
                PlanDiagnostic(
                    severity: .error, key: pool.key,
                    message:
                        "pool '\(pool.key)' was not in the listing, but its absence could not be confirmed (\(why)); nothing is created for it. Plan again; if this persists, the API's paging cannot be trusted to show every pool",
                    location: pool.location))
            draft.changes.append(Self.conflict(pool))
            return
        }
        Self.planCreate(pool, ownershipValue: ownershipValue, index: index, into: &draft)
    }

    /// A `movedFrom`; false when it leaves the key to plan as usual.
    private func planMove(
        _ pool: DesiredPool, from old: String, stack: String, index: LiveIndex, ownershipValue: String, into draft: inout PlanDraft
    ) -> Bool {
        let candidates = index.owned[pool.key] ?? []
        let outcome = Self.move(pool, from: old, stack: stack, candidates: candidates, oldPools: index.owned[old] ?? [])
        if let warning = outcome.diagnostic { draft.diagnostics.append(warning) }
        switch outcome {
        case .move(let source):
            draft.movedKeys.insert(old)
            draft.readPools[source.id] = pool.key
            matched(pool, source, ownershipValue: ownershipValue, adopting: false, movedFrom: old, into: &draft)
            return true
        case .ambiguous(let sources, _):
            draft.movedKeys.insert(old)
            sources.forEach { draft.readPools[$0.id] = old }
            draft.changes.append(Self.conflict(pool))
            return true
        case .done, .nothingToMove:
            return false
        }
    }

    private func planDuplicates(_ pool: DesiredPool, _ candidates: [LivePool], ownershipValue: String, into draft: inout PlanDraft) {
        candidates.forEach { draft.readPools[$0.id] = pool.key }
        switch Self.repairDuplicates(candidates, of: pool) {
        case .repair(let keep, let extras):
            // Keep the oldest; the others go, after everything else.
            matched(pool, keep, ownershipValue: ownershipValue, adopting: false, into: &draft)
            draft.changes += extras.map { Self.duplicateDeletion($0, of: pool, keeping: keep) }
        case .conflict(let message):
            draft.diagnostics.append(
                PlanDiagnostic(severity: .error, key: pool.key, message: message, poolIDs: candidates.map(\.id), location: pool.location))
            draft.changes.append(Self.conflict(pool))
        }
    }

    /// `adopt: ID`: the pool must exist, be owned by no other key and not be a lease.
    private func planAdoption(
        _ pool: DesiredPool, of adoptID: String, stack: String, index: LiveIndex, absence: Absence, ownershipValue: String,
        into draft: inout PlanDraft
    ) {
        func refuse(_ message: String, poolIDs: [String]) {
            draft.diagnostics.append(
                PlanDiagnostic(severity: .error, key: pool.key, message: message, poolIDs: poolIDs, location: pool.location))
            draft.changes.append(Self.conflict(pool))
        }
        guard let target = index.byID[adoptID] else {
            refuse("pool '\(pool.key)' adopts \(adoptID), which does not exist", poolIDs: [adoptID])
            // Adopted once and deleted by hand since, or never there: not a live conflict to drift,
            // once the listings prove it absent (paging under churn can skip a pool).
            if absence == .confirmed, index.owned[pool.key]?.isEmpty ?? true { draft.missingAdoptions[pool.key] = adoptID }
            return
        }
        // A lease is an apply's lock, not a pool to manage: taking it over ends that apply's lease mid-run.
        if LeaseTag.isLease(target.tags) {
            refuse(
                "pool '\(pool.key)' adopts \(adoptID), which is a stack lease (tag \(LeaseTag.tagKey)), not a pool to manage",
                poolIDs: [adoptID])
            return
        }
        // Another poolctl version's tag (or a hand-edited one) may name another stack: never taken over.
        if let value = target.unreadableClaim {
            refuse(
                "pool '\(pool.key)' adopts \(adoptID), whose \(Ownership.tagKey) tag '\(value)' is not one this version reads (another version's, or edited by hand), so it may belong to another stack; fix or remove that tag first",
                poolIDs: [adoptID])
            return
        }
        if let ownership = target.ownership, ownership.identity != Ownership(stack: stack, key: pool.key).identity {
            refuse(
                "pool '\(pool.key)' adopts \(adoptID), which is already owned by '\(ownership.stack)/\(ownership.key)'",
                poolIDs: [adoptID])
            return
        }
        if let other = index.owned[pool.key]?.first, other.id != adoptID {
            refuse(
                "pool '\(pool.key)' adopts \(adoptID), but \(other.id) already carries its ownership; remove one of them",
                poolIDs: [adoptID, other.id])
            draft.readPools[other.id] = pool.key
            return
        }
        draft.readPools[target.id] = pool.key
        matched(pool, target, ownershipValue: ownershipValue, adopting: target.ownership == nil, into: &draft)
    }

    /// A create. Warns when an unmanaged pool already has the name.
    private static func planCreate(_ pool: DesiredPool, ownershipValue: String, index: LiveIndex, into draft: inout PlanDraft) {
        for existing in index.unmanagedByName[pool.name] ?? [] {
            draft.diagnostics.append(
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
        draft.changes.append(
            PoolChange(
                key: pool.key, action: .create, name: ValueChange(before: nil, after: pool.name),
                tags: tags.keys.sorted().map { TagChange(key: $0, before: nil, after: tags[$0]) },
                desiredTags: tags,
                addSenders: pool.senders.map { MemberChange(id: $0, alias: pool.aliases[$0]) },
                membership: pool.membership, protect: pool.protect,
                membersBefore: 0, membersAfter: pool.senders.count, ignoredTags: pool.ignoreTags, cause: cause,
                applied: hasFingerprintSlot(pool) ? target(pool).tagValue : nil))
    }
}

import PoolctlModel

/// A declared pool against its live match: what changes, and the
/// `poolctl-applied` fingerprint apply records once it has converged.
extension Planner {
    static func conflict(_ pool: DesiredPool) -> PoolChange {
        PoolChange(
            key: pool.key, action: .conflict, name: ValueChange(before: nil, after: nil),
            membership: pool.membership, protect: pool.protect,
            reason: "no change planned until the conflict is resolved")
    }

    /// A declared pool against its live match, unless its tags would not fit.
    func matched(
        _ pool: DesiredPool, _ live: LivePool, ownershipValue: String, adopting: Bool, movedFrom: String? = nil,
        into draft: inout PlanDraft
    ) {
        let change = diff(pool, live, ownershipValue: ownershipValue, adopting: adopting, movedFrom: movedFrom)
        if let overflow = Self.tagOverflow(pool, change) {
            draft.diagnostics.append(overflow)
            draft.changes.append(Self.conflict(pool))
        } else {
            draft.changes.append(change)
        }
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
        let action: PlanAction = adopting ? .adopt : movedFrom != nil ? .move : (changed ? .update : .noChange)
        let reason: String? =
            adopting
            ? "adopted: gets poolctl's ownership tag"
            : movedFrom.map { "moved from key '\($0)': its pool gets the ownership tag of '\(pool.key)'; no create, no delete" }
        var change = PoolChange(
            key: pool.key, action: action, poolID: live.id, name: name, tags: tagChanges, desiredTags: tags,
            addSenders: additions, removeSenders: removals, membership: pool.membership, protect: pool.protect,
            membersBefore: memberCount, membersAfter: memberCount + additions.count - removals.count,
            reason: reason, movedFrom: movedFrom, ignoredTags: pool.ignoreTags)
        fingerprint(&change, pool, live, declaredMove: adopting || movedFrom != nil)
        return change
    }

    /// The change's causes and the fingerprint it records. Hashed for a pool
    /// apply touches or one with a fingerprint to check for staleness;
    /// unchanged pools without one (an older poolctl's) skip it.
    private func fingerprint(_ change: inout PoolChange, _ pool: DesiredPool, _ live: LivePool, declaredMove: Bool) {
        let recorded = live.tags[AppliedTag.tagKey]
        let parsed = recorded.flatMap(AppliedTag.init(tagValue:))
        let target = change.action != .noChange || baseline || parsed != nil ? Self.target(pool) : nil
        change.cause =
            target.map {
                Self.causes(
                    pool, live, target: $0, recorded: parsed, name: change.name, tagChanges: change.tags,
                    additions: change.addSenders, removals: change.removeSenders, declaredMove: declaredMove)
            } ?? [:]
        // The fingerprint needs a tag slot of its own; without one the pool
        // keeps working, its causes unknown (validate warns when the declared
        // and ignored tags leave none).
        guard Self.hasFingerprintSlot(pool) else { return }
        if let recorded { change.desiredTags[AppliedTag.tagKey] = recorded }
        if change.action != .noChange, let target = target?.tagValue {
            change.applied = target
            // Known in advance when only name and tags change: it rides in that PATCH.
            // Not when the PATCH removes a tag: an API that keeps tags left out of a
            // PATCH (see keptTags) would fail verification yet keep the new value.
            if change.name.changed || !change.tags.isEmpty, change.addSenders.isEmpty, change.removeSenders.isEmpty,
                !change.tags.contains(where: { $0.after == nil })
            {
                change.desiredTags[AppliedTag.tagKey] = target
            }
        } else if let target = target?.tagValue, recorded != target, baseline || parsed != nil {
            // A stale fingerprint on a converged pool: the manifests took up a change
            // made by hand, or an apply converged the pool but could not verify it.
            // Left as it is, the pool's next manifest change would read as drift.
            // A missing one (an older poolctl's pool) is recorded only when asked.
            change.action = .update
            change.applied = target
            change.reason =
                recorded == nil
                ? "records what apply made it (poolctl-applied), for drift detection: --baseline"
                : "refreshes what apply made it (poolctl-applied): the recorded state is not the manifests' any more, though the pool matches them"
        }
    }
}

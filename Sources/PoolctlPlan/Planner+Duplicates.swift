import PoolctlModel

/// Several live pools that carry one key's ownership.
extension Planner {
    enum DuplicateRepair {
        case repair(keep: LivePool, extras: [LivePool])
        case conflict(String)
    }

    /// Several live pools carry one key's ownership (a run without the
    /// lease, an older poolctl, another tool). The oldest (`createdAt`, then
    /// id) is kept and the others are deleted, but only when no other one
    /// holds a sender the manifest does not declare for the key (deleting
    /// it would drop a membership nobody asked to drop), and none of them
    /// is protected: a protected pool is never deleted, a duplicate neither.
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
        let protected = extras.filter { $0.ownership?.protected == true }.map(\.id)
        if !protected.isEmpty {
            return .conflict(
                "\(candidates.count) live pools carry the ownership of pool '\(pool.key)' (\(all)); poolctl would keep the oldest, \(keep.id), but \(protected.joined(separator: ", ")) \(protected.count == 1 ? "is" : "are") protected, and poolctl never deletes a protected pool. Untag or delete the duplicates yourself, then plan again"
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

    /// The delete of one duplicate `repairDuplicates` does not keep.
    static func duplicateDeletion(_ extra: LivePool, of pool: DesiredPool, keeping keep: LivePool) -> PoolChange {
        PoolChange(
            key: pool.key, action: .deleteDuplicate, poolID: extra.id,
            name: ValueChange(before: extra.name, after: nil),
            // Its live tags, as for any deleted pool, so that policy limits match it.
            desiredTags: extra.tags,
            membership: pool.membership, protect: pool.protect,
            membersBefore: extra.memberCount ?? 0, membersAfter: 0,
            reason:
                "duplicate of \(keep.id) (created \(keep.createdAt)); this one was created \(extra.createdAt) and holds \(extra.memberCount ?? 0) sender\((extra.memberCount ?? 0) == 1 ? "" : "s"), all declared",
            createdAt: extra.createdAt)
    }
}

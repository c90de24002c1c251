import PoolctlModel
import PoolctlPlan

/// Compares a saved plan's fingerprints with the live state now.
enum StalePlanCheck {
    /// What changed since the plan was made, one sentence each, sorted;
    /// empty when the plan still holds.
    static func differences(plan: Plan, live: LiveState) -> [String] {
        var out: [String] = []
        let byID = Dictionary(live.pools.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for fingerprint in plan.fingerprints {
            let label = fingerprint.key.map { "pool '\($0)' (\(fingerprint.poolID))" } ?? "pool \(fingerprint.poolID)"
            guard let pool = byID[fingerprint.poolID] else {
                out.append("\(label) no longer exists")
                continue
            }
            if PoolFingerprint.digest(of: pool) == fingerprint.digest { continue }
            var what: [String] = []
            if ValueChange(before: fingerprint.name, after: pool.name).changed {
                what.append("name \"\(fingerprint.name)\" -> \"\(pool.name)\"")
            }
            let members = pool.members?.count ?? 0
            if members != fingerprint.memberCount { what.append("members \(fingerprint.memberCount) -> \(members)") }
            if pool.updatedAt != fingerprint.updatedAt { what.append("updatedAt \(fingerprint.updatedAt) -> \(pool.updatedAt)") }
            if what.isEmpty { what.append("tags or member ids changed") }
            out.append("\(label): \(what.joined(separator: ", "))")
        }
        // A pool the plan writes to must still carry the ownership the plan read on it: its key's (an update or a
        // delete), its old key's (a move) or none (an adopt). Otherwise the write would land on another key's pool.
        for change in plan.changes {
            guard let expected = Self.ownership(before: change), let id = change.poolID, let pool = byID[id] else { continue }
            let ownership = pool.ownership.map { $0.stack == plan.stack ? $0.key : "\($0.stack)/\($0.key)" }
            guard ownership != expected.key else { continue }
            let now = pool.ownership.map { "now '\($0.stack)/\($0.key)'" } ?? "now untagged"
            let what = expected.key.map { "no longer carries the ownership of '\($0)'" } ?? "is no longer unowned"
            out.append("pool \(id), which the plan \(expected.verb), \(what) (\(now))")
        }
        // A pool now owned under a key the plan would create means a create would duplicate it.
        let creates = Set(plan.changes.filter { $0.action == .create }.map(\.key))
        for pool in live.pools {
            if let ownership = pool.ownership, ownership.stack == plan.stack, creates.contains(ownership.key) {
                out.append("pool '\(ownership.key)' now exists (\(pool.id)); the plan would create it again")
            }
        }
        // A move re-tags its pool to the new key: another pool now carrying that key would become its duplicate.
        let moves = Dictionary(
            plan.changes.filter { $0.action == .move }.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for pool in live.pools {
            if let ownership = pool.ownership, ownership.stack == plan.stack, let move = moves[ownership.key], move.poolID != pool.id {
                out.append(
                    "pool '\(ownership.key)' now exists (\(pool.id)); the plan would move '\(move.movedFrom ?? "?")' (\(move.poolID ?? "?")) onto the same key"
                )
            }
        }
        return out.sorted()
    }

    /// The key whose ownership (of the plan's stack) the pool of `change`
    /// carried when planned, nil for none; nil altogether for a change that
    /// writes to no existing pool.
    private static func ownership(before change: PoolChange) -> (key: String?, verb: String)? {
        switch change.action {
        case .update: (change.key, "updates")
        case .delete, .deleteDuplicate: (change.key, "deletes")
        case .move: change.movedFrom.map { ($0, "moves to '\(change.key)'") }
        case .adopt: (nil, "adopts as '\(change.key)'")
        case .create, .deleteBlocked, .conflict, .noChange: nil
        }
    }
}

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
            if pool.name != fingerprint.name { what.append("name \"\(fingerprint.name)\" -> \"\(pool.name)\"") }
            let members = pool.members?.count ?? 0
            if members != fingerprint.memberCount { what.append("members \(fingerprint.memberCount) -> \(members)") }
            if pool.updatedAt != fingerprint.updatedAt { what.append("updatedAt \(fingerprint.updatedAt) -> \(pool.updatedAt)") }
            if what.isEmpty { what.append("tags or member ids changed") }
            out.append("\(label): \(what.joined(separator: ", "))")
        }
        // A pool the plan deletes must still exist and carry the ownership of its key.
        for change in plan.changes where change.action.deletesPool {
            guard let id = change.poolID, let pool = byID[id] else { continue }  // Gone: the fingerprint says so.
            let ownership = pool.ownership
            if ownership?.stack != plan.stack || ownership?.key != change.key {
                out.append(
                    "pool \(id), which the plan deletes, no longer carries the ownership of '\(change.key)' (\(ownership.map { "now '\($0.stack)/\($0.key)'" } ?? "now untagged"))"
                )
            }
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
}

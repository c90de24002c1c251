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
            // Members are read only for pools the stack still owns: unread is not empty.
            if let members = pool.members?.count, members != fingerprint.memberCount {
                what.append("members \(fingerprint.memberCount) -> \(members)")
            }
            if pool.updatedAt != fingerprint.updatedAt { what.append("updatedAt \(fingerprint.updatedAt) -> \(pool.updatedAt)") }
            if what.isEmpty { what.append("tags or member ids changed") }
            out.append("\(label): \(what.joined(separator: ", "))")
        }
        // A pool the plan writes to must still carry the ownership the plan read on it: its key's (an update or a
        // delete), its old key's (a move) or none (an adopt). Otherwise the write would land on another key's pool.
        for change in plan.changes {
            guard let planned = change.ownerWhenPlanned, let id = change.poolID, let pool = byID[id],
                !planned.matches(pool.ownership, stack: plan.stack)
            else { continue }
            let now = pool.ownership.map { "now '\($0.stack)/\($0.key)'" } ?? "now untagged"
            let what: String
            switch planned {
            case .key(let key): what = "no longer carries the ownership of '\(plan.stack)/\(key)'"
            case .unowned: what = "is no longer unowned"
            }
            out.append("pool \(id), which the plan \(Self.verb(change)), \(what) (\(now))")
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

    /// What the plan does to the pool of `change`, for the message.
    private static func verb(_ change: PoolChange) -> String {
        switch change.action {
        case .move: "moves to '\(change.key)'"
        case .adopt: "adopts as '\(change.key)'"
        case .delete, .deleteDuplicate: "deletes"
        default: "updates"
        }
    }
}

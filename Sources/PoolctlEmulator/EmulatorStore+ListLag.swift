import PoolctlAPI

/// `list-lag=MS`: the list endpoints show the state as it was MS ago, while
/// Fetch shows it now. Each pool keeps the versions a lagged list may still
/// need; deleted pools linger in `poolOrder` until no list can show them.
extension EmulatorStore {
    nonisolated var listLag: Int64 { Int64(behaviors.listLagMS) }

    /// The time the list endpoints show.
    var listTime: Int64 { lastNow - listLag }

    /// A pool's first version, from when it became visible.
    nonisolated func rememberInitial(_ pool: PoolRecord) {
        guard listLag > 0 else { return }
        pool.versions = [
            PoolVersion(at: pool.visibleFrom, name: pool.name, tags: pool.tags, updatedAt: pool.updatedAt, members: pool.members)
        ]
    }

    /// After a change that landed at `at`: a new version, and the versions
    /// that no list can show any more dropped.
    func changed(_ pool: PoolRecord, at: Int64) {
        guard listLag > 0 else { return }
        pool.versions.append(PoolVersion(at: at, name: pool.name, tags: pool.tags, updatedAt: pool.updatedAt, members: pool.members))
        let horizon = listTime
        // Keep the last version at or before the horizon, and all after it.
        let firstNeeded = (pool.versions.lastIndex { $0.at <= horizon } ?? 0)
        if firstNeeded > 0 { pool.versions.removeFirst(firstNeeded) }
    }

    /// The pool as the lists show it at `t`, or nil when they do not show it.
    func listed(_ pool: PoolRecord, at t: Int64) -> PoolVersion? {
        guard listLag > 0 else {
            return pools[pool.id] === pool
                ? PoolVersion(at: t, name: pool.name, tags: pool.tags, updatedAt: pool.updatedAt, members: pool.members) : nil
        }
        guard pool.visibleFrom <= t, pool.deletedAt.map({ $0 > t }) ?? true else { return nil }
        return pool.versions.last { $0.at <= t }
    }

    /// A deleted pool stays listable for `listLag`.
    func linger(_ pool: PoolRecord) {
        lingering.append(pool)
    }

    func forgetLingering(_ now: Int64) {
        while let first = lingering.first, let deletedAt = first.deletedAt, deletedAt + listLag <= now {
            lingering.removeFirst()
            removeFromOrder(first)
        }
    }
}

import PoolctlModel

/// Planning from a listing and a `LivePoolSource`: each pool is diffed as its
/// members arrive, and only a `MemberSummary` of it is kept.
extension Planner {
    /// The same plan as `plan(desired:live:…)` with every pool's members in
    /// `live`, byte for byte. `listing` holds the pools without members;
    /// `source` hands over the members of the pools that were read.
    public func plan(
        desired: DesiredState, listing: LiveState, source: some LivePoolSource, targeting: Targeting? = nil,
        allowDestructive: Bool = false, absence: Absence = .confirmed, confirmationCalls: Int = 0
    ) async throws -> Plan {
        let references = Self.memberReferences(desired: desired, listing: listing, targeting: targeting)
        var index: [String: Int] = [:]
        for (at, pool) in listing.pools.enumerated() { index[pool.id] = at }
        var live = listing
        try await source.forEachPool { poolID, members in
            guard let at = index[poolID] else { return }
            let sorted = LivePool.sortedByID(members)
            switch references[poolID] {
            case .some(.some(let reference)):
                live.pools[at].summary = Self.summarize(live.pools[at], sorted, against: reference)
            case .some(.none):
                // Several declared pools may be compared with it: keep it whole.
                live.pools[at].members = sorted
            case .none:
                live.pools[at].summary = Self.summarize(live.pools[at], sorted, against: nil)
            }
        }
        return plan(
            desired: desired, live: live, targeting: targeting, allowDestructive: allowDestructive, absence: absence,
            confirmationCalls: confirmationCalls)
    }

    /// For each live pool, the declared pool the planner can compare its
    /// members with: the one whose key it owns (in this stack), that moves
    /// from that key, or that adopts it. `.some(nil)` when more than one
    /// could be; no entry when none (then only its count and digest matter).
    static func memberReferences(desired: DesiredState, listing: LiveState, targeting: Targeting?) -> [String: DesiredPool?] {
        let pools = desired.pools.filter { targeting?.includes($0.key) ?? true }
        var byKey: [String: [DesiredPool]] = [:]
        var byAdopt: [String: [DesiredPool]] = [:]
        for pool in pools {
            byKey[pool.key, default: []].append(pool)
            if let old = pool.movedFrom, pool.adopt == nil, old != pool.key { byKey[old, default: []].append(pool) }
            if let adopt = pool.adopt { byAdopt[adopt, default: []].append(pool) }
        }
        var result: [String: DesiredPool?] = [:]
        for live in listing.pools {
            var candidates = byAdopt[live.id] ?? []
            if let ownership = live.ownership, ownership.stack == desired.stack {
                candidates += byKey[ownership.key] ?? []
            }
            var seen = Set<String>()
            candidates = candidates.filter { seen.insert($0.key).inserted }
            switch candidates.count {
            case 0: break
            case 1: result[live.id] = .some(candidates[0])
            default: result[live.id] = .some(nil)
            }
        }
        return result
    }

    /// Count, digest and the differences from `reference` of one pool's
    /// members (sorted by id).
    static func summarize(_ pool: LivePool, _ members: [LiveMember], against reference: DesiredPool?) -> MemberSummary {
        var whole = pool
        whole.members = members
        let digest = PoolFingerprint.digest(of: whole)
        guard let reference else {
            return MemberSummary(count: members.count, digest: digest, referenceKey: nil, outside: [], missing: [])
        }
        let diff = MemberDiff.both(members, reference.senders)
        return MemberSummary(
            count: members.count, digest: digest, referenceKey: reference.key, outside: diff.outside, missing: diff.missing)
    }
}

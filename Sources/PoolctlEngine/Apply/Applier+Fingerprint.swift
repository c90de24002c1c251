import PoolctlAPI
import PoolctlModel
import PoolctlPlan

/// The last step of an apply (issue 21): each converged pool's
/// `poolctl-applied` fingerprint, written only now, so that a partial apply
/// never records a state it did not reach, then read back like every write.
extension Applier {
    /// A pool whose fingerprint could not be written, or did not show, is
    /// failed. The next plan refreshes a stale one; a pool that had none (a
    /// create) gets one only from `apply --baseline` or its next change.
    func recordApplied(
        _ work: [PoolChange], _ final: inout [PoolResult], listed: [String: SenderPool], deadline: Duration, permits: WritePermits
    ) async {
        let pending = final.indices.filter { final[$0].status == .converged && work[$0].recordsAppliedAfterVerify }
        guard !pending.isEmpty else { return }
        var failures = await writeApplied(
            pending.map { (index: $0, change: work[$0], poolID: final[$0].poolID) }, listed: listed,
            deadline: deadline, permits: permits)
        let written = pending.filter { failures[$0] == nil }.compactMap { index in
            final[index].poolID.flatMap { id in work[index].applied.map { (index: index, poolID: id, value: $0) } }
        }
        for (index, why) in await unseenApplied(written, deadline: deadline) { failures[index] = why }
        for (index, failure) in failures {
            // Only a fingerprint that parses is refreshed by a plan (Planner.fingerprint).
            let hadOne = work[index].desiredTags[AppliedTag.tagKey].flatMap(AppliedTag.init(tagValue:)) != nil
            let next =
                hadOne
                ? "the next plan refreshes it"
                : "it had none, so unless this write shows later, drift cannot tell its causes until its next change or 'poolctl apply --baseline' records one"
            final[index].status = .failed
            final[index].error = "the pool converged, but recording what apply made it (\(AppliedTag.tagKey)) failed: \(failure); \(next)"
        }
    }

    /// The PATCHes, `parallelism` at a time, each only to a pool that a fresh
    /// read (the verification listing's, or the pool's own when that listing
    /// missed it) shows still carrying this key's ownership. They send the
    /// full tag map: ignored tags keep the values that read shows, which
    /// another tool may own. Failures by index.
    func writeApplied(
        _ pending: [(index: Int, change: PoolChange, poolID: String?)], listed: [String: SenderPool], deadline: Duration,
        permits: WritePermits
    ) async -> [Int: String] {
        let outcomes = await BoundedTasks.run(pending, limit: options.parallelism) { item in
            (
                item.index,
                await writeApplied(
                    item.change, poolID: item.poolID, listed: item.poolID.flatMap { listed[$0] }, deadline: deadline, permits: permits)
            )
        }
        var failures: [Int: String] = [:]
        for (index, failure) in outcomes {
            if let failure { failures[index] = failure }
        }
        return failures
    }

    /// One fingerprint PATCH; the failure, or nil.
    private func writeApplied(
        _ change: PoolChange, poolID: String?, listed current: SenderPool?, deadline: Duration, permits: WritePermits
    ) async -> String? {
        guard let id = poolID, let value = change.applied else { return "its pool id is not known" }
        do {
            try options.mayWrite()
            if change.action == .create {
                await permits.allow(id)  // found by this stack's ownership tag: this run's pool
            } else {
                try await permits.check(id, call: "PATCH /v1/SenderPools/\(id)", change: Self.id(change))
            }
            // The read just before the write: the verification listing's (taken
            // after every other write), or the pool's own when it missed the pool.
            let fresh: SenderPool
            if let current { fresh = current } else { fresh = try await api.fetchSenderPool(id: id) }
            guard Ownership(tags: fresh.tags)?.identity == Ownership(tags: change.desiredTags)?.identity else {
                return "pool \(id) no longer carries this stack's ownership tag; nothing was written to it"
            }
            var tags = change.desiredTags
            tags[AppliedTag.tagKey] = value
            for key in change.ignoredTags { tags[key] = fresh.tags[key] }
            try await withConflictRetry(deadline: deadline) {
                _ = try await api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: nil, tags: tags))
            }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// Reads the written fingerprints back (one listing per 1,000 pools,
    /// settling like verification for an API that shows writes late), so
    /// that a plan right after a clean apply finds them. Those still not
    /// shown, by index.
    func unseenApplied(_ written: [(index: Int, poolID: String, value: String)], deadline: Duration) async -> [Int: String] {
        var unseen = written
        let settled = await settle(deadline: deadline) {
            guard !unseen.isEmpty else { return .settled }
            guard let pools = try? await PoolListing.read(api).pools else { return .unread }
            let byID = Dictionary(pools.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            unseen = unseen.filter { byID[$0.poolID]?.tags[AppliedTag.tagKey] != $0.value }
            // Accepted PATCHes: without them the next plan has no record of this apply.
            return unseen.isEmpty ? .settled : .writesNotShown
        }
        return Dictionary(
            unseen.map { ($0.index, "the PATCH was accepted, but the pool did not show it \(settled.described)") },
            uniquingKeysWith: { first, _ in first })
    }
}

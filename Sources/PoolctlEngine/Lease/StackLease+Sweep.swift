import PoolctlAPI
import PoolctlModel

/// Leases of this run that a create of unknown outcome may have left behind,
/// looked for on release and when acquisition fails. A leftover is never
/// renewed and goes stale after its TTL, but until then it locks the stack
/// in the name of a process that has exited.
extension StackLease {
    /// Best effort, within `deadline`: deletes every pool with this run's
    /// exact tag value except `keep` (each after a GET shows that tag), and
    /// tries `leftovers` (extras the survey could not delete) by id whether
    /// or not the listing shows them. When `deleted` names a lease of ours
    /// just deleted, the listing searched is the first that no longer shows
    /// it: a listing that lags behind that delete may miss an extra too.
    /// Reports each extra deleted (`known`, leases already withdrawn, are
    /// not extras) and each one that could not be. False when no listing
    /// could be read to look for them.
    @discardableResult
    func sweepOwnLeases(
        tag: LeaseTag, keep: String?, deleted: String?, known: Set<String>, leftovers: Set<String>, deadline: Duration
    ) async -> Bool {
        let listing = await listing(after: deleted, deadline: deadline)
        let listed = listing?.pools.filter { Self.isExactly($0, tag: tag) }.map(\.id) ?? []
        let candidates = (listed + leftovers.sorted().filter { !listed.contains($0) }).filter { $0 != keep }
        for id in candidates {
            switch await deleteOwnLeftover(id, tag: tag, deadline: deadline) {
            case .success(.deleted) where !known.contains(id): report(.extraLeaseDeleted(poolID: id))
            case .success: break
            case .failure(let error): report(.extraLeaseNotDeleted(poolID: id, error: "\(error)"))
            }
        }
        return listing != nil
    }

    /// The first listing that no longer shows `deleted` (any listing when
    /// nil), or the last one read after `listingAttempts`.
    private func listing(after deleted: String?, deadline: Duration) async -> PoolListing? {
        var waits = options.sightingBackoff.waits()
        var latest: PoolListing?
        for attempt in 0..<max(1, options.listingAttempts) {
            if attempt > 0 {
                let pause = waits.next()
                guard clock.now() + pause < deadline else { break }
                try? await clock.sleep(pause)
            }
            guard clock.now() < deadline, let listing = try? await retrying({ try await PoolListing.read(api) }) else { break }
            latest = listing
            guard let deleted, listing.contains(id: deleted) else { break }
        }
        return latest
    }

    /// A GET-checked delete of a lease of this run, retried on transient
    /// failures and on a 409 (its create operation may still be running:
    /// an acquisition interrupted while it ran) within `deadline`, and
    /// `attempts` tries at most; the last error when it still failed.
    func deleteOwnLeftover(_ id: String, tag: LeaseTag, deadline: Duration, attempts: Int = .max) async -> Result<CheckedDelete, any Error>
    {
        var sent = false
        do {
            return .success(
                try await LeaseRetry.delete(options, deadline: deadline, attempts: attempts).run(clock: clock, random: random) {
                    try await deleteChecked(id, sent: &sent, expect: { Self.isExactly($0, tag: tag) })
                })
        } catch {
            return .failure(error)
        }
    }
}

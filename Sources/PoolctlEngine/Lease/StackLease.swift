import Foundation
import PoolctlAPI
import PoolctlModel

/// A per-stack lease held through the API, since poolctl has no lock
/// service: an empty pool tagged `poolctl-lease: v1~STACK~HOLDER~TTL`,
/// HOLDER unique to the run.
///
/// Acquire: create the lease and wait for its operation, find it, list the
/// pools until a listing shows it, and if that listing took several pages,
/// list again with other page boundaries until one listing is shown to have
/// skipped nothing (offset paging under other users' writes can skip a
/// pool; `PoolSightings`). Then delete extra leases of this run (a create
/// whose outcome was unknown that did happen) and stale leases of the
/// stack, and if any other live lease of the stack remains in either
/// listing, delete ours and try again after a jittered backoff until
/// `lockTimeout`. Yielding to *any* other live lease, not only an older one,
/// keeps two contenders from both proceeding as long as a completed create
/// is visible to a listing (schema/API-DECISIONS.md, "Stack lease").
///
/// Every DELETE is preceded by a GET of the pool that shows it is still the
/// lease we mean; a pool found by the `operationId` filter counts as ours
/// only with our exact tag value and name.
///
/// Calls: acquisition adds 1 create + its polls (usually 1) + 1 find
/// (`operationId` filter) + 1 listing per 1,000 pools (twice past 1,000
/// pools), plus per stale lease 1 List Senders, 1 GET and 1 DELETE; each
/// retry adds those and a GET and a DELETE of our own lease. Holding adds 1
/// PATCH per TTL/3, release 1 GET and 1 DELETE (after a create of unknown
/// outcome, also 1 to `listingAttempts` listings looking for an extra
/// lease). `calls` counts them.
public struct StackLease: Sendable {
    public var api: any CommsAPI
    public var clock: PoolctlClock
    public var options: LeaseOptions
    /// In [0, 1): spreads the backoff so contenders do not retry in step.
    public var random: @Sendable () -> Double
    public var report: @Sendable (LeaseEvent) -> Void
    /// The calls this lease made (logical calls; the client counts retries).
    public let calls: CallCounter

    public init(
        api: any CommsAPI, clock: PoolctlClock = .system, options: LeaseOptions = LeaseOptions(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        report: @escaping @Sendable (LeaseEvent) -> Void = { _ in }, calls: CallCounter = CallCounter()
    ) {
        self.api = LeaseAPI(base: api, calls: calls, attempts: options.callAttempts)
        self.clock = clock
        self.options = options
        self.random = random
        self.report = report
        self.calls = calls
    }

    /// Holds the stack's lease, renewing it every TTL/3 until `release()`.
    /// Throws `StackLocked` when another live lease still exists after
    /// `lockTimeout` (0: at once), `LeaseTag.Problem` for a bad stack, holder
    /// or TTL, and `APIError` once a step failed `stepAttempts` times.
    public func acquire(stack: String, holder: LeaseHolder, ttl: Duration = .seconds(120), lockTimeout: Duration = .zero) async throws
        -> HeldLease
    {
        let tag = try LeaseTag(stack: stack, holder: holder.id, ttlSeconds: ttl.inWholeSecondsRoundedUp)
        let name = LeaseTag.poolName(stack: stack, host: holder.host, ciRun: holder.ciRun)
        let deadline = clock.now() + lockTimeout
        var run = Attempts()
        do {
            return try await acquire(tag: tag, name: name, stack: stack, deadline: deadline, run: &run)
        } catch {
            // A create of unknown outcome may have made a lease nobody holds.
            if run.uncertain || run.unfound {
                let (lease, run) = (self, run)
                let known = run.withdrawn.union(run.lastOwn.map { [$0] } ?? [])
                let sweepDeadline = clock.now() + options.releaseDeadline
                let looked = await Task {
                    await lease.sweepOwnLeases(
                        tag: tag, keep: nil, deleted: run.lastOwn, known: known, leftovers: run.leftovers, deadline: sweepDeadline)
                }.value
                // Say so: a lease this run may have made, unseen, locks the stack until its TTL.
                if !looked, var error = error as? APIError {
                    error.message +=
                        "; a lease pool this run's create may have made (tagged \(LeaseTag.tagKey)=\(tag.tagValue)) could not be looked for: if it exists, it locks the stack until it expires after \(tag.ttlSeconds) s, and 'poolctl unlock \(stack)' removes it now"
                    throw error
                }
            }
            throw error
        }
    }

    /// What acquisition did so far, for the sweep when it fails or at release.
    struct Attempts: Sendable {
        /// A create's outcome was unknown: another lease of this run may exist.
        var uncertain = false
        /// A create was accepted and its pool not found yet.
        var unfound = false
        /// Our leases deleted on yielding: a lagging listing may still show them.
        var withdrawn: Set<String> = []
        /// The latest lease of ours, deleted unless acquisition succeeded.
        var lastOwn: String?
        /// Extras the survey could not delete: the sweep tries them by id.
        var leftovers: Set<String> = []
        /// The operations of our accepted creates: an apply under the lease
        /// must not take one for its own create whose outcome was unknown.
        /// By when each create's request left.
        var operations: [String: Duration] = [:]
        /// From our lease's create operation seen ended to the first list
        /// that showed its pool: about how far the lists lag.
        var listLag: Duration?
    }

    private func acquire(tag: LeaseTag, name: String, stack: String, deadline: Duration, run: inout Attempts) async throws -> HeldLease {
        var waits = options.rivalBackoff.waits()
        var staleDeleted: [LeaseInfo] = []
        let ttl = Duration.seconds(tag.ttlSeconds)
        let patience = deadline - clock.now()
        while true {
            // Before the create is sent: the server's `updatedAt` can only be later.
            let created = clock.now()
            // Every wait for a list to show this try's lease ends by then: writes need the rest of the TTL.
            let shownBy = created + visibilityWindow(tag)
            let own = try await createOwn(name: name, tag: tag, shownBy: shownBy, run: &run)
            (run.unfound, run.lastOwn) = (false, own.id)
            let (listings, unconfirmed, others) = try await withCleanup(of: own.id, tag: tag, created: created) {
                try await survey(
                    own: own, tag: tag, stack: stack, shownBy: shownBy, until: created + HeldLease.writeTime(ttl: ttl), run: &run,
                    staleDeleted: &staleDeleted)
            }
            if others.isEmpty, let unconfirmed {
                // No rival seen, but the listings cannot rule one out: withdraw and
                // try again (churn may calm down), never proceed on a guess.
                try await withdraw(own.id, tag: tag, created: created)
                run.withdrawn.insert(own.id)
                let now = clock.now()
                guard now < deadline else {
                    throw APIError(
                        kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
                        message: "cannot confirm that no other apply holds the stack's lease: \(unconfirmed)")
                }
                let wait = min(waits.next(random: random()), deadline - now)
                report(.unconfirmed(reason: unconfirmed, retryIn: wait))
                try await clock.sleep(wait)
                continue
            }
            guard let blocker = others.first else {
                try await ensureWriteTimeLeft(own.id, tag: tag, created: created)
                return HeldLease(
                    api: api, clock: clock, options: options, random: random, report: report, poolID: own.id, name: name, tag: tag,
                    heldFrom: created, staleDeleted: staleDeleted, listings: listings, acquisition: run)
            }
            // Yield to any other live lease: ours goes before anything else happens.
            try await withdraw(own.id, tag: tag, created: created)
            run.withdrawn.insert(own.id)
            let now = clock.now()
            guard now < deadline else { throw StackLocked(blocker, waited: patience > .zero ? patience : nil) }
            let wait = min(waits.next(random: random()), deadline - now)
            report(.waiting(for: blocker, retryIn: wait))
            try await clock.sleep(wait)
        }
    }

    /// A lease whose acquisition (a slow create, lists that lag) took the time its TTL
    /// leaves for writes would fail the first write as lost: withdrawn
    /// instead, with the reason and the remedy.
    private func ensureWriteTimeLeft(_ id: String, tag: LeaseTag, created: Duration) async throws {
        let writeTime = HeldLease.writeTime(ttl: .seconds(tag.ttlSeconds))
        let took = clock.now() - created
        guard took >= writeTime else { return }
        try await withdraw(id, tag: tag, created: created)
        throw APIError(
            kind: .deadlineExceeded, method: "GET", path: "/v1/SenderPools",
            message:
                "taking the stack's lease took \(LeaseEvent.seconds(took)), past the \(LeaseEvent.seconds(writeTime)) its TTL of \(tag.ttlSeconds) s leaves for writes (the API was slow to finish its create or to list it); it was released and nothing was written: raise --lock-ttl"
        )
    }

    /// Deletes our lease (its create sent at `created`) as the sweep deletes
    /// an extra: a transient failure or a 409 is waited out (a lease adopted
    /// by its tag after a create of unknown outcome may still have its
    /// operation running), within `releaseDeadline`, even when the task is
    /// cancelled, so that an interrupted acquisition leaves nothing behind.
    /// One that cannot be deleted locks the stack until it expires: reported
    /// as a failed release, and its error thrown.
    private func withdraw(_ id: String, tag: LeaseTag, created: Duration) async throws {
        let (lease, deadline) = (self, clock.now() + options.releaseDeadline)
        let result = await Task { await lease.deleteOwnLeftover(id, tag: tag, deadline: deadline) }.value
        if case .failure(let error) = result {
            let expiresAt = HeldLease.expiry(heldFrom: created, ttl: .seconds(tag.ttlSeconds), clock: clock)
            report(.releaseFailed(LeaseReleaseFailed(stack: tag.stack, poolID: id, expiresAt: expiresAt, error: "\(error)")))
            throw error
        }
    }

    /// With our lease created: lists until a listing shows it, deletes this
    /// run's extra leases and stale rivals. Returns the listings, why they
    /// could not rule a rival out (nil when they could), and the live rivals.
    /// `until`: when writes under our lease would stop if it is not renewed.
    private func survey(
        own: OwnLease, tag: LeaseTag, stack: String, shownBy: Duration, until: Duration, run: inout Attempts,
        staleDeleted: inout [LeaseInfo]
    ) async throws -> ([PoolListing], String?, [LeaseInfo]) {
        let (listings, unconfirmed) = try await listingsShowing(own.id, first: own.listing, giveUp: shownBy)
        let pools = PoolSightings(listings).pools
        // Best effort, within the lease's own time: an extra left here never
        // blocks us (it has our tag), and release's sweep tries it again by id
        // (extras come only from a create of unknown outcome, which it follows).
        let extrasDeadline = min(clock.now() + options.releaseDeadline, until)
        for extra in pools where extra.id != own.id && !run.withdrawn.contains(extra.id) && Self.isExactly(extra, tag: tag) {
            switch await deleteOwnLeftover(extra.id, tag: tag, deadline: extrasDeadline, attempts: options.stepAttempts) {
            case .success(.deleted): report(.extraLeaseDeleted(poolID: extra.id))
            case .success: break
            case .failure: run.leftovers.insert(extra.id)
            }
        }
        let serverNow = serverTime(own: pools.first { $0.id == own.id }, listedAt: clock.now())
        var live: [LeaseInfo] = []
        for lease in LeaseInfo.leases(of: stack, in: pools) where lease.tag != tag {
            guard lease.isStale(serverNow: serverNow) else {
                live.append(lease)
                continue
            }
            switch await deleteStale(lease, serverNow: serverNow) {
            case .deleted: staleDeleted.append(lease)
            case .renewed(let fresh): live.append(fresh)
            case .gone, .kept: break
            }
        }
        return (listings, unconfirmed, live)
    }

    /// The leases of `stack`, live or not: what `unlock` shows. From one
    /// listing when it was a single page; else from it and more listings
    /// with other page boundaries, as the rival check reads them (offset
    /// paging under other users' writes can skip a lease; `PoolSightings`).
    public func leases(of stack: String) async throws -> [LeaseInfo] {
        let first = try await retrying { try await PoolListing.read(api) }
        return LeaseInfo.leases(of: stack, in: PoolSightings(try await withSecondListing(first)).pools)
    }

    /// `first`, and more listings when `first` took several pages
    /// (`PoolSightings.confirmsAbsence`).
    private func withSecondListing(_ first: PoolListing) async throws -> [PoolListing] {
        try await confirmingListings(first).listings
    }

    /// `first`, then listings with other boundaries until what they all
    /// missed counts as absent, or `PoolSightings.maxListings` were taken.
    func confirmingListings(_ first: PoolListing) async throws -> PoolSightings {
        var sightings = PoolSightings([first])
        while sightings.mayConfirmWithMoreListings {
            let pageSize = sightings.nextPageSize
            sightings.add(try await retrying { try await PoolListing.read(api, pageSize: pageSize) })
        }
        return sightings
    }

    /// What `unlock` did with one lease it showed.
    public enum UnlockResult: Sendable, Hashable {
        case deleted
        /// Gone before the delete.
        case gone
        /// Renewed since it was shown (its `updatedAt` moved): its holder may
        /// be alive. Not deleted; ask again with the fresh data.
        case renewed(LeaseInfo)
        /// No longer a lease of the stack, or it holds senders: not deleted.
        case refused(String)
    }

    /// Deletes exactly the leases `shown` (`poolctl unlock`), each only if a
    /// GET just before the delete shows it unchanged since it was shown and
    /// it holds no senders.
    public func unlock(_ shown: [LeaseInfo]) async throws -> [(LeaseInfo, UnlockResult)] {
        var results: [(LeaseInfo, UnlockResult)] = []
        for lease in shown {
            let pool: SenderPool
            do {
                pool = try await retrying { try await api.fetchSenderPool(id: lease.poolID) }
            } catch let error as APIError where error.isNotFound {
                results.append((lease, .gone))
                continue
            }
            guard let fresh = LeaseInfo(pool: pool), fresh.stack == lease.stack else {
                results.append((lease, .refused("\(lease.poolID) no longer carries a lease tag of stack '\(lease.stack)'")))
                continue
            }
            if fresh.updatedAt != lease.updatedAt || fresh.tag != lease.tag {
                results.append((lease, .renewed(fresh)))
                continue
            }
            // As apply's stale cleanup judges one: a lease poolctl made has its name, and no senders.
            let prefix = LeaseTag.poolNamePrefix(stack: lease.stack)
            guard fresh.name.hasPrefix(prefix) else {
                results.append(
                    (
                        lease,
                        .refused(
                            "\(lease.poolID) is named '\(fresh.name)', not '\(prefix)…', so it is not a lease poolctl made; not deleted")
                    ))
                continue
            }
            if try await holdsSenders(lease.poolID) {
                results.append((lease, .refused("\(lease.poolID) holds senders, so it is not a lease poolctl made; not deleted")))
                continue
            }
            do {
                _ = try await retrying { try await api.deleteSenderPool(id: lease.poolID) }
                results.append((lease, .deleted))
            } catch let error as APIError where error.isNotFound {
                results.append((lease, .gone))
            }
        }
        return results
    }

    /// Runs `body` again after a transient failure, `stepAttempts` times at most.
    func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await LeaseRetry.step(options).run(clock: clock, random: random, body)
    }

    /// Runs `body`; if it throws, deletes our lease first (even when the task
    /// is cancelled) so a failed acquisition leaves nothing behind.
    private func withCleanup<T: Sendable>(of ownID: String, tag: LeaseTag, created: Duration, _ body: () async throws -> T)
        async throws -> T
    {
        do {
            return try await body()
        } catch {
            // The body's error is the one that matters; a failed delete is reported.
            try? await withdraw(ownID, tag: tag, created: created)
            throw error
        }
    }
}

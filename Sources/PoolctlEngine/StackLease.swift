import Foundation
import PoolctlAPI
import PoolctlModel

public struct LeaseOptions: Sendable {
    /// The first wait after finding another live lease; doubles up to `maxBackoff`.
    public var initialBackoff: Duration = .seconds(1)
    public var maxBackoff: Duration = .seconds(15)
    /// An empty create finishes fast: poll it sooner than a pool with senders.
    public var poller = OperationPoller(initial: .milliseconds(100), maximum: .seconds(1), budget: .seconds(60))
    /// Listings that must show our own completed lease before we trust them.
    public var listingAttempts = 4
    /// Tries of each step (create, poll, find, list, delete) when the API
    /// fails transiently (`APIError.isTransient`): a run that gives up on a
    /// 503 leaves the stack locked, or fails a pipeline, for nothing.
    public var stepAttempts = 5
    /// The first wait before trying a step again; doubles up to `stepBackoffCap`.
    public var stepBackoff: Duration = .milliseconds(250)
    public var stepBackoffCap: Duration = .seconds(4)
    /// How long `release()` keeps trying before it warns and gives up.
    public var releaseDeadline: Duration = .seconds(30)

    public init() {}
}

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
/// PATCH per TTL/3, release 1 GET and 1 DELETE. `calls` counts them.
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
        self.api = CountingAPI(base: api, calls: calls)
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
        var backoff = options.initialBackoff
        var staleDeleted: [LeaseInfo] = []
        var uncertain = false
        while true {
            // Before the create is sent: the server's `updatedAt` can only be later.
            let created = clock.now()
            let own = try await createOwn(name: name, tag: tag)
            uncertain = uncertain || own.uncertain
            let (listings, unconfirmed, others) = try await withCleanup(of: own.id, tag: tag) {
                () async throws -> ([PoolListing], String?, [LeaseInfo]) in
                let (listings, unconfirmed) = try await listingsShowing(own.id, first: own.listing)
                let pools = PoolSightings(listings).pools
                for extra in pools where extra.id != own.id && extra.tags[LeaseTag.tagKey] == tag.tagValue {
                    if try await deleteChecked(extra.id, expect: { Self.isExactly($0, tag: tag) }) {
                        report(.extraLeaseDeleted(poolID: extra.id))
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
                    case .kept: break
                    }
                }
                return (listings, unconfirmed, live)
            }
            if others.isEmpty, let unconfirmed {
                // No rival seen, but the listings cannot rule one out: withdraw and
                // try again (churn may calm down), never proceed on a guess.
                try await retrying { _ = try await deleteChecked(own.id, expect: { Self.isExactly($0, tag: tag) }) }
                let now = clock.now()
                guard now < deadline else {
                    throw APIError(
                        kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
                        message: "cannot confirm that no other apply holds the stack's lease: \(unconfirmed)")
                }
                let wait = min(backoff * (0.5 + random()), deadline - now)
                report(.unconfirmed(reason: unconfirmed, retryIn: wait))
                try await clock.sleep(wait)
                backoff = min(backoff * 2, options.maxBackoff)
                continue
            }
            guard let blocker = others.first else {
                return HeldLease(
                    api: api, clock: clock, options: options, random: random, report: report, poolID: own.id, name: name, tag: tag,
                    heldFrom: created, staleDeleted: staleDeleted, listings: listings, sweepOwnExtras: uncertain)
            }
            // Yield to any other live lease: ours goes before anything else happens.
            try await retrying { _ = try await deleteChecked(own.id, expect: { Self.isExactly($0, tag: tag) }) }
            let now = clock.now()
            guard now < deadline else { throw StackLocked(blocker) }
            let wait = min(backoff * (0.5 + random()), deadline - now)
            report(.waiting(for: blocker, retryIn: wait))
            try await clock.sleep(wait)
            backoff = min(backoff * 2, options.maxBackoff)
        }
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
    private func confirmingListings(_ first: PoolListing) async throws -> PoolSightings {
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

    // MARK: Steps

    struct OwnLease {
        var id: String
        /// A listing that already shows it, when finding it took one.
        var listing: PoolListing?
        /// A create's outcome was unknown: another lease of this run may exist.
        var uncertain: Bool
    }

    /// Creates our lease, waits for its operation and finds its id. A create
    /// whose outcome is unknown (5xx, reset, timeout) may have made the
    /// pool: before creating again, look for this run's unique tag value;
    /// a second lease that this makes anyway is deleted as an extra.
    func createOwn(name: String, tag: LeaseTag) async throws -> OwnLease {
        var uncertain = false
        var lastError: APIError?
        var wait = options.stepBackoff
        for attempt in 0..<options.stepAttempts {
            if attempt > 0 {
                try await clock.sleep(wait * (0.5 + random()))
                wait = min(wait * 2, options.stepBackoffCap)
            }
            if uncertain, let found = try? await findByTag(tag, name: name) {
                return OwnLease(id: found.0, listing: found.1, uncertain: true)
            }
            let accepted: OperationAccepted
            do {
                accepted = try await api.createSenderPool(CreateSenderPoolRequest(name: name, tags: tag.tags))
            } catch let error as APIError where error.isTransient {
                uncertain = true
                lastError = error
                report(.createRetried(error: error.description))
                continue
            }
            guard let reference = OperationReference(accepted, poolID: nil) else {
                // Accepted, so it exists: find it by its tag.
                uncertain = true
                continue
            }
            // Any final status will do: a lease holds no senders, so only the
            // pool matters, and an operation that ended CANCELED or FAILED may
            // still have made it. `find` tells.
            do {
                _ = try await poll(reference)
                if let found = try await find(operationID: reference.id, tag: tag, name: name) {
                    return OwnLease(id: found.0, listing: found.1, uncertain: uncertain)
                }
            } catch let error as APIError where error.isTransient {
                lastError = error
            }
            uncertain = true
        }
        if uncertain, let found = try? await findByTag(tag, name: name) {
            return OwnLease(id: found.0, listing: found.1, uncertain: true)
        }
        // A lease we made but never found is never renewed: it goes stale
        // after its TTL and the next apply deletes it.
        throw lastError
            ?? APIError(
                kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
                message: "no lease pool tagged \(LeaseTag.tagKey)=\(tag.tagValue) was found after \(options.stepAttempts) creates")
    }

    private func poll(_ reference: OperationReference) async throws -> SenderPoolOperation {
        var poller = options.poller
        var action = poller.start()
        while true {
            switch action {
            case .wait(let duration):
                try await clock.sleep(duration)
                action = poller.received(try await retrying { try await api.fetchOperation(reference) })
            case .done(let operation):
                return operation
            case .timedOut:
                throw APIError(
                    kind: .deadlineExceeded, method: "GET", path: "/v1/SenderPools/Operations/\(reference.id)",
                    message: "the lease's create operation \(reference.id) had not finished after \(poller.polls) polls")
            }
        }
    }

    /// Our lease's id: by the `operationId` filter if the pool it returns
    /// carries our exact tag value and name (an API that ignores the filter
    /// returns someone else's pool), else by tag and name in a full listing
    /// (which is then reused). Nil when neither shows it yet.
    private func find(operationID: String, tag: LeaseTag, name: String) async throws -> (String, PoolListing?)? {
        for attempt in 0..<3 {
            if attempt > 0 { try await clock.sleep(.milliseconds(200 << attempt)) }
            let page = try await retrying { try await api.listSenderPools(SenderPoolQuery(operationId: operationID, pageSize: 1)) }
            if let pool = page.items.first, Self.isExactly(pool, tag: tag), pool.name == name {
                return (pool.id, nil)
            }
            if let found = try await findByTag(tag, name: name) { return found }
        }
        return nil
    }

    /// The oldest pool with our exact tag value and name in a full listing.
    private func findByTag(_ tag: LeaseTag, name: String) async throws -> (String, PoolListing)? {
        let listing = try await retrying { try await PoolListing.read(api) }
        let mine = listing.pools.filter { Self.isExactly($0, tag: tag) && $0.name == name }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        return mine.first.map { ($0.id, listing) }
    }

    /// Listings that show our own lease: the rule is only safe on listings
    /// that already show completed creates. One listing when it was a single
    /// page; else more with other page boundaries, since paging under other
    /// users' writes can skip a rival's lease.
    private func listingsShowing(_ ownID: String, first: PoolListing?) async throws -> ([PoolListing], unconfirmed: String?) {
        var showing = first.flatMap { $0.contains(id: ownID) ? $0 : nil }
        var attempt = 0
        while showing == nil {
            guard attempt < options.listingAttempts else {
                throw APIError(
                    kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
                    message: "the listing does not show the completed lease pool \(ownID); the lease cannot be trusted")
            }
            if attempt > 0 { try await clock.sleep(.milliseconds(200 << attempt)) }
            attempt += 1
            let listing = try await retrying { try await PoolListing.read(api) }
            if listing.contains(id: ownID) { showing = listing }
        }
        let sightings = try await confirmingListings(showing!)
        // A rival's lease all listings skipped would let two applies proceed: never guess.
        return (sightings.listings, sightings.unconfirmedReason)
    }

    /// The server's time: from the client's `Date` headers, else our own
    /// lease's `updatedAt` plus the local time since the listing was read.
    private func serverTime(own: SenderPool?, listedAt: Duration) -> Date? {
        if let estimate = (api as? ServerClock)?.estimatedServerTime() { return estimate }
        guard let updated = own.flatMap({ APITimestamp.parseRFC3339($0.updatedAt) }) else { return nil }
        return updated.addingTimeInterval((clock.now() - listedAt).inSeconds)
    }

    enum StaleOutcome {
        case deleted
        /// Renewed since the listing: live after all.
        case renewed(LeaseInfo)
        /// Not deleted: not a lease in every respect, or the delete failed.
        case kept
    }

    /// Deletes a stale lease only if it is a lease in every respect: the
    /// lease name prefix, a lease tag of the stack, no senders (1 List
    /// Senders), and a GET just before the delete that shows it still stale.
    private func deleteStale(_ lease: LeaseInfo, serverNow: Date?) async -> StaleOutcome {
        do {
            guard lease.name.hasPrefix(LeaseTag.poolNamePrefix(stack: lease.stack)) else {
                report(.staleLeaseNotDeleted(lease, error: "its name does not start with '\(LeaseTag.poolNamePrefix(stack: lease.stack))'"))
                return .kept
            }
            guard try await !holdsSenders(lease.poolID) else {
                report(.staleLeaseNotDeleted(lease, error: "it holds senders"))
                return .kept
            }
            var renewed: LeaseInfo?
            let deleted = try await retrying {
                try await deleteChecked(lease.poolID) { pool in
                    guard let fresh = LeaseInfo(pool: pool), fresh.stack == lease.stack else { return false }
                    if !fresh.isStale(serverNow: serverNow) || fresh.updatedAt != lease.updatedAt {
                        renewed = fresh
                        return false
                    }
                    return true
                }
            }
            if let renewed { return .renewed(renewed) }
            guard deleted else {
                report(.staleLeaseNotDeleted(lease, error: "a read just before the delete no longer shows it as a lease of the stack"))
                return .kept
            }
            report(.staleLeaseDeleted(lease))
            return .deleted
        } catch {
            report(.staleLeaseNotDeleted(lease, error: "\(error)"))
            return .kept
        }
    }

    /// One List Senders call of page size 1.
    private func holdsSenders(_ poolID: String) async throws -> Bool {
        try await retrying { try await api.listPoolSenders(poolID: poolID, SenderQuery(pageSize: 1)) }.items.isEmpty == false
    }

    /// Deletes `poolID` only if a GET just before the call shows a pool that
    /// `expect` accepts. True when deleted or already gone.
    func deleteChecked(_ poolID: String, expect: (SenderPool) -> Bool) async throws -> Bool {
        try await Self.deleteChecked(api, poolID, expect: expect)
    }

    static func deleteChecked(_ api: any CommsAPI, _ poolID: String, expect: (SenderPool) -> Bool) async throws -> Bool {
        do {
            guard expect(try await api.fetchSenderPool(id: poolID)) else { return false }
            _ = try await api.deleteSenderPool(id: poolID)
        } catch let error as APIError where error.isNotFound {
            // Already gone.
        }
        return true
    }

    /// The pool carries exactly this run's lease tag value.
    static func isExactly(_ pool: SenderPool, tag: LeaseTag) -> Bool { pool.tags[LeaseTag.tagKey] == tag.tagValue }

    /// Runs `body` again after a transient failure, `stepAttempts` times at most.
    func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var wait = options.stepBackoff
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as APIError where error.isTransient && attempt < options.stepAttempts {
                attempt += 1
                try await clock.sleep(wait * (0.5 + random()))
                wait = min(wait * 2, options.stepBackoffCap)
            }
        }
    }

    /// Runs `body`; if it throws, deletes our lease first (even when the task
    /// is cancelled) so a failed acquisition leaves nothing behind.
    private func withCleanup<T: Sendable>(of ownID: String, tag: LeaseTag, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let lease = self
            _ = await Task {
                try? await lease.retrying { _ = try await lease.deleteChecked(ownID, expect: { Self.isExactly($0, tag: tag) }) }
            }.value
            throw error
        }
    }
}

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

    public init() {}
}

/// A per-stack lease held through the API, since poolctl has no lock
/// service: an empty pool tagged `poolctl-lease: v1~STACK~HOLDER~TTL`.
///
/// Acquire: create the lease and wait for its operation, list the pools,
/// delete stale leases of the stack, and if any other live lease of the
/// stack remains, delete ours and try again after a jittered backoff until
/// `lockTimeout`. Yielding to *any* other live lease, not only an older one,
/// keeps two contenders from both proceeding as long as a completed create
/// is visible to a listing (schema/API-DECISIONS.md, "Stack lease").
///
/// Calls: acquisition adds 1 create + its polls (usually 1) + 1 find
/// (`operationId` filter) + 1 listing per 1,000 pools, plus 1 delete per
/// stale lease; each retry adds those and 1 delete of our own lease. Holding
/// adds 1 PATCH per TTL/3, release 1 delete. `calls` counts them.
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
        self.api = api
        self.clock = clock
        self.options = options
        self.random = random
        self.report = report
        self.calls = calls
    }

    /// Holds the stack's lease, renewing it every TTL/3 until `release()`.
    /// Throws `StackLocked` when another live lease still exists after
    /// `lockTimeout` (0: at once), `LeaseTag.Problem` for a bad stack, holder
    /// or TTL, and `APIError`.
    public func acquire(stack: String, holder: LeaseHolder, ttl: Duration = .seconds(120), lockTimeout: Duration = .zero) async throws
        -> HeldLease
    {
        let tag = try LeaseTag(stack: stack, holder: holder.id, ttlSeconds: Self.wholeSeconds(ttl))
        let name = LeaseTag.poolName(stack: stack, host: holder.host, ciRun: holder.ciRun)
        let deadline = clock.now() + lockTimeout
        var backoff = options.initialBackoff
        var staleDeleted: [LeaseInfo] = []
        while true {
            let created = clock.now()
            let (ownID, pools) = try await createAndList(name: name, tag: tag)
            let others = try await withCleanup(of: ownID) { () async throws -> [LeaseInfo] in
                let serverNow = serverTime(own: pools.first { $0.id == ownID }, listedAt: clock.now())
                var live: [LeaseInfo] = []
                for lease in LeaseInfo.leases(of: stack, in: pools) where lease.poolID != ownID {
                    if lease.isStale(serverNow: serverNow) {
                        if try await deleteStale(lease) { staleDeleted.append(lease) }
                    } else {
                        live.append(lease)
                    }
                }
                return live
            }
            guard let blocker = others.first else {
                return HeldLease(
                    api: api, clock: clock, report: report, calls: calls, poolID: ownID, name: name, tag: tag,
                    heldFrom: created, staleDeleted: staleDeleted)
            }
            // Yield to any other live lease: ours goes before anything else happens.
            try await delete(ownID)
            let now = clock.now()
            guard now < deadline else { throw StackLocked(blocker) }
            let wait = min(backoff * (0.5 + random()), deadline - now)
            report(.waiting(for: blocker, retryIn: wait))
            try await clock.sleep(wait)
            backoff = min(backoff * 2, options.maxBackoff)
        }
    }

    /// Deletes every lease of `stack`, live or not (`poolctl unlock`), and
    /// returns what it deleted. A lease already gone counts as deleted.
    public func unlock(stack: String) async throws -> [LeaseInfo] {
        calls.record(.listSenderPools)
        let leases = LeaseInfo.leases(of: stack, in: try await api.allSenderPools().collect())
        for lease in leases { try await delete(lease.poolID) }
        return leases
    }

    // MARK: Steps

    /// Creates our lease, waits for its operation, finds its id, and returns
    /// it with a listing of all pools that shows it.
    private func createAndList(name: String, tag: LeaseTag) async throws -> (String, [SenderPool]) {
        calls.record(.createSenderPool)
        // An unknown outcome is thrown as is: a lease we cannot find is never
        // renewed, so it goes stale after its TTL and the next apply deletes it.
        let accepted = try await api.createSenderPool(CreateSenderPoolRequest(name: name, tags: tag.tags))
        guard let reference = OperationReference(accepted, poolID: nil) else {
            throw APIError(
                kind: .invalidResponse, method: "POST", path: "/v1/SenderPools", message: "the lease's create response named no operation")
        }
        // Any final status will do: a lease holds no senders, so only the
        // pool matters, and an operation that ended CANCELED or FAILED may
        // still have made it. `find` fails if it did not.
        _ = try await poll(reference)
        let (ownID, listing) = try await find(operationID: reference.id, tag: tag, name: name)
        return try await withCleanup(of: ownID) {
            (ownID, try await listingShowing(ownID, first: listing))
        }
    }

    private func poll(_ reference: OperationReference) async throws -> SenderPoolOperation {
        var poller = options.poller
        var action = poller.start()
        while true {
            switch action {
            case .wait(let duration):
                try await clock.sleep(duration)
                calls.record(.fetchOperation)
                action = poller.received(try await api.fetchOperation(reference))
            case .done(let operation):
                return operation
            case .timedOut:
                throw APIError(
                    kind: .deadlineExceeded,
                    message: "the lease's create operation \(reference.id) had not finished after \(poller.polls) polls")
            }
        }
    }

    /// Our lease's id: by the `operationId` filter, else by its exact tag and
    /// name in a full listing (which is then reused).
    private func find(operationID: String, tag: LeaseTag, name: String) async throws -> (String, [SenderPool]?) {
        for attempt in 0..<3 {
            if attempt > 0 { try await clock.sleep(.milliseconds(200 << attempt)) }
            calls.record(.listSenderPools)
            if let pool = try await api.listSenderPools(SenderPoolQuery(operationId: operationID, pageSize: 1)).items.first {
                return (pool.id, nil)
            }
            calls.record(.listSenderPools)
            let pools = try await api.allSenderPools().collect()
            let mine = pools.filter { $0.tags[LeaseTag.tagKey] == tag.tagValue && $0.name == name }
            if mine.count == 1 { return (mine[0].id, pools) }
        }
        throw APIError(
            kind: .invalidResponse, method: "GET", path: "/v1/SenderPools?operationId=\(operationID)",
            message: "no lease pool was found for create operation \(operationID); it expires after its TTL")
    }

    /// A listing of all pools that shows our own lease: the rule is only safe
    /// on a listing that already shows completed creates.
    private func listingShowing(_ ownID: String, first: [SenderPool]?) async throws -> [SenderPool] {
        if let first, first.contains(where: { $0.id == ownID }) { return first }
        for attempt in 0..<options.listingAttempts {
            if attempt > 0 { try await clock.sleep(.milliseconds(200 << attempt)) }
            calls.record(.listSenderPools)
            let pools = try await api.allSenderPools().collect()
            if pools.contains(where: { $0.id == ownID }) { return pools }
        }
        throw APIError(
            kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
            message: "the listing does not show the completed lease pool \(ownID); the lease cannot be trusted")
    }

    /// The server's time: from the client's `Date` headers, else our own
    /// lease's `updatedAt` plus the local time since the listing was read.
    private func serverTime(own: SenderPool?, listedAt: Duration) -> Date? {
        if let estimate = (api as? ServerClock)?.estimatedServerTime() { return estimate }
        guard let updated = own.flatMap({ APITimestamp.parseRFC3339($0.updatedAt) }) else { return nil }
        return updated.addingTimeInterval(Self.seconds(clock.now() - listedAt))
    }

    /// True when deleted (or already gone). A stale lease that cannot be
    /// deleted stays stale, so it is reported and ignored.
    private func deleteStale(_ lease: LeaseInfo) async throws -> Bool {
        do {
            try await delete(lease.poolID)
            report(.staleLeaseDeleted(lease))
            return true
        } catch let error as APIError {
            report(.staleLeaseNotDeleted(lease, error: error.description))
            return false
        }
    }

    private func delete(_ poolID: String) async throws {
        calls.record(.deleteSenderPool)
        do {
            _ = try await api.deleteSenderPool(id: poolID)
        } catch let error as APIError where error.isNotFound {
            // Already gone.
        }
    }

    /// Runs `body`; if it throws, deletes our lease first (even when the task
    /// is cancelled) so a failed acquisition leaves nothing behind.
    private func withCleanup<T: Sendable>(of ownID: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let lease = self
            _ = await Task { try? await lease.delete(ownID) }.value
            throw error
        }
    }

    static func wholeSeconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let whole = seconds + (attoseconds > 0 ? 1 : 0)
        return whole > Int64(Int.max) ? Int.max : Int(whole)
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

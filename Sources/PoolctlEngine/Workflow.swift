import PoolctlAPI
import PoolctlModel
import PoolctlPlan

/// The engine's one entry point: refresh and plan, check a saved plan, apply,
/// each with the API calls it made. The CLI and the end-to-end harness both
/// go through it.
///
/// It takes a `DesiredState`, not manifest paths: loading manifests prints
/// diagnostics, which is the caller's job, and the engine stays free of YAML.
public struct Workflow: Sendable {
    public var api: any CommsAPI
    /// The counter `api` records its calls into; a fresh one for an API that counts nothing.
    public var calls: CallCounter
    /// Pools read, and pools changed, at once.
    public var parallelism: Int
    /// Pools whose member lists are read at once during a refresh.
    public var refreshParallelism: Int?
    /// Pools an apply works on at once when requests are bounded elsewhere
    /// (the live client's scheduler): a pool waiting on an operation holds
    /// no request slot.
    public static let poolsAtOnce = 1024
    /// Bounds the whole apply.
    public var timeout: Duration
    /// Senders per Create or Add Senders request at most; nil for the API's 10,000.
    public var maxBatch: Int?
    /// Re-read every touched pool's members at the end (`--verify full`).
    public var verifyFull = false
    /// Called for each operation each poll of an apply sees.
    public var onOperationPoll: @Sendable (OperationPoll) -> Void = { _ in }
    public var clock: PoolctlClock
    /// Which pools the latest plan or saved-plan check saw owned: `apply`
    /// writes to no other pool (besides its creates and declared adopts).
    public let listedOwnership = ListedOwnership()

    public init(
        api: any CommsAPI, calls: CallCounter = CallCounter(), parallelism: Int = 16,
        timeout: Duration = ApplyOptions().timeout, clock: PoolctlClock = .system
    ) {
        self.api = api
        self.calls = calls
        self.parallelism = parallelism
        self.timeout = timeout
        self.clock = clock
    }

    /// A plan, the calls it took to read the live state, and the live leases
    /// of its stack (an apply in progress), seen in the same listing.
    public struct Planned: Sendable {
        public var plan: Plan
        public var calls: Int
        public var leases: [LeaseInfo] = []
    }

    /// Reads the live state the manifests need and diffs it against them.
    /// With a selection, members are read only for the selected keys' pools;
    /// a selected key the stack does not have throws `TargetingError` before
    /// any member is read. `allowDestructive` lifts the guard for this plan;
    /// `baseline` records the fingerprint of converged pools lacking one.
    ///
    /// A key the listing misses is a create only when a later listing shows
    /// that one of them skipped nothing (`PoolSightings`); `prior` holds
    /// listings already taken under the lease, which count as the first ones.
    /// When no listing can be shown complete, such a key is a conflict.
    public func plan(
        desired: DesiredState, selection: KeySelection = KeySelection(), allowDestructive: Bool = false,
        prior: PoolSightings = PoolSightings(), baseline: Bool = false
    ) async throws -> Planned {
        let before = calls.total
        let refresher = self.refresher
        let moves = Dictionary(
            desired.pools.compactMap { pool in pool.movedFrom.map { (pool.key, $0) } }, uniquingKeysWith: { first, _ in first })
        func resolveTargeting(_ pools: [SenderPool]) throws -> Targeting? {
            let owned = pools.compactMap { pool in Ownership(tags: pool.tags).flatMap { $0.stack == desired.stack ? $0.key : nil } }
            return try selection.resolve(declared: desired.pools.map(\.key), owned: owned, moves: moves)
        }
        // Whether the plan would create: a plan without members on either
        // side is enough to tell (whether a key has a pool does not depend on
        // senders), and it skips diffing every declared sender against none,
        // 0.15 s of a 5,000-pool plan before its first member read.
        let shapes = DesiredState(
            stack: desired.stack, prune: desired.prune,
            pools: desired.pools.map { pool in
                var shape = pool
                shape.senders = []
                shape.aliases = [:]
                return shape
            }, guardPolicy: desired.guardPolicy)
        let read = try await ConfirmedListing(api: api).read(prior: prior) { pools in
            // A selection this listing cannot resolve throws below, once the listings are done.
            let targeting: Targeting?
            do { targeting = try resolveTargeting(pools) } catch { return false }
            let shaped = Planner().plan(desired: shapes, live: Self.liveWithoutMembers(pools), targeting: targeting)
            // A create, or an adopt whose pool is gone (drift calls it missing), rests on absence.
            return shaped.changes.contains { $0.action == .create } || !shaped.missingAdoptions.isEmpty
        }
        let pools = read.pools
        listedOwnership.record(stack: desired.stack, pools: pools)
        let targeting = try resolveTargeting(pools)
        let included = { (key: String) in targeting?.includes(key) ?? true }
        let adopting = Set(desired.pools.filter { included($0.key) }.compactMap(\.adopt))
        let relevant = Refresher.relevant(pools, stack: desired.stack, adopting: adopting, including: included)
        let leases = LeaseInfo.liveLeases(of: desired.stack, in: pools, serverNow: (api as? ServerClock)?.estimatedServerTime())
        // Each pool is diffed as its members arrive: only the differences stay in memory.
        let planner = Planner(baseline: baseline, maxBatch: maxBatch ?? APIFormat.maxSendersPerRequest)
        let plan = try await planner.plan(
            desired: desired, listing: Self.liveWithoutMembers(pools), source: refresher.source(of: relevant.map(\.id)),
            targeting: targeting, allowDestructive: allowDestructive, absence: read.absence, confirmationCalls: read.confirmationCalls)
        return Planned(plan: plan, calls: calls.total - before, leases: leases)
    }

    static func liveWithoutMembers(_ pools: [SenderPool]) -> LiveState {
        LiveState(
            pools: pools.map { LivePool(id: $0.id, name: $0.name, tags: $0.tags, createdAt: $0.createdAt, updatedAt: $0.updatedAt) })
    }

    /// How `apply` holds the stack's lease (`--lock`, `--lock-timeout`, `--lock-ttl`).
    public struct LockSettings: Sendable {
        public var holder: LeaseHolder
        public var ttl: Duration
        public var timeout: Duration
        public init(holder: LeaseHolder, ttl: Duration = .seconds(120), timeout: Duration = .zero) {
            self.holder = holder
            self.ttl = ttl
            self.timeout = timeout
        }
    }

    /// Runs `body` while holding the stack's lease, from before its first read
    /// until after its last write, and releases it whether `body` succeeds or
    /// throws. `onHeld` receives the lease as soon as it is held, so that a
    /// signal handler can release it too. A release that finally fails does
    /// not change the outcome: it is reported (`.releaseFailed`, naming the
    /// lease, its expiry and `poolctl unlock`).
    public func withLease<T: Sendable>(
        stack: String, _ settings: LockSettings, report: @escaping @Sendable (LeaseEvent) -> Void = { _ in },
        onHeld: @Sendable (HeldLease) -> Void = { _ in }, _ body: (HeldLease) async throws -> T
    ) async throws -> T {
        let lease = try await StackLease(api: api, clock: clock, report: report)
            .acquire(stack: stack, holder: settings.holder, ttl: settings.ttl, lockTimeout: settings.timeout)
        onHeld(lease)
        func release() async {
            do {
                try await lease.release()
            } catch let failed as LeaseReleaseFailed {
                report(.releaseFailed(failed))
            } catch {
                report(
                    .releaseFailed(LeaseReleaseFailed(stack: stack, poolID: lease.poolID, expiresAt: lease.expiresAt, error: "\(error)")))
            }
        }
        do {
            let value = try await body(lease)
            await release()
            return value
        } catch {
            await release()
            throw error
        }
    }

    /// Whether a saved plan still holds, and the calls it took to find out.
    public struct SavedPlanCheck: Sendable {
        /// What changed since the plan was made, one sentence each, sorted.
        public var differences: [String]
        public var calls: Int
        public var isStale: Bool { !differences.isEmpty }
    }

    /// Re-reads every pool the plan depends on and compares it with the
    /// plan's fingerprints; also catches an owned pool that appeared under a
    /// key the plan would create. A key the plan creates must still have no
    /// pool, confirmed as in `plan` (`PoolSightings`; `prior` holds listings already taken under the lease), and a
    /// pool the plan depends on that one listing missed is looked for again
    /// before it is called gone.
    public func checkSavedPlan(_ plan: Plan, prior: PoolSightings = PoolSightings()) async throws -> SavedPlanCheck {
        let before = calls.total
        let adopting = Set(plan.changes.filter { $0.action == .adopt }.compactMap(\.poolID))
        let creates = plan.changes.contains { $0.action == .create }
        let depended = Set(plan.fingerprints.map(\.poolID))
        let read = try await ConfirmedListing(api: api).read(prior: prior) { pools in
            creates || !depended.isSubset(of: Set(pools.map(\.id)))
        }
        listedOwnership.record(stack: plan.stack, pools: read.pools)
        // A partial plan depends only on its own pools: read only their members.
        let targeting = plan.targeting
        let live = try await refresher.read(pools: read.pools, stack: plan.stack, adopting: adopting) { targeting?.includes($0) ?? true }
        var differences = StalePlanCheck.differences(plan: plan, live: live)
        if creates, case .unconfirmed(let why) = read.absence {
            for change in plan.changes where change.action == .create {
                differences.append("pool '\(change.key)' could not be confirmed to still have no pool: \(why)")
            }
            differences.sort()
        }
        return SavedPlanCheck(differences: differences, calls: calls.total - before)
    }

    /// Executes the plan. The report counts the calls apply made, by endpoint.
    /// A plan without changes makes no call; its report counts the calls
    /// this workflow made to find that out.
    public func apply(_ plan: Plan, lease: HeldLease? = nil, progress: @escaping @Sendable (ApplyEvent) -> Void = { _ in }) async
        -> ApplyReport
    {
        guard plan.hasChanges else {
            return ApplyReport(stack: plan.stack, pools: [], apiCalls: Self.byName(calls.calls), retries: calls.retries)
        }
        var options = ApplyOptions()
        options.parallelism = parallelism
        options.timeout = timeout
        options.maxBatch = maxBatch
        options.verifyFull = verifyFull
        options.operationPolled = onOperationPoll
        options.writablePoolIDs = listedOwnership.poolIDs(stack: plan.stack)
        if let lease {
            options.mayWrite = { try lease.ensureHeld() }
            options.ownOperations = lease.createOperations
            options.listLag = lease.listLag
        }
        let before = calls.calls
        let retriesBefore = calls.retries
        // Under a lease every write asks it first (expiry, deletion, a signal).
        let api: any CommsAPI = lease.map { LeaseGuardedAPI(base: self.api, lease: $0) } ?? self.api
        var report = await Applier(api: api, clock: clock, options: options, progress: progress).apply(plan)
        var made = calls.calls
        for (endpoint, count) in before { made[endpoint, default: 0] -= count }
        report.apiCalls = Self.byName(made)
        report.estimatedCalls = plan.estimate.total
        // The same span as apiCalls: apply's own, not the plan's or the lease's.
        report.retries = calls.retries - retriesBefore
        return report
    }

    var refresher: Refresher { Refresher(api: api, parallelism: refreshParallelism ?? parallelism) }

    /// Calls keyed by endpoint name (`POST /v1/SenderPools`), zeros left out.
    private static func byName(_ calls: [Endpoint: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: calls.filter { $0.value > 0 }.map { ($0.key.rawValue, $0.value) })
    }
}

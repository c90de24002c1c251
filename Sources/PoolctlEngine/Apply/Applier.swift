import Foundation
import PoolctlAPI
import PoolctlModel
import PoolctlPlan

/// Executes a plan: creates, patches and adds first, then removals, then
/// deletions, so a sender moving between pools never leaves service. It
/// never creates a duplicate: every create carries the ownership tag, and
/// when a create's outcome is unknown the tag is looked up before retrying.
public struct Applier: Sendable {
    public var api: any CommsAPI
    public var clock: PoolctlClock
    public var options: ApplyOptions
    public var progress: @Sendable (ApplyEvent) -> Void
    let batchLimit: BatchLimit

    public init(
        api: any CommsAPI, clock: PoolctlClock = .system, options: ApplyOptions = ApplyOptions(),
        progress: @escaping @Sendable (ApplyEvent) -> Void = { _ in }
    ) {
        self.api = api
        self.clock = clock
        self.options = options
        self.progress = progress
        self.batchLimit = BatchLimit(options.maxBatch)
    }

    public func apply(_ plan: Plan) async -> ApplyReport {
        let started = clock.now()
        let deadline = started + options.timeout
        let work = plan.changes.filter { $0.action.isChange }
        let tracker = ProgressTracker(total: work.count, emit: progress)
        let run = startRun(plan, tracker: tracker)
        let results = await runPhases(work, plan: plan, deadline: deadline, tracker: tracker, run: run)
        var final = work.map { change in
            results[Self.id(change)] ?? PoolResult(key: change.key, action: change.action, poolID: change.poolID)
        }
        // A refused write is failed already: nothing to verify.
        let refused = await run.permits.refused
        let lastListing = await verifyAll(work, &final, stack: plan.stack, refused: refused, deadline: deadline)
        Self.conclude(work, &final, refused: refused)
        await recordApplied(work, &final, listed: lastListing, deadline: deadline, permits: run.permits)
        let elapsed = clock.now() - started
        return ApplyReport(stack: plan.stack, pools: final, durationMS: Int(elapsed.inMilliseconds))
    }

    /// The operation watcher, the created-pool finder and the write permits one apply shares.
    private func startRun(_ plan: Plan, tracker: ProgressTracker) -> ApplyRun {
        let since = Self.operationsSince(api: api, clock: clock)
        let ledger = OperationLedger(started: options.ownOperations)
        let clock = self.clock
        let observe = options.operationPolled
        let watcher = OperationWatcher(
            api: api, clock: clock, since: since, useListing: options.pollByListing,
            report: { key, reference, status in
                Task {
                    await tracker.step(
                        key, "operation \(reference.id) is \(status); polling until it is COMPLETED, CANCELED or FAILED", added: 0,
                        removed: 0)
                }
            },
            observe: { poll in
                observe(poll)
                // When a list first showed each: how far behind the list may be.
                if poll.via == .listing {
                    let at = clock.now()
                    Task { await ledger.listed(poll.operationID, at: at) }
                }
            })
        let permits = WritePermits(options.writablePoolIDs ?? WritePermits.planned(plan))
        return ApplyRun(
            watcher: watcher, finder: CreatedPoolFinder(api: api, since: since), permits: permits,
            ledger: ledger, stack: plan.stack)
    }

    /// Phase 1: creates, patches and adds. Phase 2: removals. Phase 3:
    /// deletions. A sender moving between pools never leaves service.
    private func runPhases(
        _ work: [PoolChange], plan: Plan, deadline: Duration, tracker: ProgressTracker, run: ApplyRun
    ) async -> [String: PoolResult] {
        let first = work.filter { !$0.action.deletesPool }
        var results = await runPools(first, deadline: deadline, tracker: tracker, finishes: { $0.removeSenders.isEmpty }) {
            change, result in
            try await self.createOrUpdate(change, &result, deadline: deadline, tracker: tracker, run: run)
        }
        let removing = first.filter { !$0.removeSenders.isEmpty }
        let removed = await runPools(removing, deadline: deadline, tracker: tracker, prior: results, finishes: { _ in true }) {
            change, result in
            guard result.status == .converged, let poolID = result.poolID else { return }
            try await run.permits.check(
                poolID, call: "DELETE /v1/SenderPools/\(poolID)/Senders/{senderId}", change: Self.id(change))
            try await self.removeSenders(change, poolID: poolID, &result, deadline: deadline, tracker: tracker)
        }
        for (key, value) in removed { results[key] = value }
        let deletes = work.filter { $0.action.deletesPool }
        let deleted = await runPools(deletes, deadline: deadline, tracker: tracker, finishes: { _ in true }) { change, result in
            try await self.delete(change, stack: plan.stack, kept: Self.keptPool(of: change, in: plan), deadline: deadline, run: run)
        }
        for (key, value) in deleted { results[key] = value }
        return results
    }

    /// `startDate` for listing this run's operations: the server's time now
    /// (from the latest `Date` header) less a margin, or the local clock less
    /// a wider one when the server's time is unknown.
    static func operationsSince(api: any CommsAPI, clock: PoolctlClock) -> String {
        if let server = (api as? ServerClock)?.estimatedServerTime() {
            return WireTime.formatRFC3339(server.addingTimeInterval(-300))
        }
        return WireTime.formatRFC3339(clock.date.addingTimeInterval(-900))
    }

    /// What one apply shares across its pools: the operation poller and the
    /// batched lookup of created pools.
    struct ApplyRun: Sendable {
        let watcher: OperationWatcher
        let finder: CreatedPoolFinder
        let permits: WritePermits
        let ledger: OperationLedger
        /// The plan's stack, whose ownership adopts and moves confirm.
        let stack: String
    }

    /// The pool a duplicate repair keeps: the key's declared change on
    /// another pool (nil when the plan has none, e.g. a conflict).
    static func keptPool(of change: PoolChange, in plan: Plan) -> String? {
        guard change.action == .deleteDuplicate else { return nil }
        return plan.changes.first { $0.key == change.key && !$0.action.deletesPool && $0.poolID != nil }?.poolID
    }

    static func id(_ change: PoolChange) -> String { change.key + "\u{0}" + (change.poolID ?? "") }

}

import Foundation
import PoolctlAPI
import PoolctlModel
import PoolctlPlan

public struct ApplyOptions: Sendable {
    /// Pools in flight at once. Work on one pool is always sequential.
    public var parallelism: Int = 8
    /// The whole apply.
    public var timeout: Duration = .seconds(15 * 60)
    /// How often a 409 (someone else's operation on the pool) is waited out.
    public var conflictRetries: Int = 10
    /// How often a create or Add Senders whose outcome is unknown is retried
    /// after checking that it did not happen. Each retry follows a fresh
    /// look, so more cost calls, never duplicates: 8 makes giving up under
    /// 20% unknown outcomes (10% 5xx, 10% resets) a one-in-a-million event.
    public var createRetries: Int = 8
    /// Senders per Create or Add Senders request at most (`--max-batch`);
    /// nil for the documented 10,000. Halved further on a 400.
    public var maxBatch: Int?
    /// How long verification re-reads a pool that is not converged yet,
    /// for APIs whose writes or listings show a change a moment later.
    public var settleBudget: Duration = .seconds(4)
    /// Re-read every touched pool's members (`--verify full`) even when
    /// the operations' stats already account for every sender.
    public var verifyFull = false
    /// Removals from one pool in flight at once.
    public var removalsAtOnce = 32
    /// Poll rounds list this run's operations (one call per 1,000); false
    /// fetches each operation on its own.
    public var pollByListing = true
    /// Called before each pool's work starts; throws when apply must stop
    /// writing (the stack lease was lost).
    public var mayWrite: @Sendable () throws -> Void = {}
    /// Called for each operation each poll sees (`--log-format ndjson`).
    public var operationPolled: @Sendable (OperationPoll) -> Void = { _ in }
    /// The pools the listing taken under the lease showed carrying the
    /// stack's ownership: apply writes to no other pool, besides the pools it
    /// creates and a declared adopt's target. Nil: the pools the plan's
    /// changes name (a caller without a listing of its own).
    public var writablePoolIDs: Set<String>?

    public init() {}
}

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
        let since = Self.operationsSince(api: api, clock: clock)
        let watcher = OperationWatcher(
            api: api, clock: clock, since: since, useListing: options.pollByListing,
            report: { key, reference, status in
                Task {
                    await tracker.step(
                        key, "operation \(reference.id) is \(status); polling until it is COMPLETED, CANCELED or FAILED", added: 0,
                        removed: 0)
                }
            }, observe: options.operationPolled)
        let permits = WritePermits(options.writablePoolIDs ?? WritePermits.planned(plan))
        let run = ApplyRun(watcher: watcher, finder: CreatedPoolFinder(api: api, since: since), permits: permits)

        // Phase 1: creates, patches and adds. Phase 2: removals. Phase 3: deletions.
        let first = work.filter { !$0.action.deletesPool }
        var results = await runPools(first, deadline: deadline, tracker: tracker, finishes: { $0.removeSenders.isEmpty }) {
            change, result in
            try await self.createOrUpdate(change, &result, deadline: deadline, tracker: tracker, run: run)
        }
        let removing = first.filter { !$0.removeSenders.isEmpty }
        let removed = await runPools(removing, deadline: deadline, tracker: tracker, prior: results, finishes: { _ in true }) {
            change, result in
            guard result.status == .converged, let poolID = result.poolID else { return }
            try await permits.check(
                poolID, call: "DELETE /v1/SenderPools/\(poolID)/Senders/{senderId}", change: Self.id(change))
            try await self.removeSenders(change, poolID: poolID, &result, deadline: deadline, tracker: tracker)
        }
        for (key, value) in removed { results[key] = value }
        let deletes = work.filter { $0.action.deletesPool }
        let deleted = await runPools(deletes, deadline: deadline, tracker: tracker, finishes: { _ in true }) { change, result in
            try await self.delete(change, stack: plan.stack, kept: Self.keptPool(of: change, in: plan), deadline: deadline, run: run)
        }
        for (key, value) in deleted { results[key] = value }

        // Verify: re-read every touched pool and compare with the plan. One
        // listing of all pools (1 call per 1,000) replaces a fetch per pool.
        // The live state decides: a step may have failed yet its effect
        // landed (a lost response), or the other way round.
        var final = work.map { change in
            results[Self.id(change)] ?? PoolResult(key: change.key, action: change.action, poolID: change.poolID)
        }
        // A refused write is failed already: nothing to verify.
        let refused = await permits.refused
        var doubt = Array(final.indices.filter { final[$0].status != .skipped && refused[Self.id(work[$0])] == nil })
        var lastListing: [String: SenderPool] = [:]
        _ = await settle(deadline: deadline) {
            guard !doubt.isEmpty else { return true }
            let listed = try? await PoolListing.read(api).pools
            let livePools = listed.map { Dictionary($0.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }) }
            for (id, pool) in livePools ?? [:] { lastListing[id] = pool }
            let carriers = Self.ownershipCarriers(listed ?? [], stack: plan.stack)
            for index in doubt {
                // A create that sent nothing after its operation is found here, by its ownership tag.
                if final[index].poolID == nil, work[index].action == .create, let ids = carriers[work[index].key], ids.count == 1 {
                    final[index].poolID = ids[0]
                }
                let membersProven = !options.verifyFull && Self.operationsProveMembers(work[index], final[index])
                var remaining = await verify(work[index], poolID: final[index].poolID, livePools: livePools, readMembers: !membersProven)
                // Never call a key converged while another live pool carries its ownership.
                if !work[index].action.deletesPool, listed != nil {
                    let ids = carriers[work[index].key] ?? []
                    if ids.count > 1 {
                        remaining.append(
                            "\(ids.count) live pools carry its ownership (\(ids.joined(separator: ", "))); the next plan repairs the duplicates"
                        )
                    }
                }
                final[index].remaining = remaining
            }
            doubt = doubt.filter { !final[$0].remaining.isEmpty }
            return doubt.isEmpty
        }
        for index in final.indices where final[index].status != .skipped {
            // A refused write stays failed, whatever the pool looks like now.
            if let refusal = refused[Self.id(work[index])] {
                final[index].status = .failed
                final[index].error = refusal
            } else if final[index].remaining.isEmpty {
                final[index].status = .converged
                final[index].error = nil
            } else {
                final[index].status = .failed
                if let kept = Self.keptTags(work[index], remaining: final[index].remaining) {
                    final[index].error = kept
                }
            }
        }
        await recordApplied(work, &final, listed: lastListing, deadline: deadline, permits: permits)
        let elapsed = clock.now() - started
        return ApplyReport(stack: plan.stack, pools: final, durationMS: Int(elapsed.inMilliseconds))
    }

    /// `startDate` for listing this run's operations: the server's time now
    /// (from the latest `Date` header) less a margin, or the local clock less
    /// a wider one when the server's time is unknown.
    static func operationsSince(api: any CommsAPI, clock: PoolctlClock) -> String {
        if let server = (api as? ServerClock)?.estimatedServerTime() {
            return APITimestamp.formatRFC3339(server.addingTimeInterval(-300))
        }
        return APITimestamp.formatRFC3339(clock.date.addingTimeInterval(-900))
    }

    /// Writes and listings may show a change a moment later: runs `round`
    /// (one re-read; true when nothing is left in doubt) again after 250 ms,
    /// then twice as long each time, within the settle budget and the
    /// deadline. Returns how long it waited.
    func settle(deadline: Duration, _ round: () async -> Bool) async -> Duration {
        var wait = Duration.milliseconds(250)
        var settled = Duration.zero
        while !(await round()) {
            if settled + wait > options.settleBudget || clock.now() + wait > deadline { break }
            try? await clock.sleep(wait)
            settled += wait
            wait = wait * 2
        }
        return settled
    }

    /// What one apply shares across its pools: the operation poller and the
    /// batched lookup of created pools.
    struct ApplyRun: Sendable {
        let watcher: OperationWatcher
        let finder: CreatedPoolFinder
        let permits: WritePermits
    }

    /// The pool a duplicate repair keeps: the key's declared change on
    /// another pool (nil when the plan has none, e.g. a conflict).
    static func keptPool(of change: PoolChange, in plan: Plan) -> String? {
        guard change.action == .deleteDuplicate else { return nil }
        return plan.changes.first { $0.key == change.key && !$0.action.deletesPool && $0.poolID != nil }?.poolID
    }

    static func id(_ change: PoolChange) -> String { change.key + "\u{0}" + (change.poolID ?? "") }

    /// Runs `body` for each change, `parallelism` pools at a time, each
    /// pool's steps in order. Errors end that pool only.
    private func runPools(
        _ changes: [PoolChange], deadline: Duration, tracker: ProgressTracker, prior: [String: PoolResult] = [:],
        finishes: @escaping @Sendable (PoolChange) -> Bool,
        body: @escaping @Sendable (PoolChange, inout PoolResult) async throws -> Void
    ) async -> [String: PoolResult] {
        var results: [String: PoolResult] = [:]
        let clock = self.clock
        let mayWrite = options.mayWrite
        await withTaskGroup(of: (String, PoolResult).self) { group in
            var pending = changes.makeIterator()
            func task(_ change: PoolChange) -> @Sendable () async -> (String, PoolResult) {
                let start = prior[Self.id(change)] ?? PoolResult(key: change.key, action: change.action, poolID: change.poolID)
                return {
                    var result = start
                    let began = clock.now()
                    if began > deadline {
                        result.status = .skipped
                        result.error = "not started: the apply timeout passed"
                        return (Self.id(change), result)
                    }
                    do {
                        try mayWrite()
                    } catch {
                        result.status = .skipped
                        result.error = "not started: \(error)"
                        return (Self.id(change), result)
                    }
                    do {
                        try await body(change, &result)
                    } catch {
                        result.status = .failed
                        result.error = String(describing: error)
                    }
                    result.durationMS += Int((clock.now() - began).inMilliseconds)
                    if finishes(change) || result.status != .converged {
                        await tracker.poolFinished(change.key, result)
                    }
                    return (Self.id(change), result)
                }
            }
            for _ in 0..<max(1, options.parallelism) {
                guard let change = pending.next() else { break }
                group.addTask(operation: task(change))
            }
            while let (id, result) = await group.next() {
                results[id] = result
                if let change = pending.next() { group.addTask(operation: task(change)) }
            }
        }
        return results
    }

    // MARK: - Steps

    private func createOrUpdate(
        _ change: PoolChange, _ result: inout PoolResult, deadline: Duration, tracker: ProgressTracker, run: ApplyRun
    ) async throws {
        var poolID = change.poolID
        var toAdd = change.addSenders.map(\.id)
        if change.action == .create {
            let created = try await create(change, senders: toAdd, &result, deadline: deadline, tracker: tracker, run: run)
            poolID = created.poolID
            result.poolID = created.poolID
            // Found by its ownership tag: this run's pool.
            if let id = created.poolID { await run.permits.allow(id) }
            if let outcome = created.operation {
                result.operations.append(outcome)
                result.sendersAdded += outcome.created
                if outcome.status != OperationStatus.completed.rawValue || outcome.failed > 0 {
                    result.status = .failed
                    result.error =
                        "create operation \(outcome.id) ended \(outcome.status) with \(outcome.failed) of \(outcome.total) senders failed"
                }
            }
            toAdd.removeAll { created.members.contains($0) }
            await tracker.step(change.key, "created" + (created.poolID.map { " \($0)" } ?? ""), added: result.sendersAdded, removed: 0)
        } else if change.patchesPool, let id = poolID {
            if change.action == .adopt {
                // The tagging PATCH of a declared adopt; the pool is ours from here on.
                await run.permits.allow(id)
            } else {
                try await run.permits.check(id, call: "PATCH /v1/SenderPools/\(id)", change: Self.id(change))
            }
            try await withConflictRetry(deadline: deadline) {
                _ = try await api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: change.name.after, tags: change.desiredTags))
            }
            let message: String
            switch change.action {
            case .adopt: message = "adopted \(id)"
            // From here on the pool carries the new key's ownership, which verification looks for.
            case .move: message = "moved \(id) from '\(change.movedFrom ?? "?")'"
            default: message = "updated name/tags of \(id)"
            }
            await tracker.step(change.key, message, added: 0, removed: 0)
        }
        guard let id = poolID else { return }
        if !toAdd.isEmpty {
            try await run.permits.check(id, call: "POST /v1/SenderPools/\(id)/Senders", change: Self.id(change))
        }
        var pending = toAdd[...]
        while !pending.isEmpty {
            let batch = Array(pending.prefix(batchLimit.current))
            guard let sent = try await addBatch(batch, to: id, deadline: deadline) else {
                // A lost response whose write landed: nothing left of this batch.
                pending = pending.dropFirst(batch.count)
                await tracker.step(change.key, "senders already added to \(id)", added: 0, removed: 0)
                continue
            }
            pending = pending.dropFirst(sent.consumed)
            let outcome = try await poll(sent.operation, kind: .addSenders, key: change.key, deadline: deadline, run: run)
            result.operations.append(outcome)
            result.sendersAdded += outcome.created
            await tracker.step(change.key, "added \(outcome.created) of \(sent.sent) senders to \(id)", added: outcome.created, removed: 0)
            if outcome.status != OperationStatus.completed.rawValue || outcome.failed > 0 {
                result.status = .failed
                result.error =
                    "add-senders operation \(outcome.id) ended \(outcome.status) with \(outcome.failed) of \(outcome.total) senders failed"
            }
        }
    }

    /// Adds the first senders of `batch` (as many as the API takes) and
    /// returns the operation and how many were sent. A 400 on a batch means it
    /// was not processed: halve it and keep the smaller size for the rest of
    /// the run. When the POST's outcome is unknown, the members are re-read
    /// and only the missing ones are sent again (nil when none are missing),
    /// so nothing is added twice blindly and nothing is lost.
    private func addBatch(_ batch: [String], to poolID: String, deadline: Duration) async throws -> (
        operation: OperationReference, consumed: Int, sent: Int
    )? {
        var pending = batch
        // How many of `batch`, from its start, this call covers.
        var consumed = batch.count
        var attempts = 0
        while true {
            attempts += 1
            do {
                let accepted = try await withConflictRetry(deadline: deadline) {
                    try await api.addSenders(poolID: poolID, senderIDs: pending)
                }
                guard let reference = OperationReference(accepted, poolID: poolID) else {
                    throw APIError(
                        kind: .invalidResponse, method: "POST", path: "/v1/SenderPools/\(poolID)/Senders",
                        message: "the response named no operation")
                }
                return (reference, consumed, pending.count)
            } catch let error as APIError where error.kind == .http && error.status == 400 && consumed > 1 {
                consumed = batchLimit.halve(from: consumed)
                pending = Array(batch.prefix(consumed))
            } catch let error as APIError where error.kind == .outcomeUnknown {
                if attempts > options.createRetries || clock.now() > deadline { throw error }
                // If the lost request did start an operation, wait for it to settle (409s) before looking.
                let members = try await withConflictRetry(deadline: deadline) {
                    Set(try await api.allPoolSenders(poolID: poolID).collect().map(\.id))
                }
                pending = batch.prefix(consumed).filter { !members.contains($0) }
                if pending.isEmpty { return nil }
            }
        }
    }

    /// What a create left: the pool, its operation's outcome (nil when an
    /// earlier attempt was recovered), and the senders it already holds.
    struct Created {
        /// Nil when nothing more is sent to the pool: the verification
        /// listing finds it by its ownership tag, so no call is spent here.
        var poolID: String?
        var operation: OperationResult?
        var members: Set<String>
    }

    /// Creates the pool with as many senders inline as the API takes, polls
    /// the operation, then finds the pool; or finds the pool when a create's
    /// outcome was unknown. Never creates a duplicate: a retry happens only
    /// after a definite "not processed" (400) or after looking for the pool.
    private func create(
        _ change: PoolChange, senders: [String], _ result: inout PoolResult, deadline: Duration, tracker: ProgressTracker,
        run: ApplyRun
    ) async throws -> Created {
        guard let ownership = change.desiredTags[Ownership.tagKey].flatMap(Ownership.init(tagValue:)) else {
            throw APIError(kind: .invalidConfiguration, message: "the plan's create for '\(change.key)' carries no ownership tag")
        }
        var inline = Array(senders.prefix(batchLimit.current))
        var attempts = 0
        while true {
            attempts += 1
            let request = CreateSenderPoolRequest(
                name: change.name.after, tags: change.desiredTags,
                senders: inline.isEmpty ? nil : inline.map(SenderReference.init(senderId:)))
            do {
                let accepted = try await api.createSenderPool(request)
                guard let reference = OperationReference(accepted, poolID: nil) else {
                    throw APIError(
                        kind: .invalidResponse, method: "POST", path: "/v1/SenderPools", message: "the response named no operation")
                }
                // Poll first: an API may show the pool only once its operation completes.
                let outcome = try await poll(reference, kind: .create, key: change.key, deadline: deadline, run: run)
                guard inline.count < senders.count else {
                    return Created(poolID: nil, operation: outcome, members: Set(inline))
                }
                // More senders follow in Add Senders calls, which need the id now.
                let id = try await findCreated(operationID: reference.id, ownership: ownership, deadline: deadline, finder: run.finder)
                return Created(poolID: id, operation: outcome, members: Set(inline))
            } catch let error as APIError where error.kind == .http && error.status == 400 && inline.count > 1 {
                // Not processed, so no pool was made: retry with a smaller batch.
                inline = Array(inline.prefix(batchLimit.halve(from: inline.count)))
            } catch let error as APIError where error.kind == .outcomeUnknown {
                // The create may have happened: look before trying again.
                switch try await lookAfterUnknownCreate(ownership, deadline: deadline) {
                case .found(let existing):
                    let members = try await api.allPoolSenders(poolID: existing.id).collect()
                    return Created(poolID: existing.id, operation: nil, members: Set(members.map(\.id)))
                case .absent:
                    if attempts > options.createRetries || clock.now() > deadline { throw error }
                case .unconfirmed:
                    // Never create a second pool for the key on a guess: the next plan sees it.
                    throw error
                }
            }
        }
    }

    /// The pool a create made: by the `operationId` filter, which is how the
    /// API documents it, and by the ownership tag as a fallback. Retried with
    /// backoff, since a listing may show a write a moment after it happened.
    private func findCreated(
        operationID: String, ownership: Ownership, deadline: Duration, finder: CreatedPoolFinder
    ) async throws -> String {
        for attempt in 0..<3 {
            if let id = await finder.find(ownership) { return id }
            try await clock.sleep(.milliseconds(200 << attempt))
        }
        // The batch listing did not show it: ask by operation, then by tag.
        // The API may ignore the filter: only a pool carrying this create's ownership tag counts.
        let page = try await api.listSenderPools(SenderPoolQuery(operationId: operationID, pageSize: 1000))
        if let pool = page.items.first(where: { Ownership(tags: $0.tags)?.identity == ownership.identity }) { return pool.id }
        if let pool = try await findOwned(ownership) { return pool.id }
        throw APIError(
            kind: .invalidResponse, method: "GET", path: "/v1/SenderPools?operationId=\(operationID)",
            message: "no pool was found for create operation \(operationID)")
    }

    enum Lookup {
        case found(SenderPool)
        /// Listings all missed it over the settle window, and one was shown to have skipped nothing.
        case absent
        /// Missed, but no listing could be shown to have skipped nothing.
        case unconfirmed
    }

    /// After a create whose outcome is unknown: the pool may exist and yet
    /// not be listed for a moment (an API that shows a pool once its
    /// operation completes, or whose lists lag). A single look would then
    /// create a duplicate, so listings are read with backoff for
    /// `settleBudget` (250 ms, then doubling), each with other page
    /// boundaries than the one before, and the key counts as having no pool
    /// only when they all missed it and their boundaries differ
    /// (`PoolSightings.confirmsAbsence`). Costs nothing unless an outcome
    /// was unknown.
    func lookAfterUnknownCreate(_ ownership: Ownership, deadline: Duration) async throws -> Lookup {
        var sightings = PoolSightings()
        var wait = Duration.milliseconds(250)
        var waited = Duration.zero
        while true {
            let pageSize = sightings.listings.isEmpty ? APIFormat.maxPageSize : sightings.nextPageSize
            let listing = try await PoolListing.read(api, pageSize: pageSize)
            if let pool = listing.pools.first(where: { Ownership(tags: $0.tags)?.identity == ownership.identity }) {
                return .found(pool)
            }
            sightings.add(listing)
            if waited + wait > options.settleBudget || clock.now() + wait > deadline {
                if sightings.confirmsAbsence { return .absent }
                // Settled, but pages shifted under other writes: more listings, at once, while they can still confirm.
                if !sightings.mayConfirmWithMoreListings || clock.now() > deadline { return .unconfirmed }
                continue
            }
            try await clock.sleep(wait)
            waited += wait
            wait = wait * 2
        }
    }

    private func findOwned(_ ownership: Ownership) async throws -> SenderPool? {
        try await PoolListing.read(api).pools.first { Ownership(tags: $0.tags)?.identity == ownership.identity }
    }

    /// Remove Sender is not an operation, so one pool's removals run at
    /// once, bounded here and by the client's request slots.
    private func removeSenders(
        _ change: PoolChange, poolID: String, _ result: inout PoolResult, deadline: Duration, tracker: ProgressTracker
    ) async throws {
        let api = self.api
        let clock = self.clock
        var removed = 0
        var firstError: (any Error)?
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var pending = change.removeSenders.makeIterator()
            func next() -> Bool {
                guard let member = pending.next() else { return false }
                group.addTask {
                    if clock.now() > deadline { return false }
                    do {
                        _ = try await self.withConflictRetry(deadline: deadline) {
                            try await api.removeSender(poolID: poolID, senderID: member.id)
                        }
                    } catch let error as APIError where error.isNotFound {
                        // Already gone: the goal is reached.
                    }
                    return true
                }
                return true
            }
            for _ in 0..<options.removalsAtOnce where next() {}
            while let outcome = await group.nextResult() {
                switch outcome {
                case .success(true): removed += 1
                case .success(false): break
                case .failure(let error): if firstError == nil { firstError = error }
                }
                if firstError == nil { _ = next() }
            }
        }
        result.sendersRemoved += removed
        await tracker.step(change.key, "removed \(removed) senders from \(poolID)", added: 0, removed: removed)
        if let firstError { throw firstError }
        if removed < change.removeSenders.count {
            throw APIError(
                kind: .deadlineExceeded,
                message: "the apply timeout passed after removing \(removed) of \(change.removeSenders.count) senders")
        }
    }

    /// Deletes a pool only if a read by id, just before the DELETE, shows
    /// it still carrying this stack's ownership of the change's key (and,
    /// for a duplicate, shows the kept pool, another id, still alive and
    /// owned the same way). A pool already gone is converged.
    private func delete(_ change: PoolChange, stack: String, kept: String?, deadline: Duration, run: ApplyRun) async throws {
        guard let id = change.poolID else { return }
        let changeID = Self.id(change)
        let call = "DELETE /v1/SenderPools/\(id)"
        try await run.permits.check(id, call: call, change: changeID)
        let expected = Ownership(stack: stack, key: change.key)
        func refuse(_ reason: String) async -> WriteRefused {
            await run.permits.refuse(changeID, WriteRefused(call: call, poolID: id, reason: reason))
        }
        let current: SenderPool
        do {
            current = try await api.fetchSenderPool(id: id)
        } catch let error as APIError where error.isNotFound {
            return  // Already deleted.
        }
        let ownership = Ownership(tags: current.tags)
        guard let ownership, ownership.identity == expected.identity else {
            throw await refuse(
                "GET /v1/SenderPools/\(id) just before it shows \(ownership.map { "the ownership of '\($0.stack)/\($0.key)'" } ?? "no poolctl ownership tag"), not '\(stack)/\(change.key)'"
            )
        }
        if change.action == .delete, ownership.protected {
            throw await refuse("GET /v1/SenderPools/\(id) just before it shows the pool protected since the plan was made")
        }
        if change.action == .deleteDuplicate {
            guard let kept, kept != id else {
                throw await refuse("the plan names no other pool to keep for '\(change.key)'")
            }
            do {
                let keptPool = try await api.fetchSenderPool(id: kept)
                guard Ownership(tags: keptPool.tags)?.identity == expected.identity else {
                    throw await refuse(
                        "GET /v1/SenderPools/\(kept) shows the pool to keep no longer carrying the ownership of '\(change.key)'")
                }
            } catch let error as APIError where error.isNotFound {
                throw await refuse("GET /v1/SenderPools/\(kept) shows the pool to keep no longer exists")
            }
        }
        do {
            _ = try await withConflictRetry(deadline: deadline) { try await api.deleteSenderPool(id: id) }
        } catch let error as APIError where error.isNotFound {
            // Already deleted.
        }
    }

    /// Waits out someone else's operation on the pool (409), a bounded number of times.
    func withConflictRetry<T: Sendable>(deadline: Duration, _ body: () async throws -> T) async throws -> T {
        var wait = Duration.milliseconds(250)
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as APIError where error.isConflict {
                attempt += 1
                if attempt > options.conflictRetries || clock.now() + wait > deadline { throw error }
                try await clock.sleep(wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }

    private func poll(
        _ reference: OperationReference, kind: OperationResult.Kind, key: String, deadline: Duration, run: ApplyRun
    ) async throws -> OperationResult {
        let watched = try await run.watcher.wait(for: reference, key: key, deadline: deadline)
        let operation = watched.operation
        return OperationResult(
            id: operation.id, kind: kind, status: operation.status.rawValue, total: operation.stats.total,
            created: operation.stats.created, failed: operation.stats.failed, polls: watched.polls)
    }

}

/// Counts finished pools and senders for progress lines.
actor ProgressTracker {
    let total: Int
    let emit: @Sendable (ApplyEvent) -> Void
    var done = 0
    var added = 0
    var removed = 0

    init(total: Int, emit: @escaping @Sendable (ApplyEvent) -> Void) {
        self.total = total
        self.emit = emit
    }

    func step(_ key: String, _ message: String, added: Int, removed: Int) {
        self.added += added
        self.removed += removed
        emit(
            ApplyEvent(
                key: key, message: message, poolsDone: done, poolsTotal: total, sendersAdded: self.added, sendersRemoved: self.removed))
    }

    func poolFinished(_ key: String, _ result: PoolResult) {
        done += 1
        let message: String
        switch result.status {
        case .converged: message = result.action.deletesPool ? "deleted \(result.poolID ?? "")" : "done"
        case .failed: message = "failed: \(result.error ?? "differences remain")"
        case .skipped: message = "skipped: \(result.error ?? "")"
        }
        emit(ApplyEvent(key: key, message: message, poolsDone: done, poolsTotal: total, sendersAdded: added, sendersRemoved: removed))
    }
}

import PoolctlAPI
import PoolctlModel
import PoolctlPlan

extension Applier {
    /// One pool's first phase: create it, or patch its name and tags, then add its senders.
    func createOrUpdate(
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
            if let outcome = created.operation { Self.record(outcome, of: "create", in: &result) }
            toAdd.removeAll { created.members.contains($0) }
            await tracker.step(change.key, "created" + (created.poolID.map { " \($0)" } ?? ""), added: result.sendersAdded, removed: 0)
        } else if change.patchesPool, let id = poolID {
            try await patch(change, poolID: id, deadline: deadline, tracker: tracker, run: run)
        }
        guard let id = poolID else { return }
        try await addSenders(toAdd, change, poolID: id, &result, deadline: deadline, tracker: tracker, run: run)
    }

    /// A finished operation's senders, and the pool's failure when it did not complete cleanly.
    static func record(_ outcome: OperationResult, of kind: String, in result: inout PoolResult) {
        result.operations.append(outcome)
        result.sendersAdded += outcome.created
        if outcome.status != OperationStatus.completed.rawValue || outcome.failed > 0 {
            result.status = .failed
            result.error =
                "\(kind) operation \(outcome.id) ended \(outcome.status) with \(outcome.failed) of \(outcome.total) senders failed"
        }
    }

    /// The PATCH of a rename, retag, adopt or move.
    func patch(_ change: PoolChange, poolID id: String, deadline: Duration, tracker: ProgressTracker, run: ApplyRun) async throws {
        if change.action == .adopt {
            try await confirmRetag(change, poolID: id, stack: run.stack, run: run)
            // The tagging PATCH of a declared adopt; the pool is ours from here on.
            await run.permits.allow(id)
        } else {
            try await run.permits.check(id, call: "PATCH /v1/SenderPools/\(id)", change: Self.id(change))
            if change.action == .move { try await confirmRetag(change, poolID: id, stack: run.stack, run: run) }
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

    /// Add Senders in batches of the current batch limit, polling each operation.
    func addSenders(
        _ toAdd: [String], _ change: PoolChange, poolID id: String, _ result: inout PoolResult, deadline: Duration,
        tracker: ProgressTracker, run: ApplyRun
    ) async throws {
        if !toAdd.isEmpty {
            try await run.permits.check(id, call: "POST /v1/SenderPools/\(id)/Senders", change: Self.id(change))
        }
        var pending = toAdd[...]
        while !pending.isEmpty {
            let batch = Array(pending.prefix(batchLimit.current))
            let sentAt = clock.now()
            guard let sent = try await addBatch(batch, to: id, deadline: deadline) else {
                // A lost response whose write landed: nothing left of this batch.
                pending = pending.dropFirst(batch.count)
                await tracker.step(change.key, "senders already added to \(id)", added: 0, removed: 0)
                continue
            }
            await run.ledger.record(sent.operation.id, sentAt: sentAt)
            pending = pending.dropFirst(sent.consumed)
            let outcome = try await poll(sent.operation, kind: .addSenders, key: change.key, deadline: deadline, run: run, into: &result)
            Self.record(outcome, of: "add-senders", in: &result)
            await tracker.step(change.key, "added \(outcome.created) of \(sent.sent) senders to \(id)", added: outcome.created, removed: 0)
        }
    }

    /// Adds the first senders of `batch` (as many as the API takes) and
    /// returns the operation and how many were sent. A 400 on a batch means it
    /// was not processed: halve it and keep the smaller size for the rest of
    /// the run. When the POST's outcome is unknown, the members are re-read
    /// and only the missing ones are sent again (nil when none are missing),
    /// so nothing is added twice blindly and nothing is lost.
    func addBatch(_ batch: [String], to poolID: String, deadline: Duration) async throws -> (
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
    func create(
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
            let sentAt = clock.now()
            do {
                let accepted = try await api.createSenderPool(request)
                guard let reference = OperationReference(accepted, poolID: nil) else {
                    throw APIError(
                        kind: .invalidResponse, method: "POST", path: "/v1/SenderPools", message: "the response named no operation")
                }
                await run.ledger.record(reference.id, sentAt: sentAt)
                // Poll first: an API may show the pool only once its operation completes.
                let outcome = try await poll(reference, kind: .create, key: change.key, deadline: deadline, run: run, into: &result)
                guard inline.count < senders.count else {
                    return Created(poolID: nil, operation: outcome, members: Set(inline))
                }
                // More senders follow in Add Senders calls, which need the id now.
                do {
                    let id = try await findCreated(
                        operationID: reference.id, ownership: ownership, deadline: deadline, finder: run.finder)
                    return Created(poolID: id, operation: outcome, members: Set(inline))
                } catch {
                    // The report says what the operation did, found pool or not.
                    Self.record(outcome, of: "create", in: &result)
                    throw error
                }
            } catch let error as APIError where error.kind == .http && error.status == 400 && inline.count > 1 {
                // Not processed, so no pool was made: retry with a smaller batch.
                inline = Array(inline.prefix(batchLimit.halve(from: inline.count)))
            } catch let error as APIError where error.kind == .outcomeUnknown {
                // The create may have happened: look before trying again.
                switch try await lookAfterUnknownCreate(ownership, senders: inline.count, sent: sentAt, deadline: deadline, run: run) {
                case .found(let existing):
                    let members = Set(try await api.allPoolSenders(poolID: existing.id).collect().map(\.id))
                    // The pool is this run's, so the declared senders it holds are this run's adds.
                    result.sendersAdded += senders.filter(members.contains).count
                    return Created(poolID: existing.id, operation: nil, members: members)
                case .absent:
                    if attempts > options.createRetries || clock.now() > deadline { throw error }
                case .unconfirmed(let reason):
                    // Never create a second pool for the key on a guess: the next plan sees it.
                    throw Self.notRepeated(error, because: reason)
                }
            }
        }
    }

    /// The pool a create made: by the `operationId` filter, which is how the
    /// API documents it, and by the ownership tag as a fallback. Retried with
    /// backoff, since a listing may show a write a moment after it happened.
    func findCreated(
        operationID: String, ownership: Ownership, deadline: Duration, finder: CreatedPoolFinder
    ) async throws -> String {
        var waits = Backoff(initial: .milliseconds(200), cap: .milliseconds(800)).waits()
        // Three reads, or as long as the lists were measured to lag.
        let patience = clock.now() + (options.listLag == nil ? .zero : options.settleWindow)
        var reads = 0
        while reads < 3 || (clock.now() + waits.scheduled <= patience && clock.now() + waits.scheduled <= deadline) {
            if let id = await finder.find(ownership) { return id }
            reads += 1
            try await clock.sleep(waits.next())
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

    func findOwned(_ ownership: Ownership) async throws -> SenderPool? {
        try await PoolListing.read(api).pools.first { Ownership(tags: $0.tags)?.identity == ownership.identity }
    }

    /// An operation's end. A wait cut short (deadline, lost lease, signal)
    /// still leaves the operation in `result`, as last seen, then throws.
    func poll(
        _ reference: OperationReference, kind: OperationResult.Kind, key: String, deadline: Duration, run: ApplyRun,
        into result: inout PoolResult
    ) async throws -> OperationResult {
        let watched: WatchedOperation
        do {
            watched = try await run.watcher.wait(for: reference, key: key, deadline: deadline)
        } catch {
            if let seen = await run.watcher.seen(reference.id) { result.operations.append(Self.result(of: seen, kind: kind)) }
            throw error
        }
        return Self.result(of: watched, kind: kind)
    }

    static func result(of watched: WatchedOperation, kind: OperationResult.Kind) -> OperationResult {
        let operation = watched.operation
        return OperationResult(
            id: operation.id, kind: kind, status: operation.status.rawValue, total: operation.stats.total,
            created: operation.stats.created, failed: operation.stats.failed, polls: watched.polls)
    }
}

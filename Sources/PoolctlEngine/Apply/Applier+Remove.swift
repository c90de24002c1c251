import PoolctlAPI
import PoolctlModel
import PoolctlPlan

extension Applier {
    /// Remove Sender is not an operation, so one pool's removals run at
    /// once, bounded here and by the client's request slots.
    func removeSenders(
        _ change: PoolChange, poolID: String, _ result: inout PoolResult, deadline: Duration, tracker: ProgressTracker
    ) async throws {
        let api = self.api
        let clock = self.clock
        var removed = 0
        var firstError: (any Error)?
        try await BoundedTasks.run(change.removeSenders, limit: options.removalsAtOnce) { member in
            if clock.now() > deadline { return false }
            do {
                _ = try await self.withConflictRetry(deadline: deadline) {
                    try await api.removeSender(poolID: poolID, senderID: member.id)
                }
            } catch let error as APIError where error.isNotFound {
                // Already gone: the goal is reached.
            }
            return true
        } receive: { outcome in
            switch outcome {
            case .success(true): removed += 1
            case .success(false): break
            case .failure(let error): if firstError == nil { firstError = error }
            }
            return firstError == nil
        }
        result.sendersRemoved += removed
        await tracker.step(change.key, "removed \(removed) sender\(removed == 1 ? "" : "s") from \(poolID)", added: 0, removed: removed)
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
    func delete(_ change: PoolChange, stack: String, kept: String?, deadline: Duration, run: ApplyRun) async throws {
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
        // A protected pool is never deleted: not as a pruned pool, not as a duplicate.
        if ownership.protected {
            throw await refuse("GET /v1/SenderPools/\(id) just before it shows the pool protected: a protected pool is never deleted")
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
}

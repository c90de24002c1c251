import PoolctlAPI
import PoolctlModel
import PoolctlPlan

extension Applier {
    /// Runs `body` for each change, `parallelism` pools at a time, each
    /// pool's steps in order. Errors end that pool only.
    func runPools(
        _ changes: [PoolChange], deadline: Duration, tracker: ProgressTracker, prior: [String: PoolResult] = [:],
        finishes: @escaping @Sendable (PoolChange) -> Bool,
        body: @escaping @Sendable (PoolChange, inout PoolResult) async throws -> Void
    ) async -> [String: PoolResult] {
        let clock = self.clock
        let mayWrite = options.mayWrite
        let starts = changes.map { change in
            (change, prior[Self.id(change)] ?? PoolResult(key: change.key, action: change.action, poolID: change.poolID))
        }
        let finished = await BoundedTasks.run(starts, limit: options.parallelism) { change, start in
            let id = Self.id(change)
            // An earlier phase ran for this pool (it wrote to it, or ended it).
            let resumed = prior[id] != nil
            // Ended unconverged there, it has told the tracker, and keeps its error.
            if resumed, start.status != .converged { return (id, start) }
            var result = start
            func notStarted(_ reason: String) async -> (String, PoolResult) {
                // A pool an earlier phase wrote to is partly written, not untouched: verified, and failed.
                result.status = resumed ? .failed : .skipped
                result.error = (resumed ? "its remaining writes were not started: " : "not started: ") + reason
                if resumed { await tracker.poolFinished(change.key, result) }
                return (id, result)
            }
            let began = clock.now()
            if began > deadline { return await notStarted("the apply timeout passed") }
            do {
                try mayWrite()
            } catch {
                return await notStarted("\(error)")
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
            return (id, result)
        }
        return Dictionary(finished, uniquingKeysWith: { _, last in last })
    }
}

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
        return Dictionary(finished, uniquingKeysWith: { _, last in last })
    }
}

import PoolctlAPI
import PoolctlModel

/// How the lease tries a call again, written once for its steps and its
/// deletes: after a transient failure (`APIError.isTransient`) and, with
/// `conflicts`, a 409 (an operation still running on the pool), after the
/// next of `backoff`'s waits; `attempts` tries in all at most, and none
/// whose wait would end past `deadline`. A cancelled task is not made to
/// wait (its calls fail as transient ones): it gets the failure it met.
/// Any other failure, or the last, is thrown as it is.
struct LeaseRetry: Sendable {
    var backoff: Backoff
    var attempts: Int
    var deadline: Duration?
    var conflicts: Bool

    /// A step of acquisition, renewal or unlock: transient failures only.
    static func step(_ options: LeaseOptions) -> LeaseRetry {
        LeaseRetry(backoff: options.stepBackoffs, attempts: options.stepAttempts, deadline: nil, conflicts: false)
    }

    /// A delete of a lease of ours: a 409 is waited out too, within `deadline`.
    static func delete(_ options: LeaseOptions, deadline: Duration, attempts: Int = .max) -> LeaseRetry {
        LeaseRetry(backoff: options.stepBackoffs, attempts: attempts, deadline: deadline, conflicts: true)
    }

    func run<T: Sendable>(clock: PoolctlClock, random: () -> Double, _ body: () async throws -> T) async throws -> T {
        var waits = backoff.waits()
        var tries = 1
        while true {
            do {
                return try await body()
            } catch let failure {
                guard tries < attempts, !Task.isCancelled, retries(failure) else { throw failure }
                let pause = waits.next(random: random())
                if let deadline, clock.now() + pause >= deadline { throw failure }
                tries += 1
                // Cancelled while waiting: the failure met is the one to report.
                do { try await clock.sleep(pause) } catch { throw failure }
            }
        }
    }

    private func retries(_ error: any Error) -> Bool {
        guard let error = error as? APIError else { return false }
        return error.isTransient || (conflicts && error.isConflict)
    }
}

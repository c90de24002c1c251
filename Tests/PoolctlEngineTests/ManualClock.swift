import PoolctlEngine
import Synchronization

/// A clock the test moves by hand. Sleeps shorter than `autoAdvanceBelow`
/// (polls, backoff) pass at once and move time forward; longer ones (the
/// lease's renewal) park until `advance(by:)` reaches them. `parked()`
/// waits until a sleep parks, so a test never guesses with real time.
final class ManualClock: Sendable {
    private struct Sleeper {
        var id: Int
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var nextID = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<Int> = []
        var passed: [Duration] = []
    }

    let autoAdvanceBelow: Duration
    private let state = Mutex(State())
    private let parkedSleeps: AsyncStream<Duration>
    private let announce: AsyncStream<Duration>.Continuation

    init(autoAdvanceBelow: Duration = .seconds(30)) {
        self.autoAdvanceBelow = autoAdvanceBelow
        (parkedSleeps, announce) = AsyncStream.makeStream()
    }

    var now: Duration { state.withLock { $0.now } }
    /// The sleeps that passed at once, in order.
    var passedSleeps: [Duration] { state.withLock { $0.passed } }

    var applyClock: ApplyClock {
        ApplyClock(sleep: { try await self.sleep($0) }, now: { self.now })
    }

    /// Waits for the next sleep to park and returns its length.
    func parked() async -> Duration? {
        var iterator = parkedSleeps.makeAsyncIterator()
        return await iterator.next()
    }

    func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now += duration
            let due = state.sleepers.filter { $0.deadline <= state.now }
            state.sleepers.removeAll { $0.deadline <= state.now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    private func sleep(_ duration: Duration) async throws {
        try Task.checkCancellation()
        if duration < autoAdvanceBelow {
            state.withLock {
                $0.now += duration
                $0.passed.append(duration)
            }
            return
        }
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state in
                    if state.cancelled.contains(id) { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: state.now + duration, continuation: continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) } else { announce.yield(duration) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}

import Foundation
import Synchronization

/// Time, injected: the one clock abstraction of the whole project. The
/// engine waits for operations and keeps the apply deadline, the HTTP client
/// backs off and keeps call deadlines, the lease renews itself, and the
/// emulator stamps records and settles operations, all against this; tests
/// pass a `ManualClock` and never sleep.
public struct PoolctlClock: Sendable {
    /// Monotonic time since an arbitrary start: deadlines and elapsed times.
    public var now: @Sendable () -> Duration
    /// Milliseconds since 1970-01-01T00:00:00Z: timestamps and HTTP dates.
    public var milliseconds: @Sendable () -> Int64
    /// Waits; a manual clock moves time forward instead.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> Duration, milliseconds: @escaping @Sendable () -> Int64,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.milliseconds = milliseconds
        self.sleep = sleep
    }

    /// The process's monotonic clock and the wall clock.
    public static var system: PoolctlClock {
        let clock = ContinuousClock()
        let start = clock.now
        return PoolctlClock(
            now: { clock.now - start },
            milliseconds: { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) },
            sleep: { try await clock.sleep(for: $0) })
    }

    /// The wall clock as a `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds()) / 1000) }
}

/// A clock that moves only when told to, or when something sleeps on it.
///
/// Sleeps shorter than `autoAdvanceBelow` (all of them by default: polls,
/// backoff) pass at once, move time forward and are recorded in `sleeps`.
/// Longer ones (a lease's renewal) park until `advance` reaches them;
/// `parked()` waits until one parks, so a test never guesses with real time.
public final class ManualClock: Sendable {
    private struct Sleeper {
        var id: Int
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var elapsed: Duration = .zero
        var nextID = 0
        var sleepers: [Sleeper] = []
        var cancelled: Set<Int> = []
        var sleeps: [Duration] = []
    }

    /// Wall-clock milliseconds at `elapsed == 0`.
    private let start: Int64
    public let autoAdvanceBelow: Duration?
    private let state = Mutex(State())
    private let parkedSleeps: AsyncStream<Duration>
    private let announce: AsyncStream<Duration>.Continuation

    /// Starts at `milliseconds` since the epoch (default 2025-01-01T00:00:00Z).
    public init(milliseconds: Int64 = 1_735_689_600_000, autoAdvanceBelow: Duration? = nil) {
        start = milliseconds
        self.autoAdvanceBelow = autoAdvanceBelow
        (parkedSleeps, announce) = AsyncStream.makeStream()
    }

    /// Time since the clock was made.
    public var now: Duration { state.withLock { $0.elapsed } }
    public var milliseconds: Int64 { start + now.inMilliseconds }
    /// The sleeps that passed at once, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    public var clock: PoolctlClock {
        PoolctlClock(now: { self.now }, milliseconds: { self.milliseconds }, sleep: { try await self.sleep($0) })
    }

    public func advance(milliseconds delta: Int64) { advance(by: .milliseconds(delta)) }
    public func advance(seconds delta: Double) { advance(by: .milliseconds(Int64(delta * 1000))) }

    /// Jumps the wall clock to `value` (never backwards).
    public func set(milliseconds value: Int64) { advance(milliseconds: max(0, value - milliseconds)) }

    public func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.elapsed += duration
            let due = state.sleepers.filter { $0.deadline <= state.elapsed }
            state.sleepers.removeAll { $0.deadline <= state.elapsed }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits for the next sleep to park and returns its length.
    public func parked() async -> Duration? {
        var iterator = parkedSleeps.makeAsyncIterator()
        return await iterator.next()
    }

    private func sleep(_ duration: Duration) async throws {
        try Task.checkCancellation()
        if autoAdvanceBelow.map({ duration < $0 }) ?? true {
            state.withLock {
                $0.elapsed += duration
                $0.sleeps.append(duration)
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
                    state.sleepers.append(Sleeper(id: id, deadline: state.elapsed + duration, continuation: continuation))
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

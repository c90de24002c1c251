import PoolctlAPI
import PoolctlModel

/// When to poll an operation next: a pure state machine, tested without I/O.
///
/// The first poll waits `initial` (an operation rarely finishes sooner), then
/// the wait doubles up to `maximum`. This keeps polls per operation low: one
/// for a typical operation, a handful for a slow one.
public struct OperationPoller: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        case wait(Duration)
        case done(SenderPoolOperation)
        case timedOut
    }

    public var initial: Duration
    public var maximum: Duration
    public var budget: Duration
    public private(set) var polls = 0
    private var waited: Duration = .zero
    /// Waits scheduled so far; the next is `Backoff` wait number `scheduled`.
    private var scheduled = 0

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(5), budget: Duration = .seconds(300)) {
        self.initial = initial
        self.maximum = maximum
        self.budget = budget
    }

    /// What is left of `budget` for waits (a slow poll adds its own time).
    public var remaining: Duration { max(.zero, budget - waited) }

    /// The wait before the first poll.
    public mutating func start() -> Action {
        scheduleWait()
    }

    /// What to do after a poll returned `operation`.
    public mutating func received(_ operation: SenderPoolOperation) -> Action {
        polls += 1
        if operation.status.isTerminal { return .done(operation) }
        return scheduleWait()
    }

    private mutating func scheduleWait() -> Action {
        if waited >= budget { return .timedOut }
        // Built from `initial` and `maximum` each time: they are public and may change.
        let wait = min(Backoff(initial: initial, cap: maximum).ceiling(forRetry: scheduled), budget - waited)
        scheduled += 1
        waited += wait
        return .wait(wait)
    }
}

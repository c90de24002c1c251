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
    private var waits: Backoff.Waits

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(5), budget: Duration = .seconds(300)) {
        self.initial = initial
        self.maximum = maximum
        self.budget = budget
        waits = Backoff(initial: initial, cap: maximum).waits()
    }

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
        let wait = min(waits.next(), budget - waited)
        waited += wait
        return .wait(wait)
    }
}

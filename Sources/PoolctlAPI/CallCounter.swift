import PoolctlModel
import Synchronization

/// Counts calls per endpoint, attempts included: API calls are poolctl's main
/// cost, and plans and apply reports print these counts.
public final class CallCounter: Sendable {
    private let state = Mutex<(calls: [Endpoint: Int], retries: Int)>(([:], 0))

    public init() {}

    public func record(_ endpoint: Endpoint) {
        state.withLock { $0.calls[endpoint, default: 0] += 1 }
    }

    public func recordRetry() {
        state.withLock { $0.retries += 1 }
    }

    /// Calls by endpoint so far.
    public var calls: [Endpoint: Int] { state.withLock { $0.calls } }
    public var total: Int { state.withLock { $0.calls.values.reduce(0, +) } }
    public var retries: Int { state.withLock { $0.retries } }
}

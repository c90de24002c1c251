import PoolctlEngine
import Synchronization

/// Records what a lease reports, for the lease suites: all of it, and as a
/// stream to wait on for an event that a background task reports.
final class LeaseEvents: Sendable {
    private let state = Mutex<[LeaseEvent]>([])
    private let stream: AsyncStream<LeaseEvent>
    private let continuation: AsyncStream<LeaseEvent>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream() }

    var all: [LeaseEvent] { state.withLock { $0 } }
    var report: @Sendable (LeaseEvent) -> Void {
        { event in
            self.state.withLock { $0.append(event) }
            self.continuation.yield(event)
        }
    }

    /// The next event reported.
    func next() async -> LeaseEvent? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }

    /// Waits for the first event `matches` accepts.
    func first(where matches: (LeaseEvent) -> Bool) async -> LeaseEvent? {
        for await event in stream where matches(event) { return event }
        return nil
    }
}

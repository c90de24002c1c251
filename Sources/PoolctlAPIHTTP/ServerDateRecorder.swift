import Foundation
import PoolctlModel
import Synchronization

/// The `Date` header of the latest response and the local monotonic time it
/// arrived, shared by every request of one client. A repeated value keeps its
/// first arrival: the header counts whole seconds, so the earliest response
/// with a given value is the closest to the server's real time.
final class ServerDateRecorder: Sendable {
    private struct Observation {
        var header: String
        var date: Date
        var arrived: Duration
    }

    private let latest = Mutex<Observation?>(nil)

    func record(_ header: String?, arrived: Duration) {
        guard let header, !header.isEmpty else { return }
        if latest.withLock({ $0?.header == header }) { return }
        // Parsed outside the lock; a value changes at most once a second.
        guard let date = WireTime.parseHTTPDate(header) else { return }
        latest.withLock { current in
            if current?.header != header, current.map({ $0.arrived <= arrived }) ?? true {
                current = Observation(header: header, date: date, arrived: arrived)
            }
        }
    }

    /// The server's time at local monotonic time `now`.
    func estimate(now: Duration) -> Date? {
        latest.withLock { observation in
            observation.map { $0.date.addingTimeInterval((now - $0.arrived).inSeconds) }
        }
    }
}

/// Whether the server has answered this client at all: until it has, a call
/// none of whose attempts could connect is `.unreachable` (a wrong URL, or
/// an API that is down), which the layers above do not retry.
final class ServerContact: Sendable {
    private let answered = Atomic<Bool>(false)

    func recordAnswer() { answered.store(true, ordering: .relaxed) }
    var hasAnswered: Bool { answered.load(ordering: .relaxed) }
}

import PoolctlAPIHTTP
import PoolctlModel
import Synchronization

/// A line on stderr while the API keeps answering 429: a call waits those
/// out until its deadline (minutes), and without a word the command looks
/// hung. Said once a run of 429s has lasted `after`, then every `every`;
/// an answer other than 429 ends the run. Text output only: ndjson logs
/// every retry as an event.
final class RateLimitNotice: Sendable {
    private struct State {
        var since: Duration?
        var lastSaid: Duration?
        var retries = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Duration
    private let write: @Sendable (String) -> Void
    private let deadline: Duration
    static let after = Duration.seconds(10)
    static let every = Duration.seconds(30)

    init(deadline: Duration, now: @escaping @Sendable () -> Duration, write: @escaping @Sendable (String) -> Void) {
        self.deadline = deadline
        self.now = now
        self.write = write
    }

    var observer: RequestObserver { { [self] in observe($0) } }

    static func format(_ duration: Duration) -> String {
        let seconds = Int(duration.inSeconds.rounded())
        return seconds >= 60 && seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds)s"
    }

    func observe(_ observation: RequestObservation) {
        let line: String? = state.withLock { state in
            switch observation {
            case .attempt(let record):
                if record.status != 429 { state.since = nil }
                return nil
            case .retry(let record):
                guard record.reason == .rateLimited else { return nil }
                let at = now()
                state.retries += 1
                guard let since = state.since else {
                    state.since = at
                    return nil
                }
                guard at - since >= Self.after, state.lastSaid.map({ at - $0 >= Self.every }) ?? true else { return nil }
                state.lastSaid = at
                let waited = Int((at - since).inSeconds.rounded())
                return
                    "poolctl: the API has answered 429 (rate limited) for \(waited)s (\(state.retries) retries so far, latest on \(record.endpoint.rawValue)); "
                    + "each call keeps waiting as Retry-After asks, up to --max-retry-after a time, for at most \(Self.format(deadline)) in all\n"
            }
        }
        if let line { write(line) }
    }
}

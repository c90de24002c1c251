import PoolctlAPI
import PoolctlModel

/// What the client tells an observer about each attempt and each retry, for
/// machine-readable logs (`apply --log-format ndjson`). Only what is safe to
/// print: the endpoint template and the pool id, never a URL, header, query
/// or body, so no credential or sender list can reach a log through it.
public enum RequestObservation: Sendable, Hashable {
    /// One attempt ended: answered (`status`) or failed (`failure`).
    case attempt(AttemptRecord)
    /// A failed attempt will be repeated after `delay`.
    case retry(RetryRecord)
}

/// Receives every observation, from any task; it must not block.
public typealias RequestObserver = @Sendable (RequestObservation) -> Void

/// Why an attempt got no HTTP answer, as logs name it.
public enum FailureClass: String, Sendable, Hashable {
    /// Ran out of time (connect, response or read timeout).
    case timeout
    /// The connection failed: refused, reset, closed, unreachable.
    case connection
    /// Cannot be helped by retrying (TLS, bad URL, client shut down).
    case fatal
    /// An answer came that could not be read.
    case invalidResponse = "invalid-response"
    case cancelled
}

public struct AttemptRecord: Sendable, Hashable {
    public var endpoint: Endpoint
    /// The pool the path names, if any.
    public var poolID: String?
    /// 1 for the first attempt of a call.
    public var attempt: Int
    /// The HTTP status, when the server answered.
    public var status: Int?
    public var failure: FailureClass?
    public var durationMS: Int64

}

public struct RetryRecord: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable {
        /// 429: not processed; the scheduler pauses every request.
        case rateLimited = "429"
        /// 500, 502, 503 or 504.
        case serverError = "5xx"
        case timeout
        case connection
    }

    public var endpoint: Endpoint
    public var poolID: String?
    /// The attempt about to be made: 2 for the first retry.
    public var attempt: Int
    public var reason: Reason
    /// The status that caused it, when the server answered.
    public var status: Int?
    public var delayMS: Int64
    /// The server's `Retry-After`, when it sent one.
    public var retryAfterMS: Int64?

}

extension TransportFailure {
    /// The class a log shows. Timeouts are told apart by the transport's
    /// own wording (`classify` above), since both kinds share one case.
    var failureClass: FailureClass {
        switch self {
        case .notSent(let message), .maybeSent(let message):
            let lower = message.lowercased()
            let timedOut = ["timeout", "timed out", "no response within", "stalled"].contains { lower.contains($0) }
            return timedOut ? .timeout : .connection
        case .fatal, .proxyRefused: return .fatal
        case .invalidResponse: return .invalidResponse
        case .cancelled: return .cancelled
        }
    }
}

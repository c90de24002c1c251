import Foundation
import PoolctlAPI
import PoolctlModel

/// Decides, after each failed attempt of one call, whether to try again and
/// when. Pure: time comes in as `elapsed`, randomness from `random`, so every
/// rule is unit-tested without a socket or a sleep.
///
/// The rules exist because the API has no idempotency key: a repeated POST can
/// create a second pool. So a POST is repeated only when the server provably did
/// not act on it (a 429, or a connection that never opened); any other failure of
/// a POST becomes `.outcomeUnknown` for the caller to check.
public struct RetryPolicy: Sendable {
    /// What one failed attempt looked like.
    public enum Outcome: Sendable, Hashable {
        /// The server answered with a non-2xx status. `retryAfter` is the parsed
        /// `Retry-After` header; `error` describes the answer.
        case response(status: Int, retryAfter: Duration?, error: APIError)
        /// The request never left: connection refused, DNS failure, connect timeout.
        case notSent(APIError)
        /// The request may have reached the server: timeout, reset, closed connection.
        case maybeSent(APIError)
        /// Retrying cannot help: TLS failure, bad URL, cancellation. Nothing was sent.
        case fatal(APIError)

        public var error: APIError {
            switch self {
            case .response(_, _, let error), .notSent(let error), .maybeSent(let error), .fatal(let error): error
            }
        }
    }

    public enum Decision: Sendable, Hashable {
        case retry(after: Duration)
        case fail(APIError)
    }

    public let method: String
    public let maxAttempts: Int
    public let deadline: Duration
    /// Retry `n` (from 1) waits `backoff.delay(forRetry: n - 1)`. The
    /// default, `.apiRetries`, takes a random part of `min(cap, base × 2ⁿ⁻¹)`:
    /// full jitter ("Exponential Backoff and Jitter", AWS) spreads clients
    /// out better than a fixed schedule.
    public let backoff: Backoff
    /// Returns a value in `0 ..< 1`; full jitter multiplies the backoff by it.
    private let random: @Sendable () -> Double
    /// Failed attempts so far.
    public private(set) var attempts = 0
    /// Of `attempts`, the 429s: they do not use up `maxAttempts`, since a 429
    /// was not processed; only the deadline bounds them.
    public private(set) var rateLimited = 0

    public init(
        method: String,
        maxAttempts: Int = 5,
        deadline: Duration = .seconds(120),
        backoff: Backoff = .apiRetries,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.method = method.uppercased()
        self.maxAttempts = max(1, maxAttempts)
        self.deadline = deadline
        self.backoff = backoff
        self.random = random
    }

    /// Methods whose repetition cannot change the result. PATCH qualifies here
    /// because poolctl only ever sends absolute values (name, full tag map).
    public var isIdempotent: Bool { ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"].contains(method) }

    /// Records one failed attempt and decides. `elapsed` is the time since the
    /// call began, including that attempt.
    public mutating func decide(for outcome: Outcome, elapsed: Duration) -> Decision {
        attempts += 1
        let delay: Duration
        var error: APIError
        switch outcome {
        case .response(429, let retryAfter, let apiError):
            // Twilio: a 429 was not processed, so even a POST is safe to repeat.
            error = apiError
            rateLimited += 1
            delay = retryAfter ?? backoffDelay()
        case .response(let status, let retryAfter, let apiError) where Self.retryableStatuses.contains(status):
            error = apiError
            guard isIdempotent else { return .fail(outcomeUnknown(apiError)) }
            delay = retryAfter ?? backoffDelay()
        case .response(_, _, let apiError), .fatal(let apiError):
            error = apiError
            error.attempts = attempts
            return .fail(error)
        case .notSent(let apiError):
            error = apiError
            delay = backoffDelay()
        case .maybeSent(let apiError):
            error = apiError
            guard isIdempotent else { return .fail(outcomeUnknown(apiError)) }
            delay = backoffDelay()
        }
        error.attempts = attempts
        guard attempts - rateLimited < maxAttempts else { return .fail(error) }
        guard elapsed + delay < deadline else { return .fail(deadlineExceeded(error, wait: delay)) }
        return .retry(after: delay)
    }

    /// Transient server errors worth repeating for idempotent methods.
    public static let retryableStatuses: Set<Int> = [500, 502, 503, 504]

    /// The wait after the latest failed attempt (`attempts` is at least 1 here).
    private func backoffDelay() -> Duration {
        backoff.delay(forRetry: attempts - 1, random: random())
    }

    private func outcomeUnknown(_ error: APIError) -> APIError {
        let cause = error.status.map { "HTTP \($0): \(error.message)" } ?? error.message
        return APIError(
            kind: .outcomeUnknown, method: error.method, path: error.path, status: error.status, code: error.code,
            message: "\(cause); \(APIError.outcomeUnknownAdvice)",
            attempts: attempts)
    }

    private func deadlineExceeded(_ error: APIError, wait: Duration) -> APIError {
        let last = error.kind == .http ? "HTTP \(error.status ?? 0): \(error.message)" : error.message
        return APIError(
            kind: .deadlineExceeded, method: error.method, path: error.path, status: error.status, code: error.code,
            message: "no success within \(Self.format(deadline)) (next try would wait \(Self.format(wait))); last error: \(last)",
            attempts: attempts)
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.inMilliseconds
        return ms < 1000 ? "\(ms) ms" : String(format: "%.1f s", Double(ms) / 1000)
    }
}

/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// The wait the header asks for, or nil when it is missing or unreadable.
    /// A date in the past means "now".
    public static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) {
            // Clamp absurd values; the call deadline cuts them short anyway.
            return .seconds(Int64(value.prefix(9)) ?? 0)
        }
        guard let date = WireTime.parseHTTPDate(value) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds > 0 ? .milliseconds(Int64((seconds * 1000).rounded(.up))) : .zero
    }
}

extension Backoff {
    /// The live client's waits between attempts of one call: retry `n`
    /// (from 1) waits a random part of `min(10 s, 500 ms × 2ⁿ⁻¹)`.
    public static let apiRetries = Backoff(initial: .milliseconds(500), cap: .seconds(10), jitter: .full)
}

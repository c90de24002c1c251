import Foundation
import PoolctlAPI

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
    public let backoffBase: Duration
    public let backoffCap: Duration
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
        backoffBase: Duration = .milliseconds(500),
        backoffCap: Duration = .seconds(10),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.method = method.uppercased()
        self.maxAttempts = max(1, maxAttempts)
        self.deadline = deadline
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
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
            delay = retryAfter ?? backoff()
        case .response(let status, let retryAfter, let apiError) where Self.retryableStatuses.contains(status):
            error = apiError
            guard isIdempotent else { return .fail(outcomeUnknown(apiError)) }
            delay = retryAfter ?? backoff()
        case .response(_, _, let apiError), .fatal(let apiError):
            error = apiError
            error.attempts = attempts
            return .fail(error)
        case .notSent(let apiError):
            error = apiError
            delay = backoff()
        case .maybeSent(let apiError):
            error = apiError
            guard isIdempotent else { return .fail(outcomeUnknown(apiError)) }
            delay = backoff()
        }
        error.attempts = attempts
        guard attempts - rateLimited < maxAttempts else { return .fail(error) }
        guard elapsed + delay < deadline else { return .fail(deadlineExceeded(error, wait: delay)) }
        return .retry(after: delay)
    }

    /// Transient server errors worth repeating for idempotent methods.
    public static let retryableStatuses: Set<Int> = [500, 502, 503, 504]

    /// Full jitter ("Exponential Backoff and Jitter", AWS): spreads clients out
    /// better than a fixed schedule. `attempts` is at least 1 here.
    private func backoff() -> Duration {
        let exponent = min(attempts - 1, 30)
        let ceiling = min(backoffCap, backoffBase * (1 << exponent))
        return ceiling * min(max(random(), 0), 1)
    }

    private func outcomeUnknown(_ error: APIError) -> APIError {
        let cause = error.status.map { "HTTP \($0): \(error.message)" } ?? error.message
        return APIError(
            kind: .outcomeUnknown, method: error.method, path: error.path, status: error.status, code: error.code,
            message: "\(cause); the request may have been processed, so it was not repeated. Check the live state before retrying.",
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
        guard let date = parseHTTPDate(value) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds > 0 ? .milliseconds(Int64((seconds * 1000).rounded(.up))) : .zero
    }

    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete RFC 850
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`)
    /// forms that recipients must accept. Hand-written so no locale can interfere.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let tokens = text.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        let day: Int?
        let month: Int?
        let year: Int?
        let time: String
        switch tokens.count {
        case 6 where tokens[5] == "GMT":  // IMF-fixdate
            (day, month, year, time) = (Int(tokens[1]), monthNumber(tokens[2]), Int(tokens[3]), tokens[4])
        case 4 where tokens[3] == "GMT":  // RFC 850
            let parts = tokens[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let shortYear = Int(parts[2]) else { return nil }
            (day, month, year, time) = (
                Int(parts[0]), monthNumber(parts[1]), shortYear < 70 ? 2000 + shortYear : 1900 + shortYear, tokens[2]
            )
        case 5:  // asctime
            (day, month, year, time) = (Int(tokens[2]), monthNumber(tokens[1]), Int(tokens[4]), tokens[3])
        default:
            return nil
        }
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard let day, let month, let year, (1...31).contains(day), clock.count == 3,
            (0...23).contains(clock[0]), (0...59).contains(clock[1]), (0...60).contains(clock[2])
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2]))
    }

    private static func monthNumber(_ name: String) -> Int? {
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].firstIndex(of: name).map { $0 + 1 }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

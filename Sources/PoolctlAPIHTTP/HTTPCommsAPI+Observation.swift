import PoolctlAPI
import PoolctlModel

/// What the attempt loop tells the outside: the observer's records
/// (`--log-format ndjson`) and the debug log's lines (`--debug`), both
/// without credentials.
extension HTTPCommsAPI {
    func observe(_ request: APIRequest, attempt: Int, status: Int?, failure: FailureClass?, since sent: Duration) {
        guard let observer = configuration.observer else { return }
        observer(
            .attempt(
                AttemptRecord(
                    endpoint: request.endpoint, poolID: request.poolID, attempt: attempt, status: status, failure: failure,
                    durationMS: (clock.now() - sent).inMilliseconds)))
    }

    func observeRetry(_ request: APIRequest, outcome: RetryPolicy.Outcome, failed: FailureClass?, attempt: Int, delay: Duration) {
        guard let observer = configuration.observer else { return }
        let reason: RetryRecord.Reason
        var status: Int?
        var retryAfter: Duration?
        switch outcome {
        case .response(let code, let after, _):
            reason = code == 429 ? .rateLimited : .serverError
            status = code
            retryAfter = after
        case .notSent, .maybeSent, .fatal:
            reason = failed == .timeout ? .timeout : .connection
        }
        observer(
            .retry(
                RetryRecord(
                    endpoint: request.endpoint, poolID: request.poolID, attempt: attempt, reason: reason, status: status,
                    delayMS: delay.inMilliseconds, retryAfterMS: retryAfter?.inMilliseconds)))
    }

    func logSending(_ outgoing: TransportRequest, _ request: APIRequest) {
        log("→ \(request.method) \(request.target)")
        for header in outgoing.headers { log("  \(header.name): \(Self.loggable(header))") }
    }

    func logResponse(_ response: TransportResponse, _ request: APIRequest, since sent: Duration) {
        log("← \(response.status) \(request.method) \(request.path) (\((clock.now() - sent).inMilliseconds) ms)")
        for header in response.headers { log("  \(header.name): \(Self.loggable(header))") }
    }

    func logFailure(_ failure: TransportFailure, _ request: APIRequest, since sent: Duration) {
        log("← failed \(request.method) \(request.path) (\((clock.now() - sent).inMilliseconds) ms): \(failure.summary)")
    }

    func log(_ line: @autoclosure () -> String) {
        guard let debugLog = configuration.debugLog else { return }
        debugLog(redact(line()))
    }

    /// Header values as logged: credentials and cookies never appear.
    static func loggable(_ header: (name: String, value: String)) -> String {
        switch header.name.lowercased() {
        case "authorization", "proxy-authorization":
            let scheme = header.value.split(separator: " ").first.map(String.init) ?? ""
            return scheme.isEmpty ? "[REDACTED]" : "\(scheme) [REDACTED]"
        case "cookie", "set-cookie": return "[REDACTED]"
        default: return header.value
        }
    }
}

extension TransportFailure {
    var summary: String {
        switch self {
        case .notSent(let message), .maybeSent(let message), .fatal(let message), .invalidResponse(let message),
            .proxyRefused(let message):
            message
        case .cancelled: "cancelled"
        }
    }
}

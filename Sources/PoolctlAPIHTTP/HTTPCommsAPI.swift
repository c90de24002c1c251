import Foundation
import NIOHTTP1
import PoolctlAPI
import PoolctlModel

/// The live `CommsAPI`: the real Comms API, or a running emulator, over HTTP.
///
/// Every method makes one logical call: it counts and logs each attempt,
/// retries by `RetryPolicy`, and throws only `APIError`, with credentials
/// scrubbed. It owns an `HTTPClient`: call `shutdown()` once done (AsyncHTTPClient
/// traps in debug builds when a client is released while still running).
public struct HTTPCommsAPI: CommsAPI {
    public let configuration: HTTPClientConfiguration
    /// Every attempt, by endpoint, and every retry.
    public let callCounter: CallCounter
    /// The validated base URL, without a trailing slash.
    public let baseURL: String

    private let transport: any HTTPTransport
    private let clock: PoolctlClock
    /// Slots and rate for every attempt of every call of this client.
    public let scheduler: RequestScheduler
    private let random: @Sendable () -> Double
    private let redact: Redactor
    /// Encoded once: base64 of the credentials for every request was 0.5% of
    /// a 10,000-read plan.
    private let authorization: String
    /// The server's `Date`, for `ServerClock`.
    private let serverDate = ServerDateRecorder()

    /// Throws `APIError` of kind `.invalidConfiguration` for a bad base URL
    /// (e.g. plain http to a non-loopback host). `clock` times deadlines and
    /// backoff waits and reads `Retry-After` dates; tests pass a manual one.
    public init(configuration: HTTPClientConfiguration, callCounter: CallCounter = CallCounter(), clock: PoolctlClock = .system) throws {
        // Validate before making the HTTP client: one that is never shut down traps.
        let baseURL = try configuration.validatedBaseURL()
        self.init(
            configuration: configuration, baseURL: baseURL, callCounter: callCounter,
            transport: AsyncHTTPClientTransport(
                requestTimeout: configuration.requestTimeout, connections: configuration.scheduling.maxInFlight),
            clock: clock, random: { Double.random(in: 0..<1) })
    }

    /// For tests: a scripted transport, a manual clock and fixed jitter.
    init(
        configuration: HTTPClientConfiguration, callCounter: CallCounter = CallCounter(), transport: any HTTPTransport,
        clock: PoolctlClock, random: @escaping @Sendable () -> Double = { 0.5 }
    ) throws {
        self.init(
            configuration: configuration, baseURL: try configuration.validatedBaseURL(), callCounter: callCounter,
            transport: transport, clock: clock, random: random)
    }

    private init(
        configuration: HTTPClientConfiguration, baseURL: String, callCounter: CallCounter, transport: any HTTPTransport,
        clock: PoolctlClock, random: @escaping @Sendable () -> Double
    ) {
        self.configuration = configuration
        self.baseURL = baseURL
        self.callCounter = callCounter
        self.transport = transport
        self.clock = clock
        self.random = random
        self.redact = configuration.credentials.redactor
        self.authorization = configuration.credentials.authorizationHeader
        self.scheduler = RequestScheduler(settings: configuration.scheduling, clock: clock)
    }

    /// Closes connections and releases the client. Call once, after the last request.
    public func shutdown() async throws {
        try await transport.shutdown()
    }

    // MARK: CommsAPI

    public func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        try await page(.listSenderPools(query), SenderPoolList.self) { ($0.senderPools, $0.pagination) }
    }

    public func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        try await operationAccepted(.createSenderPool(request))
    }

    public func fetchSenderPool(id: String) async throws -> SenderPool {
        try await object(.fetchSenderPool(id: id))
    }

    public func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        try await resourceAccepted(.updateSenderPool(id: id, request))
    }

    public func deleteSenderPool(id: String) async throws -> ResourceAccepted {
        try await resourceAccepted(.deleteSenderPool(id: id))
    }

    public func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        try await page(.listPoolSenders(poolID: poolID, query), SenderList.self) { ($0.senders, $0.pagination) }
    }

    /// Only id, address and channel of each sender, read by `MemberPageScanner`
    /// straight from the body; a body it does not accept goes through
    /// `JSONDecoder` (`PoolMemberList`), which names what is wrong.
    public func listPoolMembers(poolID: String, _ query: SenderQuery) async throws -> Page<LiveMember> {
        let request = APIRequest.listPoolSenders(poolID: poolID, query)
        let (response, attempts) = try await perform(request)
        let (members, pagination): ([LiveMember], Pagination?)
        if let scanned = response.body.withUnsafeBytes({ MemberPageScanner.scan($0) }) {
            (members, pagination) = (scanned.members, scanned.pagination)
        } else {
            let list = try decode(PoolMemberList.self, response, request, attempts)
            (members, pagination) = (list.members, list.pagination)
        }
        let next = pagination?.next.flatMap { $0.isEmpty ? nil : $0 }
        return Page(items: members, pagination: Pagination(next: next, current: pagination?.current ?? ""))
    }

    public func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        try await operationAccepted(.addSenders(poolID: poolID, senderIDs: senderIDs))
    }

    public func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        try await resourceAccepted(.removeSender(poolID: poolID, senderID: senderID))
    }

    public func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        try await page(.listOperations(query), OperationList.self) { ($0.operations, $0.pagination) }
    }

    public func fetchOperation(id: String) async throws -> SenderPoolOperation {
        try await object(.fetchOperation(id: id))
    }

    // MARK: Beyond the protocol

    /// `GET /v1/Senders`: the account's sender inventory (`channel`, `status`,
    /// `pageToken`, `pageSize`; the date filters are not sent).
    public func listSenders(_ query: SenderQuery) async throws -> Page<Sender> {
        try await page(.listSenders(query), SenderList.self) { ($0.senders, $0.pagination) }
    }

    /// Every sender of the account, a page of 1000 at a time.
    public func allSenders(_ query: SenderQuery = SenderQuery()) -> Paginated<Sender> {
        Paginated(query, list: listSenders)
    }

    /// `GET /v1/SenderPools/{id}/Senders/Operations/{operationId}`: the nested
    /// `operationLocation` that Add Senders returns.
    public func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        try await object(.fetchPoolSendersOperation(poolID: poolID, operationID: operationID))
    }

    /// The path of a returned location, always on this client's base URL.
    /// A path of an unknown shape is fetched as given (counted as a Fetch
    /// Operation call).
    public func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation {
        switch path {
        case .flat(let id): return try await fetchOperation(id: id)
        case .nested(let poolID, let id): return try await fetchPoolSendersOperation(poolID: poolID, operationID: id)
        case .other(let target, _): return try await object(APIRequest(endpoint: .fetchOperation, path: target))
        }
    }

    // MARK: Responses

    private func object<T: Decodable>(_ request: APIRequest) async throws -> T {
        let (response, attempts) = try await perform(request)
        return try decode(T.self, response, request, attempts)
    }

    private func page<List: Decodable, Item>(
        _ request: APIRequest, _: List.Type, _ parts: (List) -> ([Item], Pagination?)
    ) async throws -> Page<Item> {
        let (response, attempts) = try await perform(request)
        let (items, pagination) = parts(try decode(List.self, response, request, attempts))
        // An empty `next` would make the caller send `pageToken=` (a 400): treat it as the end.
        let next = pagination?.next.flatMap { $0.isEmpty ? nil : $0 }
        return Page(items: items, pagination: Pagination(next: next, current: pagination?.current ?? ""))
    }

    /// Create and Add Senders. A 2xx means the write was accepted, so a body
    /// that cannot be read does not turn it into an error: the fields stay nil
    /// and `location` (the `Location` header) remains as the fallback.
    private func operationAccepted(_ request: APIRequest) async throws -> OperationAccepted {
        let (response, _) = try await perform(request)
        var accepted =
            tolerantDecode(OperationAccepted.self, response, request) ?? OperationAccepted(operationId: nil, operationLocation: nil)
        accepted.location = response.header("Location")
        return accepted
    }

    /// Update, Delete and Remove Sender; tolerant like `operationAccepted`.
    private func resourceAccepted(_ request: APIRequest) async throws -> ResourceAccepted {
        let (response, _) = try await perform(request)
        var accepted = tolerantDecode(ResourceAccepted.self, response, request) ?? ResourceAccepted(resourceId: nil, resourceLocation: nil)
        if accepted.resourceLocation == nil { accepted.resourceLocation = response.header("Location") }
        return accepted
    }

    private func decode<T: Decodable>(_: T.Type, _ response: TransportResponse, _ request: APIRequest, _ attempts: Int) throws -> T {
        do {
            return try Self.decoder.decode(T.self, from: response.body)
        } catch {
            throw redact(
                APIError(
                    kind: .invalidResponse, method: request.method, path: request.path, status: response.status,
                    message: "unexpected response body: \(Self.describe(error))", attempts: attempts))
        }
    }

    /// One decoder for every response: it holds no state between calls.
    private static let decoder = JSONDecoder()

    private func tolerantDecode<T: Decodable>(_: T.Type, _ response: TransportResponse, _ request: APIRequest) -> T? {
        guard !response.body.isEmpty else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            log("  (ignoring unreadable \(response.status) body of \(request.method) \(request.path): \(Self.describe(error)))")
            return nil
        }
    }

    static func describe(_ error: any Error) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)' at \(at(context.codingPath))"
        case .typeMismatch(let type, let context): return "expected \(type) at \(at(context.codingPath))"
        case .valueNotFound(let type, let context): return "null where \(type) was expected at \(at(context.codingPath))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(at(context.codingPath))"
        default: return "\(error)"
        }
    }

    // MARK: Attempts

    /// Sends `request` until it succeeds (2xx) or `RetryPolicy` gives up.
    /// Returns the response and the number of attempts it took.
    private func perform(_ request: APIRequest) async throws -> (TransportResponse, Int) {
        // The deadline runs from the first slot: waiting behind other calls
        // for the shared rate is not this call's failure.
        var start: Duration?
        var policy = RetryPolicy(
            method: request.method, maxAttempts: configuration.maxAttempts, deadline: configuration.callDeadline,
            backoffBase: configuration.backoffBase, backoffCap: configuration.backoffCap, random: random)
        let outgoing = TransportRequest(
            method: request.method, url: baseURL + request.target, headers: headers(for: request), body: request.body)
        let isWrite = !policy.isIdempotent
        let lane = RequestLane.current

        var lastError: APIError?
        while true {
            do {
                try await scheduler.start(lane: lane)
            } catch {
                throw APIError(
                    kind: isWrite ? .outcomeUnknown : .transport, method: request.method, path: request.path,
                    message: "cancelled while waiting for a request slot", attempts: policy.attempts)
            }
            let began = start ?? clock.now()
            start = began
            let remaining = configuration.callDeadline - (clock.now() - began)
            if let lastError, remaining <= .zero {
                scheduler.finished(.answered, lane: lane)
                // Only after a retry wait overran the deadline (the policy leaves room for none).
                throw redact(
                    APIError(
                        kind: .deadlineExceeded, method: request.method, path: request.path, status: lastError.status,
                        code: lastError.code,
                        message: "no success within \(RetryPolicy.format(configuration.callDeadline)); last error: \(lastError.message)",
                        attempts: policy.attempts))
            }
            callCounter.record(request.endpoint)
            log("→ \(request.method) \(request.target)")
            for header in outgoing.headers { log("  \(header.name): \(Self.loggable(header))") }

            let sent = clock.now()
            let outcome: RetryPolicy.Outcome
            var failed: FailureClass?
            do throws(TransportFailure) {
                let response = try await transport.send(outgoing, timeout: min(configuration.requestTimeout, remaining))
                // Capped (`--max-retry-after`): a server asking for hours must not wedge a pipeline.
                let retryAfter = RetryAfter.parse(response.header("Retry-After"), now: clock.date).map {
                    min($0, configuration.maxRetryAfter)
                }
                scheduler.finished(response.status == 429 ? .rateLimited(retryAfter: retryAfter) : .answered, lane: lane)
                serverDate.record(response.header("Date"), arrived: clock.now())
                observe(request, attempt: policy.attempts + 1, status: response.status, failure: nil, since: sent)
                log("← \(response.status) \(request.method) \(request.path) (\((clock.now() - sent).inMilliseconds) ms)")
                for header in response.headers { log("  \(header.name): \(Self.loggable(header))") }
                if (200..<300).contains(response.status) { return (response, policy.attempts + 1) }
                outcome = .response(status: response.status, retryAfter: retryAfter, error: httpError(response, request))
            } catch let failure {
                scheduler.finished(.answered, lane: lane)
                failed = failure.failureClass
                observe(request, attempt: policy.attempts + 1, status: nil, failure: failed, since: sent)
                log("← failed \(request.method) \(request.path) (\((clock.now() - sent).inMilliseconds) ms): \(failure.summary)")
                func transportError(_ message: String) -> APIError {
                    APIError(kind: .transport, method: request.method, path: request.path, message: message)
                }
                switch failure {
                case .notSent(let message): outcome = .notSent(transportError(message))
                case .maybeSent(let message): outcome = .maybeSent(transportError(message))
                case .fatal(let message): outcome = .fatal(transportError(message))
                case .invalidResponse(let message):
                    throw redact(
                        APIError(
                            kind: isWrite ? .outcomeUnknown : .invalidResponse, method: request.method,
                            path: request.path, message: message, attempts: policy.attempts + 1))
                case .cancelled:
                    throw APIError(
                        kind: isWrite ? .outcomeUnknown : .transport, method: request.method, path: request.path,
                        message: isWrite ? "cancelled while the request was in flight; it may have been processed" : "cancelled",
                        attempts: policy.attempts + 1)
                }
            }

            lastError = outcome.error
            switch policy.decide(for: outcome, elapsed: clock.now() - began) {
            case .fail(let error):
                throw redact(error)
            case .retry(let delay):
                callCounter.recordRetry()
                observeRetry(request, outcome: outcome, failed: failed, attempt: policy.attempts + 1, delay: delay)
                log(
                    "… retrying \(request.method) \(request.path) in \(RetryPolicy.format(delay)) (attempt \(policy.attempts + 1) of \(configuration.maxAttempts))"
                )
                do {
                    // A 429's pause is the scheduler's, for every request at once.
                    if case .response(429, _, _) = outcome {} else { try await clock.sleep(delay) }
                } catch {
                    throw APIError(
                        kind: .transport, method: request.method, path: request.path,
                        message: "cancelled while waiting to retry", attempts: policy.attempts)
                }
            }
        }
    }

    private func headers(for request: APIRequest) -> [(name: String, value: String)] {
        var headers = [
            (name: "Authorization", value: authorization),
            (name: "Accept", value: "application/json"),
            (name: "User-Agent", value: configuration.userAgent),
        ]
        if request.body != nil { headers.append((name: "Content-Type", value: "application/json")) }
        return headers
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

    /// An `.http` error with the API's `code` and `message` when the body has
    /// them (any JSON or none is tolerated).
    private func httpError(_ response: TransportResponse, _ request: APIRequest) -> APIError {
        let body = ErrorBody.parse(response.body)
        let reason = HTTPResponseStatus(statusCode: response.status).reasonPhrase
        return APIError(
            kind: .http, method: request.method, path: request.path, status: response.status, code: body.code,
            message: body.message ?? (reason.isEmpty ? "HTTP \(response.status)" : reason))
    }

    private func observe(_ request: APIRequest, attempt: Int, status: Int?, failure: FailureClass?, since sent: Duration) {
        guard let observer = configuration.observer else { return }
        observer(
            .attempt(
                AttemptRecord(
                    endpoint: request.endpoint, poolID: request.poolID, attempt: attempt, status: status, failure: failure,
                    durationMS: (clock.now() - sent).inMilliseconds)))
    }

    private func observeRetry(_ request: APIRequest, outcome: RetryPolicy.Outcome, failed: FailureClass?, attempt: Int, delay: Duration) {
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

    private func log(_ line: @autoclosure () -> String) {
        guard let debugLog = configuration.debugLog else { return }
        debugLog(redact(line()))
    }
}

extension TransportFailure {
    var summary: String {
        switch self {
        case .notSent(let message), .maybeSent(let message), .fatal(let message), .invalidResponse(let message): message
        case .cancelled: "cancelled"
        }
    }
}

// MARK: Wire shape of errors

/// The useful parts of an error body: `{"code","message","moreInfo","status"}`
/// when the API sends it, else a short excerpt of whatever came.
struct ErrorBody: Equatable {
    var code: Int?
    var message: String?

    static func parse(_ data: Data) -> ErrorBody {
        let object = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any]
        if let object {
            let code = (object["code"] as? Int) ?? (object["code"] as? String).flatMap { Int($0) }
            let message = (object["message"] as? String).map(excerpt) ?? (object["detail"] as? String).map(excerpt)
            if message != nil || code != nil { return ErrorBody(code: code, message: message) }
        }
        let text = excerpt(String(decoding: data, as: UTF8.self))
        return ErrorBody(code: nil, message: text.isEmpty ? nil : text)
    }

    /// One line of at most 300 characters, so an HTML error page stays readable.
    static func excerpt(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.count > 300 ? line.prefix(300) + "…" : line
    }
}

extension HTTPCommsAPI: ServerClock {
    public func estimatedServerTime() -> Date? { serverDate.estimate(now: clock.now()) }
}

// A client's default rendering would walk into its credentials and its
// event loops; show only what is safe and useful.
extension HTTPCommsAPI: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "HTTPCommsAPI(baseURL: \(baseURL), credentials: \(configuration.credentials))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "credentials": configuration.credentials], displayStyle: .struct)
    }
}

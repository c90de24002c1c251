import Foundation
import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import PoolctlModel
import Synchronization
import Testing

// The contract suite: the live client (`HTTPCommsAPI`, AsyncHTTPClient) against
// the emulator (`makeEmulatorApplication`) on a real loopback socket.

// MARK: - Fixtures

let accountSID = "ACcontract0123456789"
let authToken = "contract-auth-token-5b1e"
let goodCredentials = Credentials(username: accountSID, secret: authToken, kind: .accountSID)

/// Three explicit senders: s1 and s2 share a second (tie broken by id), s3 is later.
let knownSenders: [Sender] = [
    Sender(
        id: "comms_sender_01h9krwprkeee8fzqspvwy6nq1", displayName: "One", address: "+14155550101", channel: .sms,
        status: .activated, tags: [:], createdAt: "2023-06-01T00:00:00Z", updatedAt: "2023-06-01T00:00:00Z"),
    Sender(
        id: "comms_sender_01h9krwprkeee8fzqspvwy6nq2", displayName: nil, address: "two@example.com", channel: .email,
        status: .activated, tags: ["team": "mail"], createdAt: "2023-06-01T00:00:00Z", updatedAt: "2023-06-02T00:00:00Z"),
    Sender(
        id: "comms_sender_01h9krwprkeee8fzqspvwy6nq3", displayName: "Three", address: "+14155550103", channel: .sms,
        status: .deactivated, tags: [:], createdAt: "2023-06-05T12:00:00Z", updatedAt: "2023-06-05T12:00:00Z"),
]
let s1 = knownSenders[0].id
let s2 = knownSenders[1].id
let s3 = knownSenders[2].id
/// Well-formed, but in no inventory.
let strangerID = "comms_sender_01h9krwprkeee8fzqspvwy6zzz"
let unknownPoolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
let unknownOperationID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"

/// The known senders plus 20 synthetic ones (created 2024-01-01T00:00:01Z onwards).
let standardSeed = EmulatorSeed(senders: knownSenders, generatedSenders: 20)
let syntheticSenders = EmulatorSeed.syntheticSenders(count: 20)

/// 2025-01-01T00:00:00Z, where every `ManualClock` starts.
let clockStart = "2025-01-01T00:00:00Z"

// MARK: - Harness

/// A running emulator and a live client talking to it.
struct Contract: Sendable {
    /// `http://127.0.0.1:PORT`, as reported by `onListening`.
    let url: String
    let store: EmulatorStore
    let responder: EmulatorResponder
    let api: HTTPCommsAPI
    let log: LogLines
    /// The emulator's clock, when the test drives time.
    let clock: ManualClock?

    var counter: CallCounter { api.callCounter }
    /// What `GET /_emulator/requests` serves.
    var requestLog: EmulatorRequestLog { responder.requestLog }

    /// A second client on the same emulator (e.g. with other credentials);
    /// `withClient` shuts it down.
    func withClient(
        _ credentials: Credentials, maxAttempts: Int = 5, requestTimeout: Duration = .seconds(10),
        callDeadline: Duration = .seconds(20), log: LogLines? = nil,
        _ body: (HTTPCommsAPI) async throws -> Void
    ) async throws {
        let client = try makeClient(
            url, credentials: credentials, maxAttempts: maxAttempts, requestTimeout: requestTimeout,
            callDeadline: callDeadline, log: log ?? LogLines())
        try await withShutdown(client) { try await body(client) }
    }

    /// Pool id made by a create, found with the `operationId` filter.
    func poolID(createdBy accepted: OperationAccepted) async throws -> String {
        let operationID = try #require(accepted.operationId)
        let page = try await api.listSenderPools(SenderPoolQuery(operationId: operationID))
        return try #require(page.items.first?.id, "no pool for operation \(operationID)")
    }

    /// Moves the emulator's clock (operations settle on the next request).
    func advance(seconds: Double) {
        guard let clock else {
            Issue.record("this contract runs on the system clock")
            return
        }
        clock.advance(seconds: seconds)
    }
}

/// Lines received by the client's `debugLog`.
final class LogLines: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var lines: [String] { storage.withLock { $0 } }
}

func makeClient(
    _ url: String, credentials: Credentials = goodCredentials, maxAttempts: Int = 5,
    requestTimeout: Duration = .seconds(10), callDeadline: Duration = .seconds(20), log: LogLines
) throws -> HTTPCommsAPI {
    let configuration = HTTPClientConfiguration(
        credentials: credentials, baseURL: url,
        requestTimeout: requestTimeout, callDeadline: callDeadline, maxAttempts: maxAttempts,
        backoff: Backoff(initial: .milliseconds(5), cap: .milliseconds(50), jitter: .full),
        debugLog: { log.append($0) }, userAgent: "poolctl-contract-tests")
    return try HTTPCommsAPI(configuration: configuration)
}

/// Runs `body`, then shuts the client down whether or not `body` threw.
func withShutdown(_ client: HTTPCommsAPI, _ body: () async throws -> Void) async throws {
    let outcome: Result<Void, any Error>
    do {
        try await body()
        outcome = .success(())
    } catch {
        outcome = .failure(error)
    }
    do {
        try await client.shutdown()
    } catch {
        Issue.record("client shutdown failed: \(error)")
    }
    try outcome.get()
}

struct EmulatorDidNotStart: Error, CustomStringConvertible {
    var description: String
}

/// Starts the emulator on 127.0.0.1:0, waits for its URL (no sleeping), runs
/// `body` with a client, then shuts the client down and stops the server,
/// on every path.
///
/// `clock`: a `ManualClock` makes time (operations, timestamps) move only
/// when the test says so; nil runs on the system clock.
func withContract(
    _ configuration: EmulatorConfiguration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken),
    seed: EmulatorSeed = standardSeed,
    clock: ManualClock? = ManualClock(),
    maxAttempts: Int = 5,
    _ body: (Contract) async throws -> Void
) async throws {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    #expect(configuration.problems().isEmpty)
    let store = try EmulatorStore(seed: seed, configuration: configuration, clock: clock?.clock ?? .system)

    let (urls, continuation) = AsyncStream.makeStream(of: String.self)
    let app = makeEmulatorApplication(configuration, store: store) { url in
        continuation.yield(url)
        continuation.finish()
    }
    let responder = app.responder
    let server = Task {
        // Ends the stream if the server stops (or never binds) before listening.
        defer { continuation.finish() }
        try await app.run()
    }
    func stopServer() async {
        server.cancel()
        if case .failure(let error) = await server.result, !(error is CancellationError) {
            // A clean stop after cancellation is expected; anything else is worth seeing.
            Issue.record("emulator stopped with \(error)")
        }
    }

    var iterator = urls.makeAsyncIterator()
    guard let url = await iterator.next() else {
        await stopServer()
        throw EmulatorDidNotStart(description: "the emulator stopped before listening")
    }
    #expect(url.hasPrefix("http://127.0.0.1:") && !url.hasSuffix(":0"), "bound URL \(url)")

    let log = LogLines()
    let api: HTTPCommsAPI
    do {
        api = try makeClient(url, maxAttempts: maxAttempts, log: log)
    } catch {
        await stopServer()
        throw error
    }
    let contract = Contract(url: url, store: store, responder: responder, api: api, log: log, clock: clock)
    do {
        try await withShutdown(api) { try await body(contract) }
    } catch {
        await stopServer()
        throw error
    }
    await stopServer()
}

// MARK: - Assertions

/// The `APIError` thrown by `body`, or nil (with an issue) when it succeeds
/// or throws something else.
func apiError(
    _ comment: Comment? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> APIError? {
    do {
        try await body()
        Issue.record("expected an APIError\(comment.map { ": \($0)" } ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as APIError {
        return error
    } catch {
        Issue.record("not an APIError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Checks an `.http` error from the emulator: status, its code, method and path.
@discardableResult
func expectHTTPError(
    _ status: Int, _ method: String, _ path: String, messageContains: String? = nil,
    sourceLocation: Testing.SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async -> APIError? {
    guard let error = await apiError("\(method) \(path) should fail with \(status)", sourceLocation: sourceLocation, body) else {
        return nil
    }
    #expect(error.kind == .http, "\(error)", sourceLocation: sourceLocation)
    #expect(error.status == status, "\(error)", sourceLocation: sourceLocation)
    #expect(error.code == EmulatorErrors.code(for: status), "\(error)", sourceLocation: sourceLocation)
    #expect(error.method == method, "\(error)", sourceLocation: sourceLocation)
    #expect(error.path == path, "\(error)", sourceLocation: sourceLocation)
    #expect(error.attempts == 1, "\(error)", sourceLocation: sourceLocation)
    #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    if let messageContains {
        #expect(error.message.contains(messageContains), "message: \(error.message)", sourceLocation: sourceLocation)
    }
    #expect(
        error.description.hasPrefix("\(method) \(path): HTTP \(status) (code \(EmulatorErrors.code(for: status))): "),
        sourceLocation: sourceLocation)
    return error
}

/// Stats invariants of the decisions: total = queued + created + failed;
/// PROCESSING queues everything, terminal queues nothing.
func expectConsistent(_ operation: SenderPoolOperation, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let stats = operation.stats
    #expect(stats.total == stats.queued + stats.created + stats.failed, "\(operation)", sourceLocation: sourceLocation)
    if operation.status == .processing {
        #expect(stats.queued == stats.total && stats.created == 0 && stats.failed == 0, "\(operation)", sourceLocation: sourceLocation)
    } else {
        #expect(stats.queued == 0, "\(operation)", sourceLocation: sourceLocation)
    }
    #expect(operation.createdAt <= operation.updatedAt, sourceLocation: sourceLocation)
}

/// `YYYY-MM-DDThh:mm:ssZ`, `seconds` after `clockStart`.
func stamp(afterStart seconds: Int) -> String {
    let date = Date(timeIntervalSince1970: 1_735_689_600 + TimeInterval(seconds))
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: date)
}

/// The emulator's counts keyed by `Endpoint`.
func byEndpoint(_ log: EmulatorRequestLog) -> [Endpoint: Int] {
    var result: [Endpoint: Int] = [:]
    for (key, count) in log.byEndpoint {
        guard let endpoint = Endpoint(rawValue: key) else {
            Issue.record("unknown endpoint key \(key) in the request log")
            continue
        }
        result[endpoint] = count
    }
    return result
}

/// Response headers the client logged (`← STATUS METHOD PATH (… ms)` then
/// `  Name: value` lines), one dictionary per matching response, names lowercased.
func responseHeaders(_ log: LogLines, status: Int, _ method: String, _ path: String) -> [[String: String]] {
    var result: [[String: String]] = []
    var current: [String: String]?
    for line in log.lines {
        if line.hasPrefix("  "), current != nil {
            let header = line.dropFirst(2)
            if let colon = header.firstIndex(of: ":") {
                current?[header[..<colon].lowercased()] = String(header[header.index(after: colon)...].drop { $0 == " " })
            }
            continue
        }
        if let headers = current { result.append(headers) }
        current = line.hasPrefix("← \(status) \(method) \(path) (") ? [:] : nil
    }
    if let headers = current { result.append(headers) }
    return result
}

/// Polls `condition` every 5 ms for up to `limit`; true once it holds. Only for
/// work the emulator does after the client has stopped waiting for it (a
/// request the client timed out on), where there is nothing to await.
func eventually(limit: Duration = .seconds(5), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

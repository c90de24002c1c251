import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization

@testable import PoolctlAPIHTTP

/// Secrets used by every test; asserted absent from all output.
let testSecret = "s3cr3t-Token-9f8e7d"
let testUsername = "SKabcdef0123456789"
let testCredentials = Credentials(username: testUsername, secret: testSecret, kind: .apiKey)
/// The base64 `user:secret` that goes into the Authorization header.
let testBasicToken = Data("\(testUsername):\(testSecret)".utf8).base64EncodedString()

/// True when `text` leaks the secret in any form we know of.
func leaks(_ text: String) -> Bool {
    text.contains(testSecret) || text.contains(testBasicToken)
}

/// Every textual form of a value: description, reflection and `dump`.
func allRenderings(_ value: Any) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [String(describing: value), String(reflecting: value), dumped, "\(value)"]
}

/// A transport that plays a script, one step per attempt, and records what
/// was sent. An unscripted attempt fails the test with a `.fatal` failure.
final class ScriptedTransport: HTTPTransport {
    enum Step: Sendable {
        case respond(Int, headers: [(name: String, value: String)] = [], body: String = "", takes: Duration = .milliseconds(12))
        case fail(TransportFailure, takes: Duration = .milliseconds(5))
    }

    struct Sent: Sendable {
        var request: TransportRequest
        var timeout: Duration
    }

    let clock: ManualClock
    private let state: Mutex<(steps: [Step], sent: [Sent])>

    init(clock: ManualClock, _ steps: [Step]) {
        self.clock = clock
        self.state = Mutex((steps, []))
    }

    var sent: [Sent] { state.withLock { $0.sent } }

    func send(_ request: TransportRequest, timeout: Duration) async throws(TransportFailure) -> TransportResponse {
        let step = state.withLock { state -> Step? in
            state.sent.append(Sent(request: request, timeout: timeout))
            return state.steps.isEmpty ? nil : state.steps.removeFirst()
        }
        switch step {
        case .respond(let status, let headers, let body, let takes)?:
            clock.advance(by: takes)
            return TransportResponse(status: status, headers: headers, body: Data(body.utf8))
        case .fail(let failure, let takes)?:
            clock.advance(by: takes)
            throw failure
        case nil:
            throw .fatal("unscripted request \(request.method) \(request.url)")
        }
    }

    func shutdown() async throws {}
}

/// Collects `debugLog` lines.
final class LogSink: Sendable {
    private let state = Mutex<[String]>([])
    var lines: [String] { state.withLock { $0 } }
    var log: @Sendable (String) -> Void { { line in self.state.withLock { $0.append(line) } } }
}

/// A client on a scripted transport and a fake clock.
struct Harness {
    let clock = ManualClock()
    let transport: ScriptedTransport
    let counter = CallCounter()
    let logs = LogSink()
    let api: HTTPCommsAPI

    init(_ steps: [ScriptedTransport.Step], configure: (inout HTTPClientConfiguration) -> Void = { _ in }) throws {
        transport = ScriptedTransport(clock: clock, steps)
        var configuration = HTTPClientConfiguration(credentials: testCredentials, baseURL: "https://comms.example.test")
        configuration.debugLog = logs.log
        configure(&configuration)
        api = try HTTPCommsAPI(
            configuration: configuration, callCounter: counter, transport: transport, clock: clock.clock, random: { 0.5 })
    }
}

/// Runs `body` and returns the `APIError` it throws, or nil.
func apiError(_ body: () async throws -> Void) async -> APIError? {
    do {
        try await body()
        return nil
    } catch let error as APIError {
        return error
    } catch {
        return APIError(kind: .transport, message: "not an APIError: \(error)")
    }
}

let poolJSON = """
    {"id":"comms_senderpool_01h9krwprkeee8fzqspvwy6nq8","name":"Sales","tags":{"poolctl":"marketing.sales"},
     "createdAt":"2024-01-15T09:30:00Z","updatedAt":"2024-01-15T09:30:00Z","futureField":{"x":1}}
    """

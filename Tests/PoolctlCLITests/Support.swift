import Foundation
import PoolctlAPI
import PoolctlCLI
import PoolctlEmulator
import PoolctlModel
import Synchronization
import Testing

let accountSID = "ACcli0123456789"
let authToken = "cli-auth-token-7f3a9c"
let s1 = "comms_sender_01h9krwprkeee8fzqspvwy6nq1"
let s2 = "comms_sender_01h9krwprkeee8fzqspvwy6nq2"
/// Well-formed, but in no inventory: the emulator counts it as failed.
let strangerID = "comms_sender_01h9krwprkeee8fzqspvwy6zzz"

let twoSenders = """
    senders:
      - {id: \(s1), address: "+14155550101", channel: SMS, status: ACTIVATED, displayName: One, tags: {}}
      - {id: \(s2), address: "+14155550102", channel: SMS, status: ACTIVATED, displayName: Two, tags: {}}
    """

/// What one in-process run of poolctl returned and wrote.
struct Outcome: CustomStringConvertible {
    var code: PoolctlCLI.ExitCode
    var stdout: String
    var stderr: String
    var description: String { "exit \(code.rawValue)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
}

/// Text written to one injected stream. `lines()` also hands each whole
/// line over as it is written, so a test can wait for an event of a run
/// still going instead of guessing with time.
final class Captured: Sendable {
    private let text = Mutex("")
    private let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream() }

    var value: String { text.withLock { $0 } }
    var console: Console {
        Console { written in
            self.text.withLock { $0 += written }
            for line in written.split(separator: "\n") { self.continuation.yield(String(line)) }
        }
    }

    /// Every line written so far and from now on (one consumer); it ends
    /// when the run that writes here returns.
    var lines: AsyncStream<String> { stream }

    func finish() { continuation.finish() }
}

/// Runs poolctl in-process with captured streams and only the given environment.
func poolctl(
    _ arguments: [String], environment: [String: String] = [:], readAnswer: (@Sendable () -> String?)? = nil,
    stderr: Captured = Captured(), retryBackoff: Backoff = .apiRetries
) async -> Outcome {
    let stdout = Captured()
    var context = CommandContext(stdout: stdout.console, stderr: stderr.console, environment: environment, readAnswer: readAnswer)
    context.retryBackoff = retryBackoff
    let code = await PoolctlMain.run(arguments: arguments, context: context)
    stderr.finish()
    return Outcome(code: code, stdout: stdout.value, stderr: stderr.value)
}

/// A fresh directory with the given files, removed after `body`.
func withFiles<T>(_ files: [String: String], _ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, text) in files {
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    return try await body(directory)
}

/// A manifest of stack `web` with one pool per key.
func manifest(_ pools: [String: String]) -> String {
    "apiVersion: poolctl/v1\nstack: web\npools:\n"
        + pools.keys.sorted().map { "  \($0):\n    \(pools[$0]!)\n" }.joined()
}

/// A running emulator: its URL, its store, and the environment that points
/// poolctl at it.
struct Emulator: Sendable {
    let url: String
    let store: EmulatorStore

    var environment: [String: String] {
        ["POOLCTL_API_URL": url, "TWILIO_ACCOUNT_SID": accountSID, "TWILIO_AUTH_TOKEN": authToken]
    }
}

struct EmulatorDidNotStart: Error {}

/// Starts the emulator in-process on 127.0.0.1:0 (operations finish at
/// once), waits for its URL without sleeping, runs `body`, and stops it.
/// `configure` injects faults (rate limit, errors); `clock` is the store's
/// (a `ManualClock` holds operations PROCESSING until the test advances it).
func withEmulator(
    seed: String = twoSenders, clock: PoolctlClock = .system, configure: (inout EmulatorConfiguration) -> Void = { _ in },
    _ body: (Emulator) async throws -> Void
) async throws {
    var configuration = EmulatorConfiguration(host: "127.0.0.1", port: 0, accountSID: accountSID, authToken: authToken, operationDelayMS: 0)
    configure(&configuration)
    let store = try EmulatorStore(seed: EmulatorSeed.parse(Array(seed.utf8)), configuration: configuration, clock: clock)
    let (urls, continuation) = AsyncStream.makeStream(of: String.self)
    let app = makeEmulatorApplication(configuration, store: store) { url in
        continuation.yield(url)
        continuation.finish()
    }
    let server = Task {
        // Ends the stream if the server stops (or never binds) before listening.
        defer { continuation.finish() }
        try await app.run()
    }
    defer { server.cancel() }
    var iterator = urls.makeAsyncIterator()
    guard let url = await iterator.next() else { throw EmulatorDidNotStart() }
    try await body(Emulator(url: url, store: store))
    server.cancel()
    _ = await server.result
}

import ArgumentParser
import Foundation
import PoolctlEmulator
import PoolctlRender

struct EmulatorCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Serve a faithful local copy of the SenderPools API, with injectable faults.",
        discussion: """
            Prints its base URL as the first line on stdout, then serves until SIGINT or SIGTERM. \
            Point poolctl at it with --api-url URL or POOLCTL_API_URL=URL, with any non-empty \
            TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN (or exactly --account-sid/--auth-token when given).

            Admin endpoints (no auth, never faulted): GET /_emulator/state, POST /_emulator/reset, \
            GET /_emulator/requests, GET /_emulator/writes (every write that took effect, with its actor \
            and the target pool's tags before and after). Behaviour where the public docs are silent: \
            schema/API-DECISIONS.md.

            Exit codes:
              \(ExitCode.success.rawValue)  stopped by SIGINT or SIGTERM
              \(ExitCode.error.rawValue)  bad seed file, bad options, or the port is in use
            """
    )

    @Option(help: "Address to listen on. Keep it on loopback.")
    var host = "127.0.0.1"

    @Option(parsing: .unconditional, help: "Port; 0 picks a free one.")
    var port = 0

    @Option(help: ArgumentHelp("Seed file: sender inventory and pre-existing pools (YAML).", valueName: "file"))
    var seed: String?

    @Option(name: .customLong("account-sid"), help: "Accept only this Basic username (with --auth-token).")
    var accountSID: String?

    @Option(name: .customLong("auth-token"), help: "Accept only this Basic password (with --account-sid).")
    var authToken: String?

    @Option(
        name: .customLong("operation-delay"), parsing: .unconditional,
        help: ArgumentHelp("How long operations stay PROCESSING, in ms.", valueName: "ms"))
    var operationDelay = 200

    @Option(parsing: .unconditional, help: ArgumentHelp("Latency added to each /v1 response, in ms.", valueName: "ms"))
    var latency = 0

    @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests per second before 429 (token bucket).", valueName: "rps"))
    var rateLimit: Double?

    @Option(name: .customLong("error-rate"), help: ArgumentHelp("Probability of a 500/503 before doing anything.", valueName: "p"))
    var errorRate = 0.0

    @Option(
        name: .customLong("reset-after-write-rate"),
        help: ArgumentHelp("Probability of applying a write, then dropping the connection.", valueName: "p"))
    var resetAfterWriteRate = 0.0

    @Option(
        name: .customLong("cancel-rate"),
        help: ArgumentHelp("Probability that an operation ends CANCELED without applying.", valueName: "p"))
    var cancelRate = 0.0

    @Option(name: .customLong("random-seed"), help: "Seed of the fault generator and background writer, for reproducible runs.")
    var randomSeed: UInt64 = 0

    @Option(
        name: .customLong("background-writes"),
        help: ArgumentHelp(
            "Another user's automation: on average RATE creates and deletes of its own foreign pools (bg-NNNN) before each /v1 request (0..100).",
            valueName: "rate"))
    var backgroundWrites = 0.0

    @Option(
        name: .customLong("behavior"),
        help: ArgumentHelp(
            "An answer to an open API question, NAME=VALUE (repeatable): \(EmulatorBehaviors.names.map { "\($0.name)=\($0.values)" }.joined(separator: ", ")). See schema/API-DECISIONS.md.",
            valueName: "name=value"))
    var behavior: [String] = []

    func validate() throws {
        if (accountSID == nil) != (authToken == nil) {
            throw ValidationError("--account-sid and --auth-token go together")
        }
    }

    func run(in context: CommandContext) async throws {
        let behaviors: EmulatorBehaviors
        do {
            behaviors = try EmulatorBehaviors(parsing: behavior)
        } catch {
            throw CommandFailure(message: "poolctl emulator: \(error)", exitCode: .error)
        }
        let configuration = EmulatorConfiguration(
            host: host, port: port, seedPath: seed, accountSID: accountSID, authToken: authToken,
            operationDelayMS: operationDelay, latencyMS: latency, rateLimit: rateLimit, errorRate: errorRate,
            resetAfterWriteRate: resetAfterWriteRate, cancelRate: cancelRate, randomSeed: randomSeed,
            backgroundWrites: backgroundWrites, behaviors: behaviors)
        let problems = configuration.problems()
        guard problems.isEmpty else {
            throw CommandFailure(message: problems.map { "poolctl emulator: \($0)" }.joined(separator: "\n"), exitCode: .error)
        }
        let store: EmulatorStore
        do {
            store = try EmulatorStore(configuration: configuration)
        } catch {
            // One line per problem; each quotes the seed's values, which may hold control characters.
            throw CommandFailure(
                message: error.lines.map { "poolctl emulator: " + Printable.text($0) }.joined(separator: "\n"), exitCode: .error)
        }
        let summary = store.summary
        let stdout = context.stdout
        let stderr = context.stderr
        do {
            let exposed = !Self.isLoopback(host)
            let open = accountSID == nil
            try await EmulatorServer.run(configuration, store: store) { url in
                // The first stdout line is the base URL, for scripts.
                stdout.write(url + "\n")
                stderr.write("poolctl emulator: \(summary)\n")
                if exposed {
                    stderr.write(
                        "poolctl emulator: warning: \(url) is not a loopback address: other machines can reach it\(open ? ", and without --account-sid and --auth-token it accepts any credentials" : "")\n"
                    )
                }
            }
        } catch {
            throw CommandFailure(message: "poolctl emulator: \(error)", exitCode: .error)
        }
    }

    /// 127.0.0.0/8, ::1 and localhost: reachable from this machine only. An
    /// address is parsed, so a host name such as `127.example.com` is not one.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { $0.elementsEqual([UInt8](repeating: 0, count: 15) + [1]) }
        }
        return false
    }
}

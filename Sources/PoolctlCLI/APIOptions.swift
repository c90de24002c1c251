import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlAPIHTTP

/// Options of every command that talks to the API.
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("api-url"), help: ArgumentHelp(
        "Base URL of the Comms API (default: $POOLCTL_API_URL, else https://comms.twilio.com). Plain http:// only for loopback hosts.",
        valueName: "url"))
    var apiURL: String?

    @Flag(help: "Log every HTTP request and response to stderr (credentials redacted).")
    var debug = false

    @Option(help: "Pools read or changed at once.")
    var parallelism = 16

    func validate() throws {
        guard parallelism >= 1, parallelism <= 256 else {
            throw ValidationError("--parallelism must be between 1 and 256")
        }
    }

    /// The live client, from the environment's credentials.
    func makeClient(counter: CallCounter) throws -> HTTPCommsAPI {
        let environment = ProcessInfo.processInfo.environment
        let credentials = try Credentials.fromEnvironment(environment)
        let baseURL = apiURL ?? environment["POOLCTL_API_URL"] ?? HTTPClientConfiguration.defaultBaseURL
        var log: (@Sendable (String) -> Void)?
        if debug {
            log = { @Sendable line in Console.standardError.write("debug: \(line)\n") }
        }
        let configuration = HTTPClientConfiguration(credentials: credentials, baseURL: baseURL, debugLog: log)
        return try HTTPCommsAPI(configuration: configuration, callCounter: counter)
    }
}

/// Output options shared by plan and show.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

extension Console {
    /// Colour only on a terminal, and never with NO_COLOR set.
    var wantsColor: Bool {
        isTerminal && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
}

/// Runs `body` with a live client and always shuts the client down.
func withClient<T>(_ options: APIOptions, counter: CallCounter, _ body: (HTTPCommsAPI) async throws -> T) async throws -> T {
    let client = try options.makeClient(counter: counter)
    do {
        let value = try await body(client)
        try? await client.shutdown()
        return value
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// `15m`, `90s`, `1h`, `500ms`, or plain seconds.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where argument.hasSuffix(suffix) {
            let number = argument.dropLast(suffix.count)
            // "ms" must not be read as minutes of "…m"+"s".
            if suffix == "s", number.hasSuffix("m") { continue }
            guard let value = Double(number), value > 0 else { return nil }
            duration = .milliseconds(Int64(value * scale * 1000))
            return
        }
        guard let value = Double(argument), value > 0 else { return nil }
        duration = .milliseconds(Int64(value * 1000))
    }
}

import ArgumentParser
import PoolctlAPIHTTP
import PoolctlEngine

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

    /// The live client, from the context's credentials and API URL.
    func makeClient(context: CommandContext) throws -> HTTPCommsAPI {
        let credentials = try Credentials.fromEnvironment(context.environment)
        let baseURL = apiURL ?? context.environment["POOLCTL_API_URL"] ?? HTTPClientConfiguration.defaultBaseURL
        var log: (@Sendable (String) -> Void)?
        if debug {
            let stderr = context.stderr
            log = { @Sendable line in stderr.write("debug: \(line)\n") }
        }
        let configuration = HTTPClientConfiguration(credentials: credentials, baseURL: baseURL, debugLog: log)
        return try HTTPCommsAPI(configuration: configuration)
    }

    /// Runs `body` with a workflow over the live client, which counts its
    /// calls, and always shuts the client down.
    func withWorkflow<T>(
        context: CommandContext, timeout: Duration = ApplyOptions().timeout, maxBatch: Int? = nil, _ body: (Workflow) async throws -> T
    ) async throws -> T {
        let client = try makeClient(context: context)
        var workflow = Workflow(api: client, calls: client.callCounter, parallelism: parallelism, timeout: timeout)
        workflow.maxBatch = maxBatch
        do {
            let value = try await body(workflow)
            try? await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

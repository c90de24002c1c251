import ArgumentParser
import PoolctlAPIHTTP
import PoolctlEngine

/// Options of every command that talks to the API.
struct APIOptions: ParsableArguments {
    @Option(
        name: .customLong("api-url"),
        help: ArgumentHelp(
            "Base URL of the Comms API (default: $POOLCTL_API_URL, else https://comms.twilio.com). Plain http:// only for loopback hosts. Reached through $HTTPS_PROXY unless $NO_PROXY names its host (never for loopback).",
            valueName: "url"))
    var apiURL: String?

    @Flag(help: "Log every HTTP request and response to stderr (credentials redacted).")
    var debug = false

    @Option(
        parsing: .unconditional,
        help:
            "API requests in flight at most (plan and export: pools' member lists read at once; apply: its reads and writes, and a pool waiting on an operation holds none)."
    )
    var parallelism = 16

    @Option(
        name: .customLong("max-rps"), parsing: .unconditional,
        help: ArgumentHelp(
            "Requests per second at most. Without it requests start 2 at a time, one more per answer up to --parallelism, until the server's first 429; then a 429 halves the rate and pauses every request for Retry-After.",
            valueName: "rate"))
    var maxRPS: Double?

    @Option(
        name: .customLong("max-retry-after"), parsing: .unconditional,
        help: ArgumentHelp(
            "The longest Retry-After honoured on a 429 or 503, e.g. 30s (longer ones are cut to it); the wait still counts against the call's deadline (apply: --timeout).",
            valueName: "duration"))
    var maxRetryAfter = DurationArgument(argument: "60s")!

    func validate() throws {
        guard parallelism >= 1, parallelism <= 256 else {
            throw ValidationError("--parallelism must be between 1 and 256")
        }
        // Below one request per 100 s a wait no longer fits the clock's arithmetic, and no apply would end.
        if let maxRPS, !(maxRPS >= 0.01 && maxRPS.isFinite) {
            throw ValidationError("--max-rps must be a number of at least 0.01 (one request per 100 s)")
        }
    }

    /// Attempts per call for apply: a GET, PATCH or DELETE given up leaves
    /// the apply partial, and apply's reads have already shown that the API
    /// answers. Under 20% failed attempts (10% 5xx, 10% resets after writes)
    /// 5 attempts give up on about 1 call in 4,000, which a 20-pool apply
    /// meets about once in 25 runs; 8 make it about 1 in 600,000, as for the
    /// repeats of an unknown create (`ApplyOptions.createRetries`). Plan,
    /// export, drift and unlock keep the client's 5, so that an API that is
    /// down or a wrong URL fails fast.
    static let applyAttempts = 8

    /// The live client, from the context's credentials and API URL.
    /// `callDeadline`: how long one call may wait out 429s (apply passes its timeout).
    /// `attempts`: per call, the first included (nil: the client's default).
    /// `observer`: receives every attempt and retry (`apply --log-format ndjson`).
    func makeClient(
        context: CommandContext, callDeadline: Duration? = nil, attempts: Int? = nil, observer: RequestObserver? = nil
    ) throws -> HTTPCommsAPI {
        let credentials = try Credentials.fromEnvironment(context.environment)
        // The other pair is used; a half-set one is most likely a typo. (ndjson's stderr is events only.)
        if observer == nil {
            for problem in Credentials.halfSetPairs(context.environment) {
                context.stderr.write(
                    "poolctl: warning: \(problem); using the \(credentials.kind == .apiKey ? "API key" : "Account SID") pair\n")
            }
        }
        let baseURL = apiURL ?? context.environment["POOLCTL_API_URL"] ?? HTTPClientConfiguration.defaultBaseURL
        var log: (@Sendable (String) -> Void)?
        if debug {
            let stderr = context.stderr
            log = { @Sendable line in stderr.write("debug: \(line)\n") }
        }
        var configuration = HTTPClientConfiguration(credentials: credentials, baseURL: baseURL, debugLog: log)
        configuration.proxy = try ProxySettings.fromEnvironment(context.environment, baseURL: baseURL)
        if let proxy = configuration.proxy { log?("reaching the API through the proxy at \(proxy)") }
        configuration.observer = observer
        configuration.scheduling = RequestScheduler.Settings(maxInFlight: parallelism, maxRPS: maxRPS)
        configuration.maxRetryAfter = maxRetryAfter.duration
        configuration.backoff = context.retryBackoff
        if let attempts { configuration.maxAttempts = attempts }
        if let callDeadline { configuration.callDeadline = max(configuration.callDeadline, callDeadline) }
        if observer == nil {
            let clock = ContinuousClock()
            let start = clock.now
            let stderr = context.stderr
            configuration.observer =
                RateLimitNotice(deadline: configuration.callDeadline, now: { clock.now - start }, write: { stderr.write($0) }).observer
        }
        return try HTTPCommsAPI(configuration: configuration)
    }

    /// Runs `body` with a workflow over the live client, which counts its
    /// calls, and always shuts the client down.
    func withWorkflow<T>(
        context: CommandContext, timeout: Duration = ApplyOptions().timeout, attempts: Int? = nil, maxBatch: Int? = nil,
        observer: RequestObserver? = nil, _ body: (Workflow) async throws -> T
    ) async throws -> T {
        let client = try makeClient(context: context, callDeadline: timeout, attempts: attempts, observer: observer)
        // Requests are bounded by the client's scheduler; pools waiting on
        // operations hold no request slot, so many more run at once.
        var workflow = Workflow(
            api: client, calls: client.callCounter, parallelism: max(parallelism, Workflow.poolsAtOnce), timeout: timeout)
        workflow.refreshParallelism = parallelism
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

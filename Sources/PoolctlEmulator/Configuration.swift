import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Every option of `poolctl emulator`.
public struct EmulatorConfiguration: Sendable, Hashable {
    /// Address to listen on.
    public var host: String
    /// Port to listen on; 0 picks a free port.
    public var port: Int
    /// A seed file (YAML): inventory, synthetic senders and pre-existing pools.
    public var seedPath: String?
    /// When both are set, only this Basic pair is accepted; otherwise any
    /// non-empty `user:password`.
    public var accountSID: String?
    public var authToken: String?
    /// How long operations stay PROCESSING, in milliseconds.
    public var operationDelayMS: Int
    /// Added to every `/v1` response, in milliseconds.
    public var latencyMS: Int
    /// Requests per second allowed on `/v1` (token bucket, burst = one
    /// second's worth); beyond it, 429 with `Retry-After`. Nil: unlimited.
    public var rateLimit: Double?
    /// Probability that a `/v1` request fails with 500 or 503 before doing anything.
    public var errorRate: Double
    /// Probability that a successful write is applied and then the
    /// connection is dropped without a response.
    public var resetAfterWriteRate: Double
    /// Probability that an operation ends CANCELED without applying anything.
    public var cancelRate: Double
    /// Seeds every random choice (ids, faults, background writes), so runs
    /// are reproducible.
    public var randomSeed: UInt64
    /// Another user's automation: the expected number of foreign pool
    /// creates and deletes before each `/v1` request (Poisson, 0..100).
    public var backgroundWrites: Double
    /// Answers to the questions the docs leave open (`--behavior`).
    public var behaviors: EmulatorBehaviors

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        seedPath: String? = nil,
        accountSID: String? = nil,
        authToken: String? = nil,
        operationDelayMS: Int = 200,
        latencyMS: Int = 0,
        rateLimit: Double? = nil,
        errorRate: Double = 0,
        resetAfterWriteRate: Double = 0,
        cancelRate: Double = 0,
        randomSeed: UInt64 = 0,
        backgroundWrites: Double = 0,
        behaviors: EmulatorBehaviors = EmulatorBehaviors()
    ) {
        self.host = host
        self.port = port
        self.seedPath = seedPath
        self.accountSID = accountSID
        self.authToken = authToken
        self.operationDelayMS = operationDelayMS
        self.latencyMS = latencyMS
        self.rateLimit = rateLimit
        self.errorRate = errorRate
        self.resetAfterWriteRate = resetAfterWriteRate
        self.cancelRate = cancelRate
        self.randomSeed = randomSeed
        self.backgroundWrites = backgroundWrites
        self.behaviors = behaviors
    }

    /// Problems with the options, as messages naming the CLI flag; empty when valid.
    public func problems() -> [String] {
        var problems: [String] = []
        if host.isEmpty { problems.append("--host must not be empty") }
        if !(0...65535).contains(port) { problems.append("--port must be between 0 and 65535") }
        if (accountSID == nil) != (authToken == nil) {
            problems.append("--account-sid and --auth-token must be given together")
        }
        if let accountSID, accountSID.isEmpty || accountSID.contains(":") {
            problems.append("--account-sid must be non-empty and must not contain ':'")
        }
        if let authToken, authToken.isEmpty { problems.append("--auth-token must not be empty") }
        if operationDelayMS < 0 { problems.append("--operation-delay must be >= 0") }
        if latencyMS < 0 { problems.append("--latency must be >= 0") }
        if let rateLimit, !(rateLimit > 0 && rateLimit.isFinite) { problems.append("--rate-limit must be a positive number") }
        for (flag, value) in [
            ("--error-rate", errorRate), ("--reset-after-write-rate", resetAfterWriteRate), ("--cancel-rate", cancelRate),
        ]
        where !(value >= 0 && value <= 1) {
            problems.append("\(flag) must be between 0 and 1")
        }
        if !(backgroundWrites >= 0 && backgroundWrites <= EmulatorBackground.maxRate) {
            problems.append("--background-writes must be between 0 and \(Int(EmulatorBackground.maxRate))")
        }
        // Set in code rather than parsed from --behavior: the same ranges.
        if ![200, 202, 204].contains(behaviors.deleteStatus) { problems.append("--behavior delete-status must be 202, 204 or 200") }
        if !(1...FieldRules.maxSenders).contains(behaviors.addBatchLimit) {
            problems.append("--behavior add-batch-limit must be between 1 and \(FieldRules.maxSenders)")
        }
        if !(0...600_000).contains(behaviors.listLagMS) { problems.append("--behavior list-lag must be between 0 and 600000") }
        if !(1...1000).contains(behaviors.maxPageSize) { problems.append("--behavior max-page-size must be between 1 and 1000") }
        return problems
    }
}

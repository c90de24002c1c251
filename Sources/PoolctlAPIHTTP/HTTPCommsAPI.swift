import Foundation
import PoolctlAPI
import PoolctlModel

/// The live `CommsAPI`: the real Comms API, or a running emulator, over HTTP.
///
/// Every method makes one logical call: it counts and logs each attempt,
/// retries by `RetryPolicy`, and throws only `APIError`, with credentials
/// scrubbed (or the error of the task's `RetryGuard`, which stops a
/// repeat). It owns an `HTTPClient`: call `shutdown()` once done
/// (AsyncHTTPClient traps in debug builds when a client is released while
/// still running).
public struct HTTPCommsAPI: CommsAPI {
    public let configuration: HTTPClientConfiguration
    /// Every attempt, by endpoint, and every retry.
    public let callCounter: CallCounter
    /// The validated base URL, without a trailing slash.
    public let baseURL: String

    let transport: any HTTPTransport
    let clock: PoolctlClock
    /// Slots and rate for every attempt of every call of this client.
    public let scheduler: RequestScheduler
    let random: @Sendable () -> Double
    let redact: Redactor
    /// Encoded once: base64 of the credentials for every request was 0.5% of
    /// a 10,000-read plan.
    let authorization: String
    /// The server's `Date`, for `ServerClock`.
    let serverDate = ServerDateRecorder()
    /// Set by the first answer of any status.
    let contact = ServerContact()

    /// Throws `APIError` of kind `.invalidConfiguration` for a bad base URL
    /// (e.g. plain http to a non-loopback host). `clock` times deadlines and
    /// backoff waits and reads `Retry-After` dates; tests pass a manual one.
    public init(configuration: HTTPClientConfiguration, callCounter: CallCounter = CallCounter(), clock: PoolctlClock = .system) throws {
        // Validate before making the HTTP client: one that is never shut down traps.
        let baseURL = try configuration.validatedBaseURL()
        self.init(
            configuration: configuration, baseURL: baseURL, callCounter: callCounter,
            transport: AsyncHTTPClientTransport(
                requestTimeout: configuration.requestTimeout, connections: configuration.scheduling.maxInFlight,
                proxy: configuration.proxy),
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
        // The proxy's password is a real secret however short: hidden wherever it appears.
        self.redact = Redactor(secrets: configuration.credentials.redactor.secrets, anywhere: configuration.proxy?.secrets ?? [])
        self.authorization = configuration.credentials.authorizationHeader
        self.scheduler = RequestScheduler(settings: configuration.scheduling, clock: clock)
    }

    /// Closes connections and releases the client. Call once, after the last request.
    public func shutdown() async throws {
        try await transport.shutdown()
    }

    // MARK: CommsAPI

    public func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        try await page(.listSenderPools(query), SenderPool.self)
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
        try await page(.listPoolSenders(poolID: poolID, query), Sender.self)
    }

    /// Only id, address and channel of each sender, read by `MemberPageScanner`
    /// straight from the body; a body it does not accept goes through
    /// `JSONDecoder` (`PoolMemberList`), which names what is wrong.
    public func listPoolMembers(poolID: String, _ query: SenderQuery) async throws -> Page<LiveMember> {
        let request = APIRequest.listPoolSenders(poolID: poolID, query)
        let (response, attempts) = try await perform(request)
        if let scanned = response.body.withUnsafeBytes({ MemberPageScanner.scan($0) }) {
            return Self.page(scanned.members, scanned.pagination)
        }
        let list = try decode(PoolMemberList.self, response, request, attempts)
        return Self.page(list.members, list.pagination)
    }

    public func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        try await operationAccepted(.addSenders(poolID: poolID, senderIDs: senderIDs))
    }

    public func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        try await resourceAccepted(.removeSender(poolID: poolID, senderID: senderID))
    }

    public func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        try await page(.listOperations(query), SenderPoolOperation.self)
    }

    public func fetchOperation(id: String) async throws -> SenderPoolOperation {
        try await object(.fetchOperation(id: id))
    }

    // MARK: Beyond the protocol

    /// `GET /v1/Senders`: the account's sender inventory (`channel`, `status`,
    /// `pageToken`, `pageSize`; the date filters are not sent).
    public func listSenders(_ query: SenderQuery) async throws -> Page<Sender> {
        try await page(.listSenders(query), Sender.self)
    }

    /// Every sender of the account, a page of 1000 at a time.
    public func allSenders(_ query: SenderQuery = SenderQuery()) -> Paginated<Sender> {
        Paginated(query, path: "/v1/Senders", list: listSenders)
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

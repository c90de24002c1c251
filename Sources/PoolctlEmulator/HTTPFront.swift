import Hummingbird
import NIOCore
import PoolctlAPI
import Synchronization

/// The request context: Hummingbird's core storage plus the connection, so
/// that a reset-after-write fault can close it without answering.
public struct EmulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: (any NIOCore.Channel)?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Bodies are read by the emulator itself, up to 2 MiB.
    public var maxUploadSize: Int { EmulatorResponder.maxBodySize }
}

/// The emulator's HTTP front: routing, auth, fault injection, request
/// parsing and validation, the admin endpoints and the request log. Every
/// `/v1` call ends in the shared `EmulatorStore`.
public struct EmulatorResponder: HTTPResponder {
    public typealias Context = EmulatorRequestContext

    static let maxBodySize = 2 * 1024 * 1024

    public let store: EmulatorStore
    let front: Front

    public init(configuration: EmulatorConfiguration, store: EmulatorStore) {
        self.store = store
        self.front = Front(configuration: configuration, clock: store.clock)
    }

    /// The log served at `GET /_emulator/requests`.
    public var requestLog: EmulatorRequestLog { front.requestLog }

    /// Sets the origin used in locations when a request has no `Host`.
    public func setListenOrigin(_ origin: String) {
        front.listenOrigin.withLock { $0 = origin }
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let fullPath = request.head.path ?? "/"
        let questionMark = fullPath.firstIndex(of: "?")
        let path = fullPath[..<(questionMark ?? fullPath.endIndex)]
        let query = questionMark.map { fullPath[fullPath.index(after: $0)...] }

        switch Route.match(path) {
        case .admin(let admin):
            guard request.method == admin.method else {
                return Self.error(405, "method \(request.method.rawValue) is not allowed on \(path)", headers: [.allow: admin.method.rawValue])
            }
            return await handleAdmin(admin)

        case .notFound:
            front.record(nil, status: 404)
            await front.delay()
            return Self.error(404, "no route for \(request.method.rawValue) \(FieldRules.clip(String(path)))")

        case .api(let apiPath, let parameters):
            guard let endpoint = apiPath.endpoint(request.method) else {
                front.record(nil, status: 405)
                await front.delay()
                return Self.error(405, "method \(request.method.rawValue) is not allowed here; allowed: \(apiPath.allow)",
                                  headers: [.allow: apiPath.allow])
            }
            var request = request
            let outcome = await handle(endpoint, parameters: parameters, query: query, request: &request)
            front.record(endpoint, status: Int(outcome.response.status.code))
            await front.delay()
            if outcome.applied, front.shouldReset() {
                // Drop the connection without answering: the write stands.
                if let channel = context.channel {
                    try? await channel.close(mode: .all).get()
                }
            }
            return outcome.response
        }
    }

    struct Outcome {
        var response: Response
        /// A write took effect (2xx on POST, PATCH, DELETE).
        var applied = false
    }

    // MARK: - /v1

    private func handle(_ endpoint: Endpoint, parameters: [String?], query: Substring?, request: inout Request) async -> Outcome {
        // Auth
        guard front.authorized(request.headers[.authorization]) else {
            return Outcome(response: Self.error(401, "missing or invalid HTTP Basic credentials",
                                                headers: [.wwwAuthenticate: "Basic realm=\"Twilio Comms API\""]))
        }
        // Faults
        if let fault = front.fault() {
            return Outcome(response: fault)
        }
        do {
            return try await dispatch(endpoint, parameters: parameters, query: query, request: &request)
        } catch let error as APIError {
            return Outcome(response: Self.error(error.status ?? 500, error.message))
        } catch let problem as QueryProblem {
            return Outcome(response: Self.error(400, problem.message))
        } catch {
            return Outcome(response: Self.error(500, "internal error: \(error)"))
        }
    }

    private func dispatch(_ endpoint: Endpoint, parameters: [String?], query: Substring?, request: inout Request) async throws -> Outcome {
        // Path ids, in order.
        let kinds: [(EmulatorIDKind, String)]
        switch endpoint {
        case .fetchOperation: kinds = [(.operation, "operationId")]
        case .fetchSenderPool, .updateSenderPool, .deleteSenderPool, .listPoolSenders, .addSenders:
            kinds = [(.senderPool, "senderPoolId")]
        case .removeSender: kinds = [(.senderPool, "senderPoolId"), (.sender, "senderId")]
        case .fetchPoolSendersOperation: kinds = [(.senderPool, "senderPoolId"), (.operation, "operationId")]
        default: kinds = []
        }
        var ids: [String] = []
        for (i, (kind, name)) in kinds.enumerated() {
            guard let value = parameters[i] else {
                throw APIError.http(400, "\(name) is not valid percent-encoded UTF-8")
            }
            if let problem = FieldRules.idProblem(value, kind: kind, what: name) { throw APIError.http(400, problem) }
            ids.append(value)
        }
        let queryString = QueryString(query)
        let origin = front.origin(request.head.authority)

        switch endpoint {
        case .listSenderPools:
            let q = try queryString.known(["startDate", "endDate", "operationId", "pageToken", "pageSize"]).get()
            let page = try await store.listSenderPools(SenderPoolQuery(
                startDate: q["startDate"], endDate: q["endDate"], operationId: q["operationId"],
                pageSize: try Self.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: Self.json(200, JSONWriter.poolList(page)))

        case .createSenderPool:
            let body = try await Self.body(&request)
            let create = try BodyRules.create(body)
            let accepted = try await store.createSenderPool(create, origin: origin)
            return Outcome(response: Self.json(202, JSONWriter.operationAccepted(accepted), location: accepted.operationLocation), applied: true)

        case .fetchSenderPool:
            let pool = try await store.fetchSenderPool(id: ids[0])
            return Outcome(response: Self.json(200, JSONWriter.single { $0.pool(pool) }))

        case .updateSenderPool:
            let body = try await Self.body(&request)
            let update = try BodyRules.update(body)
            let accepted = try await store.updateSenderPool(id: ids[0], update, origin: origin)
            return Outcome(response: Self.json(202, JSONWriter.resourceAccepted(accepted), location: accepted.resourceLocation), applied: true)

        case .deleteSenderPool:
            let accepted = try await store.deleteSenderPool(id: ids[0], origin: origin)
            return Outcome(response: Self.json(202, JSONWriter.resourceAccepted(accepted)), applied: true)

        case .listPoolSenders:
            let q = try queryString.known(["channel", "status", "startDate", "endDate", "pageToken", "pageSize"]).get()
            let page = try await store.listPoolSenders(poolID: ids[0], SenderQuery(
                channel: q["channel"].map(Channel.init(rawValue:)), status: q["status"].map(SenderStatus.init(rawValue:)),
                startDate: q["startDate"], endDate: q["endDate"], pageSize: try Self.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: Self.json(200, JSONWriter.senderList(page)))

        case .addSenders:
            let body = try await Self.body(&request)
            let senderIDs = try BodyRules.addSenders(body)
            let accepted = try await store.addSenders(poolID: ids[0], senderIDs: senderIDs, origin: origin)
            return Outcome(response: Self.json(202, JSONWriter.operationAccepted(accepted), location: accepted.operationLocation), applied: true)

        case .removeSender:
            let accepted = try await store.removeSender(poolID: ids[0], senderID: ids[1], origin: origin)
            return Outcome(response: Self.json(202, JSONWriter.resourceAccepted(accepted)), applied: true)

        case .listOperations:
            let q = try queryString.known(["status", "startDate", "endDate", "pageToken", "pageSize"]).get()
            let page = try await store.listOperations(OperationQuery(
                status: q["status"].map(OperationStatus.init(rawValue:)), startDate: q["startDate"], endDate: q["endDate"],
                pageSize: try Self.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: Self.json(200, JSONWriter.operationList(page)))

        case .fetchOperation:
            let operation = try await store.fetchOperation(id: ids[0])
            return Outcome(response: Self.json(200, JSONWriter.single { $0.operation(operation) }))

        case .fetchPoolSendersOperation:
            let operation = try await store.fetchOperation(poolID: ids[0], id: ids[1])
            return Outcome(response: Self.json(200, JSONWriter.single { $0.operation(operation) }))

        case .listSenders:
            let q = try queryString.known(["channel", "status", "pageToken", "pageSize"]).get()
            let page = try await store.listSenders(SenderQuery(
                channel: q["channel"].map(Channel.init(rawValue:)), status: q["status"].map(SenderStatus.init(rawValue:)),
                pageSize: try Self.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: Self.json(200, JSONWriter.senderList(page)))
        }
    }

    static func pageSize(_ q: [String: String]) throws(APIError) -> Int? {
        guard let text = q["pageSize"] else { return nil }
        guard !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text) else {
            throw APIError.http(400, "pageSize must be an integer between 1 and 1000, got '\(FieldRules.clip(text))'")
        }
        return value
    }

    /// The JSON body of a POST or PATCH: `Content-Type: application/json`,
    /// 1 byte to 2 MiB, valid JSON.
    static func body(_ request: inout Request) async throws -> JSONValue {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces.lowercased() } ?? ""
        guard mediaType == "application/json" else {
            throw APIError.http(400, contentType.isEmpty ? "Content-Type application/json is required"
                                                         : "Content-Type must be application/json, got '\(FieldRules.clip(contentType))'")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBodySize {
            throw APIError.http(400, "request body is larger than 2 MiB")
        }
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= maxBodySize else {
                    throw APIError.http(400, "request body is larger than 2 MiB")
                }
                var chunk = chunk
                buffer.writeBuffer(&chunk)
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.http(400, "could not read the request body")
        }
        guard buffer.readableBytes > 0 else { throw APIError.http(400, "a JSON request body is required") }
        do {
            return try buffer.withUnsafeReadableBytes { raw throws(JSONSyntaxError) in try JSONReader.parse(raw) }
        } catch {
            throw APIError.http(400, "request body is not valid JSON: \(error.message) at byte \(error.offset)")
        }
    }

    // MARK: - Admin

    private func handleAdmin(_ admin: Route.AdminPath) async -> Response {
        switch admin {
        case .state:
            return Self.json(200, JSONWriter.state(await store.state()))
        case .reset:
            await store.reset()
            front.reset()
            return Self.json(200, Array("{\"reset\":true}".utf8))
        case .requests:
            return Self.json(200, JSONWriter.requestLog(front.requestLog))
        }
    }

    // MARK: - Responses

    static func json(_ status: Int, _ bytes: [UInt8], location: String? = nil, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.contentLength] = String(bytes.count)
        if let location { headers[.location] = location }
        headers.append(contentsOf: extra)
        return Response(status: HTTPResponse.Status(code: status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func error(_ status: Int, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, JSONWriter.error(status: status, message: message), headers: headers)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}

/// Mutable state of the HTTP front: credentials, fault dice, rate limiter,
/// request log. Each lock is held for a few instructions.
final class Front: Sendable {
    let configuration: EmulatorConfiguration
    let clock: EmulatorClock
    let listenOrigin: Mutex<String>
    private let faults: Mutex<FaultState>
    private let log = Mutex(LogState())
    private let expectedCredentials: (user: String, password: String)?

    struct FaultState {
        var rng: SplitMix64
        var tokens: Double
        var lastRefill: Int64?
    }

    struct LogState {
        var total = 0
        var byEndpoint: [Endpoint: Int] = [:]
        var byStatus: [Int: Int] = [:]
    }

    init(configuration: EmulatorConfiguration, clock: EmulatorClock) {
        self.configuration = configuration
        self.clock = clock
        self.listenOrigin = Mutex(EmulatorServer.baseURL(host: configuration.host, port: configuration.port))
        self.faults = Mutex(Self.initialFaults(configuration))
        if let sid = configuration.accountSID, let token = configuration.authToken {
            expectedCredentials = (sid, token)
        } else {
            expectedCredentials = nil
        }
    }

    static func initialFaults(_ configuration: EmulatorConfiguration) -> FaultState {
        FaultState(rng: SplitMix64(seed: configuration.randomSeed &+ 0xFA07_FA07_0000_0001),
                   tokens: max(1, configuration.rateLimit ?? 1), lastRefill: nil)
    }

    func reset() {
        faults.withLock { $0 = Self.initialFaults(configuration) }
        log.withLock { $0 = LogState() }
    }

    // MARK: Auth

    func authorized(_ header: String?) -> Bool {
        guard let header, header.count > 6 else { return false }
        let scheme = header.prefix(6)
        guard scheme.lowercased() == "basic " else { return false }
        let encoded = header.dropFirst(6).trimmingSpaces
        guard let bytes = Base64Standard.decode(encoded), let pair = String(validating: bytes, as: UTF8.self),
              let colon = pair.firstIndex(of: ":") else { return false }
        let user = pair[..<colon]
        let password = pair[pair.index(after: colon)...]
        guard !user.isEmpty, !password.isEmpty else { return false }
        if let expected = expectedCredentials {
            return Self.constantTimeEqual(user, expected.user) && Self.constantTimeEqual(password, expected.password)
        }
        return true
    }

    static func constantTimeEqual(_ a: Substring, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    // MARK: Faults

    /// A 429, 500 or 503 response, or nil to go on.
    func fault() -> Response? {
        let rate = configuration.rateLimit
        let errorRate = configuration.errorRate
        guard rate != nil || errorRate > 0 else { return nil }
        let now = rate == nil ? 0 : clock.milliseconds()
        enum Decision { case pass, limited(Int), error(Int) }
        let decision: Decision = faults.withLock { state in
            if let rate {
                let capacity = max(1, rate)
                if let last = state.lastRefill, now > last {
                    state.tokens = min(capacity, state.tokens + Double(now - last) / 1000 * rate)
                }
                if state.lastRefill.map({ now > $0 }) ?? true { state.lastRefill = now }
                if state.tokens >= 1 {
                    state.tokens -= 1
                } else {
                    let wait = ((1 - state.tokens) / rate).rounded(.up)
                    return .limited(max(1, Int(wait)))
                }
            }
            if state.rng.chance(errorRate) {
                return .error(state.rng.chance(0.5) ? 500 : 503)
            }
            return .pass
        }
        switch decision {
        case .pass:
            return nil
        case .limited(let seconds):
            return EmulatorResponder.error(429, "rate limit of \(Self.format(rate ?? 0)) requests per second exceeded (fault injection)",
                                           headers: [.retryAfter: String(seconds)])
        case .error(let status):
            return EmulatorResponder.error(status, status == 500 ? "internal error (fault injection)" : "service unavailable (fault injection)")
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    func shouldReset() -> Bool {
        let p = configuration.resetAfterWriteRate
        guard p > 0 else { return false }
        return faults.withLock { $0.rng.chance(p) }
    }

    func delay() async {
        let latency = configuration.latencyMS
        if latency > 0 { try? await Task.sleep(for: .milliseconds(latency)) }
    }

    // MARK: Origin

    /// `http://` + the request's Host, or the listen address if it has none
    /// (or one that cannot be part of a URL).
    func origin(_ authority: String?) -> String {
        if let authority, !authority.isEmpty, authority.utf8.count <= 255, authority.utf8.allSatisfy(Self.isAuthorityByte) {
            return "http://" + authority
        }
        return listenOrigin.withLock { $0 }
    }

    static func isAuthorityByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"),
             UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    // MARK: Request log

    func record(_ endpoint: Endpoint?, status: Int) {
        log.withLock { log in
            log.total += 1
            if let endpoint { log.byEndpoint[endpoint, default: 0] += 1 }
            log.byStatus[status, default: 0] += 1
        }
    }

    var requestLog: EmulatorRequestLog {
        log.withLock { log in
            EmulatorRequestLog(
                total: log.total,
                byEndpoint: Dictionary(uniqueKeysWithValues: log.byEndpoint.map { ($0.key.rawValue, $0.value) }),
                byStatus: Dictionary(uniqueKeysWithValues: log.byStatus.map { (String($0.key), $0.value) })
            )
        }
    }
}

enum Base64Standard {
    /// Standard base64 (padding optional); nil for anything else.
    static func decode(_ text: Substring) -> [UInt8]? {
        var converted = ""
        converted.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "+": converted.append("-")
            case "/": converted.append("_")
            case "-", "_": return nil
            default: converted.unicodeScalars.append(scalar)
            }
        }
        return Base64URL.decode(converted)
    }
}

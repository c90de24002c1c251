import Hummingbird
import NIOCore
import PoolctlAPI
import PoolctlModel

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
    public var maxUploadSize: Int { BodyReading.maxSize }
}

/// The emulator's HTTP front. Each request goes: route (404) → background
/// writes (`--background-writes`, `/v1` paths only) → method (405) → auth
/// (401) → injected faults → the endpoint (`+Dispatch`), which ends in the
/// shared `EmulatorStore`; then the request log and the latency. The admin
/// endpoints (`+Admin`) skip auth, faults and the log.
public struct EmulatorResponder: HTTPResponder {
    public typealias Context = EmulatorRequestContext

    public let store: EmulatorStore
    let authentication: BasicAuthentication
    let faults: FaultInjector
    let log = RequestLogger()
    let origins: Origins
    /// The `/v1` bodies, shaped by the behaviours.
    let encoding: ResponseEncoding
    /// The sender lists' bodies, from each sender's cached bytes.
    let senderBodies: SenderBodies
    /// The status of DELETE pool and Remove Sender.
    let deleteStatus: Int

    public init(configuration: EmulatorConfiguration, store: EmulatorStore) {
        self.store = store
        self.authentication = BasicAuthentication(configuration: configuration)
        self.faults = FaultInjector(configuration: configuration, clock: store.clock)
        self.origins = Origins(configuration: configuration)
        self.encoding = ResponseEncoding(behaviors: configuration.behaviors)
        self.senderBodies = SenderBodies(inventory: store.inventory, encoding: encoding)
        self.deleteStatus = configuration.behaviors.deleteStatus
    }

    /// The log served at `GET /_emulator/requests`.
    public var requestLog: EmulatorRequestLog { log.log }

    /// Sets the origin used in locations when a request has no `Host`.
    public func setListenOrigin(_ origin: String) {
        origins.setListen(origin)
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let fullPath = request.head.path ?? "/"
        let questionMark = fullPath.firstIndex(of: "?")
        let path = fullPath[..<(questionMark ?? fullPath.endIndex)]
        let query = questionMark.map { fullPath[fullPath.index(after: $0)...] }

        switch Route.match(path) {
        case .admin(let admin):
            guard request.method == admin.method else {
                return ResponseEncoding.plain.error(
                    405, "method \(request.method.rawValue) is not allowed on \(path)",
                    headers: [.allow: admin.method.rawValue])
            }
            return await handleAdmin(admin)

        case .notFound:
            log.record(nil, status: 404)
            await faults.delay()
            return encoding.error(404, "no route for \(request.method.rawValue) \(FieldRules.clip(String(path)))")

        case .api(let apiPath, let parameters):
            // Another user's automation gets in first.
            if store.backgroundRate > 0 { await store.backgroundWrites() }
            guard let endpoint = apiPath.endpoint(request.method) else {
                log.record(nil, status: 405)
                await faults.delay()
                return encoding.error(
                    405, "method \(request.method.rawValue) is not allowed here; allowed: \(apiPath.allow)",
                    headers: [.allow: apiPath.allow])
            }
            var request = request
            let outcome = await handle(endpoint, parameters: parameters, query: query, request: &request)
            log.record(endpoint, status: Int(outcome.response.status.code))
            await faults.delay()
            if outcome.applied, faults.shouldReset() {
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

    private func handle(_ endpoint: Endpoint, parameters: [String?], query: Substring?, request: inout Request) async -> Outcome {
        guard authentication.accepts(request.headers[.authorization]) else {
            return Outcome(
                response: encoding.error(
                    401, "missing or invalid HTTP Basic credentials",
                    headers: [.wwwAuthenticate: "Basic realm=\"Twilio Comms API\""]))
        }
        if let fault = faults.fault() {
            return Outcome(
                response: encoding.error(
                    fault.status, fault.message,
                    headers: fault.retryAfter.map { [.retryAfter: String($0)] } ?? [:]))
        }
        do {
            return try await dispatch(endpoint, parameters: parameters, query: query, request: &request)
        } catch let error as APIError {
            return Outcome(response: encoding.error(error.status ?? 500, error.message))
        } catch {
            return Outcome(response: encoding.error(500, "internal error: \(error)"))
        }
    }
}

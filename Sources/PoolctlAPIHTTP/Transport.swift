import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PoolctlAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fully built HTTP request: absolute URL, headers (credentials included) and body.
struct TransportRequest: Sendable {
    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    var body: Data?
}

struct TransportResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: Data

    /// First value of a header, matched case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { Self.sameName($0.name, name) }?.value
    }

    /// Header names are ASCII tokens (RFC 9110 5.1), so ASCII case folding
    /// is the whole comparison; Foundation's locale-aware compare was 2% of
    /// a plan's CPU, run for every header of every answer.
    static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        return zip(a.utf8, b.utf8).allSatisfy { x, y in x == y || (x | 0x20 == y | 0x20 && (x | 0x20) &- 0x61 < 26) }
    }
}

/// Why an attempt got no HTTP answer, sorted by what it means for a retry.
enum TransportFailure: Error, Sendable, Equatable {
    /// The request never reached the server (connection refused, DNS, connect timeout).
    case notSent(String)
    /// The request may have reached the server (timeout, reset, closed connection).
    case maybeSent(String)
    /// Retrying cannot help, and nothing was sent (bad URL, TLS handshake, client shut down).
    case fatal(String)
    /// The answer arrived but could not be read (e.g. far too large).
    case invalidResponse(String)
    /// The proxy answered, and refused the tunnel for good (407): nothing
    /// reached the API, and retrying cannot help.
    case proxyRefused(String)
    /// The calling task was cancelled.
    case cancelled
}

/// Sends one request, once. Retries, logging and counting live above it, so
/// tests swap in a scripted transport.
protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest, timeout: Duration) async throws(TransportFailure) -> TransportResponse
    func shutdown() async throws
}

/// The real transport over AsyncHTTPClient.
struct AsyncHTTPClientTransport: HTTPTransport {
    /// Lists are at most 1000 items; 32 MiB is far above any real page.
    static let maxBodyBytes = 32 << 20

    let client: HTTPClient
    let proxy: ProxySettings?

    /// `connections`: HTTP/1 connections to the API at once; the scheduler's
    /// request slots, so that a slot is never stuck behind the pool's default 8.
    init(requestTimeout: Duration, connections: Int = 8, proxy: ProxySettings? = nil) {
        var configuration = HTTPClient.Configuration()
        self.proxy = proxy
        if let proxy {
            // An https:// API through an HTTP proxy is a CONNECT tunnel: the proxy sees the host, never the request.
            configuration.proxy = .server(
                host: proxy.host, port: proxy.port,
                authorization: proxy.username.map { .basic(username: $0, password: proxy.password ?? "") })
        }
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, connections)
        // Never follow redirects: the Authorization header must not go to another host.
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: TimeAmount(min(requestTimeout, .seconds(10))), read: TimeAmount(requestTimeout))
        // Fail a refused connection at once so RetryPolicy sees (and logs, counts
        // and bounds) every try, instead of AHC retrying silently until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // No spans: the default no-op tracer still built each request's span
        // attributes, 1.6% of a large plan's CPU.
        configuration.tracing.tracer = nil
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(_ request: TransportRequest, timeout: Duration) async throws(TransportFailure) -> TransportResponse {
        do {
            var headers = HTTPHeaders()
            for header in request.headers { headers.add(name: header.name, value: header.value) }
            let outgoing = try HTTPClient.Request(
                url: request.url, method: HTTPMethod(rawValue: request.method), headers: headers,
                body: request.body.map { .byteBuffer(ByteBuffer(bytes: $0)) })
            // The accumulator gathers the body on the event loop, so the caller
            // wakes once per answer instead of once per chunk of the body (the
            // streaming API cost a plan 2% more CPU). The deadline covers the
            // whole exchange, body included; the read timeout set above ends a
            // stalled connection sooner.
            let task = client.execute(
                request: outgoing, delegate: ResponseAccumulator(request: outgoing, maxBodySize: Self.maxBodyBytes),
                deadline: .now() + TimeAmount(timeout))
            let response = try await withTaskCancellationHandler {
                try await task.futureResult.get()
            } onCancel: {
                task.cancel()
            }
            let body = response.body ?? ByteBuffer()
            return TransportResponse(
                status: Int(response.status.code),
                headers: response.headers.map { (name: $0.name, value: $0.value) },
                body: Data(body.readableBytesView))
        } catch {
            throw Task.isCancelled ? .cancelled : Self.classify(error, timeout: timeout, proxy: proxy)
        }
    }

    func shutdown() async throws {
        try await client.shutdown()
    }

    /// Sorts AHC and NIO errors by whether the request can have reached the
    /// server. Anything unrecognised counts as "maybe sent": for a POST that
    /// means "check before repeating", which is the safe side.
    static func classify(_ error: any Error, timeout: Duration, proxy: ProxySettings? = nil) -> TransportFailure {
        if error is CancellationError { return .cancelled }
        if error is NIOTooManyBytesError || error is ResponseAccumulator.ResponseTooBigError {
            return .invalidResponse("response body larger than \(maxBodyBytes >> 20) MiB")
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled: return .cancelled
            case .connectTimeout: return .notSent("could not connect (connect timeout)")
            case .getConnectionFromPoolTimeout: return .notSent("no connection became available")
            case .tlsHandshakeTimeout: return .notSent("TLS handshake timed out")
            case .socksHandshakeTimeout, .httpProxyHandshakeTimeout: return .notSent("proxy handshake timed out")
            // Retrying cannot supply credentials the proxy wants.
            case .proxyAuthenticationRequired:
                guard let proxy else { return .proxyRefused("the proxy asks for credentials (HTTP 407)") }
                return .proxyRefused(
                    proxy.username == nil
                        ? "the proxy at \(proxy.address) asks for credentials (HTTP 407): give them in \(proxy.variable) as http://user:password@host:port"
                        : "the proxy at \(proxy.address) refused the credentials in \(proxy.variable) (HTTP 407)")
            case .invalidProxyResponse:
                return .notSent("the proxy at \(proxy?.address ?? "?") did not open a tunnel to the API")
            case .deadlineExceeded: return .maybeSent("no response within \(RetryPolicy.format(timeout))")
            case .readTimeout: return .maybeSent("response stalled for \(RetryPolicy.format(timeout))")
            case .writeTimeout: return .maybeSent("sending the request stalled")
            case .remoteConnectionClosed: return .maybeSent("the server closed the connection")
            case .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown, .missingSocketPath:
                return .fatal("cannot send: \(error.shortDescription)")
            default: return .maybeSent(error.shortDescription)
            }
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return .notSent("could not connect (connect timeout)")
            case .connectPending: return .notSent("could not connect")
            default: return .maybeSent("connection error: \(error)")
            }
        }
        if let error = error as? IOError {
            return classify(errno: error.errnoCode, description: "\(error)")
        }
        // NIOPosix's NIOConnectionError (every address failed to connect, or DNS
        // failed) is matched by name: this target does not depend on NIOPosix.
        let typeName = String(describing: type(of: error))
        if typeName == "NIOConnectionError" {
            return .notSent("could not connect: \(error)")
        }
        // A TLS handshake (bad certificate, no shared cipher) precedes any byte
        // of the request, and retrying cannot fix it.
        if typeName.contains("SSL"), "\(error)".localizedCaseInsensitiveContains("handshake") {
            return .fatal("TLS handshake failed: \(error)")
        }
        return .maybeSent("\(error)")
    }

    static func classify(errno code: CInt, description: String) -> TransportFailure {
        switch code {
        case ECONNREFUSED: return .notSent("connection refused")
        case ENETUNREACH, EHOSTUNREACH, ENETDOWN, EADDRNOTAVAIL: return .notSent("could not connect: \(description)")
        case ECONNRESET: return .maybeSent("connection reset by the server")
        case EPIPE: return .maybeSent("connection closed while sending")
        default: return .maybeSent(description)
        }
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPIHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real AsyncHTTPClient transport on loopback sockets: what goes on the
/// wire, and how real NIO errors are classified. The full contract suite
/// against the emulator lives in PoolctlContractTests.
@Suite(.timeLimit(.minutes(1))) struct SocketTests {
    /// Runs `body` with a live client (real sockets, fake backoff clock) and
    /// always shuts it down.
    func withLiveAPI(_ baseURL: String, maxAttempts: Int = 3, _ body: (HTTPCommsAPI, CallCounter) async throws -> Void) async throws {
        let counter = CallCounter()
        var configuration = HTTPClientConfiguration(credentials: testCredentials, baseURL: baseURL)
        configuration.maxAttempts = maxAttempts
        configuration.requestTimeout = .seconds(10)
        let api = try HTTPCommsAPI(configuration: configuration, callCounter: counter, clock: ManualClock().clock)
        do {
            try await body(api, counter)
        } catch {
            try await api.shutdown()
            throw error
        }
        try await api.shutdown()
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func refusedPostIsRetriedAndReportedAsNotSent(_ host: String) async throws {
        let refusing = try RefusingPort()
        defer { refusing.release() }
        try await withLiveAPI("http://\(host):\(refusing.port)") { api, counter in
            let error = try #require(await apiError { _ = try await api.createSenderPool(CreateSenderPoolRequest()) })
            // Never reached the server (not `.outcomeUnknown`), and nothing has answered this client.
            #expect(error.kind == .unreachable, "\(error)")
            #expect(error.attempts == 3)
            #expect(counter.calls == [.createSenderPool: 3])
            #expect(counter.retries == 2)
        }
    }

    /// A live client for an https:// API behind the proxy `HTTPS_PROXY`
    /// names; it makes one attempt per call.
    func withProxiedAPI(_ proxyURL: String, _ body: (HTTPCommsAPI) async throws -> Void) async throws {
        var configuration = HTTPClientConfiguration(credentials: testCredentials, baseURL: "https://comms.example.test")
        configuration.maxAttempts = 1
        configuration.requestTimeout = .seconds(10)
        configuration.proxy = try ProxySettings.fromEnvironment(["HTTPS_PROXY": proxyURL], baseURL: configuration.baseURL)
        let api = try HTTPCommsAPI(configuration: configuration, clock: ManualClock().clock)
        do {
            try await body(api)
        } catch {
            try await api.shutdown()
            throw error
        }
        try await api.shutdown()
    }

    /// Through `HTTPS_PROXY` the client asks the proxy for a tunnel to the
    /// API's host, with the proxy's credentials and never the API's, which
    /// travel only inside the tunnel's TLS. A 407 says what to do.
    @Test func anHTTPSAPIIsReachedThroughATunnelThatCarriesOnlyTheProxysCredentials() async throws {
        let proxy = try CannedServer([.http(407, headers: [#"Proxy-Authenticate: Basic realm="corp""#], body: "")])
        defer { proxy.stop() }
        try await withProxiedAPI("http://ops:tunnel-pass-77@127.0.0.1:\(proxy.port)") { api in
            let error = try #require(await apiError { _ = try await api.listSenderPools(SenderPoolQuery()) })
            // The proxy answered: no retry, and not "nothing has answered".
            #expect(error.kind == .transport && error.attempts == 1, "\(error)")
            #expect(error.message == "the proxy at 127.0.0.1:\(proxy.port) refused the credentials in HTTPS_PROXY (HTTP 407)")
            #expect(!error.description.contains("tunnel-pass-77"))
        }
        let connect = try #require(proxy.received.first)
        #expect(connect.hasPrefix("CONNECT comms.example.test:443 HTTP/1.1\r\n"), "\(connect)")
        let proxyToken = Data("ops:tunnel-pass-77".utf8).base64EncodedString()
        #expect(connect.lowercased().contains("proxy-authorization: basic \(proxyToken.lowercased())\r\n"), "\(connect)")
        #expect(!connect.contains(testBasicToken), "the API's credentials never reach the proxy")
    }

    @Test func aProxyThatWantsCredentialsSaysWhereToPutThem() async throws {
        let proxy = try CannedServer([.http(407, headers: [#"Proxy-Authenticate: Basic realm="corp""#], body: "")])
        defer { proxy.stop() }
        try await withProxiedAPI("127.0.0.1:\(proxy.port)") { api in
            let error = try #require(await apiError { _ = try await api.listSenderPools(SenderPoolQuery()) })
            #expect(
                error.message
                    == "the proxy at 127.0.0.1:\(proxy.port) asks for credentials (HTTP 407): give them in HTTPS_PROXY as http://user:password@host:port"
            )
        }
        #expect(proxy.received.first.map { !$0.lowercased().contains("proxy-authorization") } == true)
    }

    @Test func aProxyThatDoesNotAnswerIsNamed() async throws {
        let refusing = try RefusingPort()
        defer { refusing.release() }
        try await withProxiedAPI("127.0.0.1:\(refusing.port)") { api in
            let error = try #require(await apiError { _ = try await api.listSenderPools(SenderPoolQuery()) })
            #expect(error.kind == .unreachable, "\(error)")
            #expect(
                error.message.hasSuffix(
                    "nothing has answered at https://comms.example.test through the proxy at 127.0.0.1:\(refusing.port) (HTTPS_PROXY)"),
                "\(error)")
        }
    }

    @Test func requestOnTheWire() async throws {
        let location = "http://127.0.0.1/v1/SenderPools/Operations/comms_operation_01h9krwprkeee8fzqspvwy6nq8"
        let server = try CannedServer([
            .http(202, headers: ["Location: \(location)"], body: #"{"operationId":"comms_operation_01h9krwprkeee8fzqspvwy6nq8"}"#),
            .http(200, body: #"{"senderPools":[],"pagination":{"next":null,"self":"s"}}"#),
        ])
        defer { server.stop() }
        try await withLiveAPI("http://127.0.0.1:\(server.port)") { api, _ in
            let accepted = try await api.createSenderPool(
                CreateSenderPoolRequest(name: "Sales", senders: [SenderReference(senderId: "comms_sender_x")]))
            #expect(accepted.location == location)
            #expect(accepted.resolvedOperationID == "comms_operation_01h9krwprkeee8fzqspvwy6nq8")
            _ = try await api.listSenderPools(SenderPoolQuery(startDate: "2024-01-15T09:30:00+02:00", pageSize: 5))
        }
        let requests = server.received
        #expect(requests.count == 2)
        let create = try #require(requests.first).lowercased()
        #expect(create.hasPrefix("post /v1/senderpools http/1.1\r\n"))
        #expect(create.contains("authorization: basic \(testBasicToken.lowercased())\r\n"))
        #expect(create.contains("content-type: application/json\r\n"))
        #expect(create.hasSuffix("\r\n\r\n" + #"{"name":"sales","senders":[{"senderid":"comms_sender_x"}]}"#))
        let list = try #require(requests.last)
        #expect(list.hasPrefix("GET /v1/SenderPools?startDate=2024-01-15T09%3A30%3A00%2B02%3A00&pageSize=5 HTTP/1.1\r\n"))
    }

    @Test func postCutOffAfterSendingIsOutcomeUnknown() async throws {
        let server = try CannedServer([.close])
        defer { server.stop() }
        try await withLiveAPI("http://127.0.0.1:\(server.port)") { api, counter in
            let error = try #require(
                await apiError { _ = try await api.addSenders(poolID: "comms_senderpool_x", senderIDs: ["comms_sender_x"]) })
            #expect(error.kind == .outcomeUnknown, "\(error)")
            #expect(counter.total == 1)
        }
        #expect(server.received.count == 1)
    }

    @Test func getCutOffAfterSendingIsRetried() async throws {
        let server = try CannedServer([.close, .http(200, body: poolJSON)])
        defer { server.stop() }
        try await withLiveAPI("http://127.0.0.1:\(server.port)") { api, counter in
            let pool = try await api.fetchSenderPool(id: "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8")
            #expect(pool.name == "Sales")
            #expect(counter.total == 2)
            #expect(counter.retries == 1)
        }
    }
}

/// A loopback port that refuses connections: bound, never listening, and
/// held until `release()`. A port merely closed again could be handed to a
/// parallel test's server, which would then answer.
final class RefusingPort: Sendable {
    let port: UInt16
    private let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: 0)
        do {
            try withSockaddr(&address) { [fd] in guard bind(fd, $0, $1) == 0 else { throw POSIXError(.EADDRINUSE) } }
            port = try boundPort(fd)
        } catch {
            close(fd)
            throw error
        }
    }

    func release() { close(fd) }
}

/// A blocking HTTP/1.1 server on 127.0.0.1 for one scripted reply per
/// connection; every reply closes its connection.
final class CannedServer: Sendable {
    enum Reply: Sendable {
        case http(Int, headers: [String] = [], body: String)
        /// Read the request, then close without answering.
        case close
    }

    let port: UInt16
    private let listener: Int32
    private let requests = Mutex<[String]>([])

    /// Raw requests (head and body) in arrival order.
    var received: [String] { requests.withLock { $0 } }

    init(_ replies: [Reply]) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: 0)
        let fd = listener
        try withSockaddr(&address) { guard bind(fd, $0, $1) == 0 else { throw POSIXError(.EADDRINUSE) } }
        guard listen(listener, 16) == 0 else { throw POSIXError(.EIO) }
        port = try boundPort(listener)
        Thread.detachNewThread { [self] in
            for reply in replies {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                let request = Self.readRequest(connection)
                requests.withLock { $0.append(request) }
                if case .http(let status, let headers, let body) = reply {
                    let head =
                        ([
                            "HTTP/1.1 \(status) X", "Content-Type: application/json", "Content-Length: \(body.utf8.count)",
                            "Connection: close",
                        ] + headers)
                        .joined(separator: "\r\n")
                    let bytes = Array((head + "\r\n\r\n" + body).utf8)
                    _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                close(connection)
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private static func readRequest(_ fd: Int32) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: data, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text[..<end.upperBound].utf8.count >= length { return text }
            }
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { return String(decoding: data, as: UTF8.self) }
            data += buffer[0..<count]
        }
    }
}

private func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

private func withSockaddr(_ address: inout sockaddr_in, _ body: (UnsafePointer<sockaddr>, socklen_t) throws -> Void) throws {
    try withUnsafePointer(to: &address) {
        try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

private func boundPort(_ fd: Int32) throws -> UInt16 {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard result == 0 else { throw POSIXError(.EIO) }
    return UInt16(bigEndian: address.sin_port)
}

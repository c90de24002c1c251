import Foundation
import Logging
import PoolctlAPI
import Testing

@testable import PoolctlEmulator

#if canImport(Glibc)
    import Glibc
#endif

/// Sends raw bytes to 127.0.0.1:port and reads until the server closes the
/// connection. Runs on its own thread, since the socket calls block.
func rawExchange(port: Int, _ request: String) async throws -> [UInt8] {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try blockingExchange(port: port, request) })
        }
        thread.start()
    }
}

struct SocketError: Error { var message: String }

func blockingExchange(port: Int, _ request: String) throws -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketError(message: "socket") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw SocketError(message: "connect") }
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw SocketError(message: "send") }
        sent += n
    }
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            received += buffer[0..<n]
            continue
        }
        if n == 0 { return received }  // orderly close
        if errno == ECONNRESET { return received }
        throw SocketError(message: "recv errno \(errno)")
    }
}

/// Starts the emulator on a free port; returns the base URL and the task serving it.
func startServer(_ configuration: EmulatorConfiguration, store: EmulatorStore, logger: Logger? = nil) async throws -> (
    url: String, task: Task<Void, any Error>
) {
    let (stream, continuation) = AsyncStream.makeStream(of: String.self)
    let task = Task {
        try await EmulatorServer.run(configuration, store: store, logger: logger) { url in
            continuation.yield(url)
            continuation.finish()
        }
    }
    var iterator = stream.makeAsyncIterator()
    guard let url = await iterator.next() else { throw SocketError(message: "server did not start") }
    return (url, task)
}

@Suite("Live socket")
struct LiveTests {
    @Test func resetAfterWriteDropsTheConnectionButAppliesTheWrite() async throws {
        var configuration = EmulatorConfiguration(host: "127.0.0.1", port: 0, accountSID: "AC1", authToken: "tok")
        configuration.resetAfterWriteRate = 1
        let store = try EmulatorStore(configuration: configuration)
        let (url, task) = try await startServer(configuration, store: store)
        defer { task.cancel() }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let port = try #require(Int(url.split(separator: ":").last!))
        #expect(port > 0)
        let auth = "Authorization: " + basic("AC1", "tok")

        // A read is answered normally, with locations on the client's Host.
        let get = try await rawExchange(
            port: port, "GET /v1/SenderPools HTTP/1.1\r\nHost: emu.test:1234\r\n\(auth)\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: get, as: UTF8.self).hasPrefix("HTTP/1.1 200"))

        // A write is applied, then the connection closes with no response at all.
        let payload = #"{"name":"reset-me"}"#
        let post = try await rawExchange(
            port: port,
            "POST /v1/SenderPools HTTP/1.1\r\nHost: 127.0.0.1\r\n\(auth)\r\nContent-Type: application/json\r\nContent-Length: \(payload.utf8.count)\r\n\r\n\(payload)"
        )
        #expect(post.isEmpty, "got \(String(decoding: post, as: UTF8.self))")
        #expect(await store.state().pools.map(\.name) == ["reset-me"])

        let state = try await rawExchange(port: port, "GET /_emulator/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: state, as: UTF8.self).contains(#""name":"reset-me""#))
        let log = try await rawExchange(port: port, "GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(String(decoding: log, as: UTF8.self).contains(#""POST /v1/SenderPools":1"#))

        // Cancellation stops the server.
        task.cancel()
        _ = await task.result
    }

    @Test func locationsUseTheHostHeader() async throws {
        let configuration = EmulatorConfiguration(port: 0)
        let store = try EmulatorStore(configuration: configuration)
        let (url, task) = try await startServer(configuration, store: store)
        defer { task.cancel() }
        let port = try #require(Int(url.split(separator: ":").last!))
        #expect(await store.origin == url)
        let payload = "{}"
        let response = try await rawExchange(
            port: port,
            "POST /v1/SenderPools HTTP/1.1\r\nHost: emu.test:1234\r\nAuthorization: \(basic("u", "p"))\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n\(payload)"
        )
        let text = String(decoding: response, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 202"))
        #expect(text.lowercased().contains("location: http://emu.test:1234/v1/senderpools/operations/comms_operation_"))
        task.cancel()
        _ = await task.result
    }
}

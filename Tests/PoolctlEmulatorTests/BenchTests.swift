import Foundation
import PoolctlAPI
import Testing

@testable import PoolctlEmulator

#if canImport(Glibc)
    import Glibc
#endif

/// A keep-alive HTTP/1.1 connection with blocking sockets (bench only).
final class BlockingConnection {
    let fd: Int32
    var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SocketError(message: "connect") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Sends a GET and returns the status code after reading the whole response.
    func get(_ path: String, auth: String) throws -> (status: Int, body: [UInt8]) {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(auth)\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let end = headerEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let status = Int(head.split(separator: " ")[1]) ?? 0
                let lengthLine = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                let length = Int(lengthLine!.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))!
                while buffer.count < end + 4 + length {
                    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { throw SocketError(message: "recv") }
                    buffer += chunk[0..<n]
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return (status, body)
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw SocketError(message: "recv") }
            buffer += chunk[0..<n]
        }
    }

    private func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}

@Suite("Benchmark", .enabled(if: ProcessInfo.processInfo.environment["POOLCTL_EMULATOR_BENCH"] != nil))
struct BenchTests {
    @Test func simpleGetsPerSecondWithTenThousandPools() async throws {
        let configuration = EmulatorConfiguration(port: 0, operationDelayMS: 0)
        let seedStart = Date()
        let store = try EmulatorStore(seed: EmulatorSeed(generatedSenders: 5000), configuration: configuration)
        let inventory = EmulatorSeed.syntheticSenders(count: 5000).map(\.id)
        var poolIDs: [String] = []
        for i in 0..<10_000 {
            let members = (0..<200).map { inventory[(i * 37 + $0 * 13) % inventory.count] }
            let accepted = try await store.createSenderPool(
                CreateSenderPoolRequest(name: "pool-\(i)", senders: Array(Set(members)).map(SenderReference.init)))
            poolIDs.append(try await store.listSenderPools(SenderPoolQuery(operationId: accepted.operationId)).items[0].id)
        }
        _ = await store.state()
        print("seeded 10,000 pools x 200 members in \(String(format: "%.2f", Date().timeIntervalSince(seedStart))) s")

        let (url, task) = try await startServer(configuration, store: store)
        defer { task.cancel() }
        let port = Int(url.split(separator: ":").last!)!
        let auth = basic("u", "p")
        let ids = poolIDs

        let scenarios: [(String, @Sendable (Int) -> String)] = [
            ("fetch pool", { @Sendable (i: Int) in "/v1/SenderPools/\(ids[i % ids.count])" }),
            (
                "list pools page 50",
                { @Sendable (i: Int) in
                    i % 2 == 0 ? "/v1/SenderPools?pageSize=50" : "/v1/SenderPools?pageSize=50&startDate=2020-01-01T00:00:00Z"
                }
            ),
            ("list members page 50", { @Sendable (i: Int) in "/v1/SenderPools/\(ids[(i * 7919) % ids.count])/Senders?pageSize=50" }),
        ]
        for (label, path) in scenarios {
            let clients = 4
            let perClient = 2500
            let start = Date()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<clients {
                    group.addTask {
                        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                            Thread {
                                continuation.resume(
                                    with: Result {
                                        let connection = try BlockingConnection(port: port)
                                        for i in 0..<perClient {
                                            let (status, _) = try connection.get(path(c * perClient + i), auth: auth)
                                            guard status == 200 else { throw SocketError(message: "status \(status)") }
                                        }
                                    })
                            }.start()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(clients * perClient) / elapsed
            print("\(label): \(clients * perClient) requests in \(String(format: "%.2f", elapsed)) s = \(Int(rate)) req/s")
        }
        // Deep pages stay cheap: follow next tokens across all 10,000 pools.
        let connection = try BlockingConnection(port: port)
        var token: String?
        var count = 0
        let start = Date()
        repeat {
            let (status, body) = try connection.get("/v1/SenderPools?pageSize=100" + (token.map { "&pageToken=\($0)" } ?? ""), auth: auth)
            #expect(status == 200)
            let json = try jsonObject(body)
            count += (json["senderPools"] as? [Any])?.count ?? 0
            token = (json["pagination"] as? [String: Any])?["next"] as? String
        } while token != nil
        print("walked \(count) pools in pages of 100 in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        #expect(count == 10_000)
    }
}

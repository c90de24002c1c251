import Foundation
import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import Testing

/// A secret that cannot appear by accident, and the forms it travels in.
struct Secret {
    let username: String
    let secret: String
    var credentials: Credentials { Credentials(username: username, secret: secret, kind: .accountSID) }
    var basic: String { Data("\(username):\(secret)".utf8).base64EncodedString() }
    var forms: [String] { [secret, basic, "\(username):\(secret)"] }

    func leaks(_ text: String) -> Bool { forms.contains { text.contains($0) } }
}

/// Every textual form of a value: description, reflection and `dump`.
func renderings(_ value: Any) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    return [String(describing: value), String(reflecting: value), dumped, "\(value)"]
}

@Suite("Secret redaction", .timeLimit(.minutes(1)))
struct RedactionTests {
    static let good = Secret(username: "ACredact0123456789abcdef", secret: "Zq9-GOOD-secret-7Hx4Wv")
    static let wrong = Secret(username: "ACredact0123456789abcdef", secret: "Qm2-WRONG-secret-5Kp8Rt")

    @Test func secretsNeverAppearInLogsOrErrors() async throws {
        let configuration = EmulatorConfiguration(accountSID: Self.good.username, authToken: Self.good.secret, resetAfterWriteRate: 0)
        try await withContract(configuration) { c in
            let log = LogLines()
            var errors: [APIError] = []
            func capture(_ body: () async throws -> Void) async {
                do { try await body() } catch let error as APIError { errors.append(error) } catch {
                    Issue.record("not an APIError: \(error)")
                }
            }

            try await c.withClient(Self.good.credentials, log: log) { api in
                // Successful calls: every request logs its Authorization header, redacted.
                let accepted = try await api.createSenderPool(CreateSenderPoolRequest(name: "r", senders: [SenderReference(senderId: s1)]))
                let id = try await api.listSenderPools(SenderPoolQuery(operationId: accepted.operationId)).items[0].id
                _ = try await api.fetchSenderPool(id: id)
                // The emulator echoes malformed ids in its messages: the client scrubs them,
                // in the message and in the path.
                await capture { _ = try await api.fetchSenderPool(id: Self.good.secret) }
                await capture { _ = try await api.fetchSenderPool(id: "\(Self.good.username):\(Self.good.secret)") }
                await capture { _ = try await api.removeSender(poolID: id, senderID: Self.good.secret) }
                await capture { _ = try await api.listSenderPools(SenderPoolQuery(pageToken: Self.good.secret)) }
                await capture { _ = try await api.listSenders(SenderQuery(channel: Channel(rawValue: Self.good.secret))) }
                await capture { _ = try await api.createSenderPool(CreateSenderPoolRequest(tags: ["k": Self.good.secret + "/"])) }
                await capture { _ = try await api.fetchOperation(id: unknownOperationID) }
            }
            #expect(errors.count == 7)
            #expect(errors.allSatisfy { $0.kind == .http && ($0.status == 400 || $0.status == 404) })
            let echoed = try #require(errors.first)
            #expect(echoed.path == "/v1/SenderPools/[REDACTED]")
            #expect(echoed.message.contains("'[REDACTED]'"), "the emulator echoed the id and the client scrubbed it: \(echoed.message)")

            // Wrong credentials: the rejected secret is not echoed either.
            let wrongLog = LogLines()
            try await c.withClient(Self.wrong.credentials, log: wrongLog) { api in
                await capture { _ = try await api.listSenderPools(SenderPoolQuery()) }
                await capture { _ = try await api.createSenderPool(CreateSenderPoolRequest(name: Self.wrong.secret)) }
                await capture { _ = try await api.fetchSenderPool(id: Self.wrong.secret) }
            }
            #expect(errors.suffix(3).allSatisfy { $0.status == 401 })
            #expect(errors.last?.path == "/v1/SenderPools/[REDACTED]")

            // Transport failures (reset after a write) and injected 5xx/429 carry NIO and
            // server text; none of it may hold a secret.
            try await withContract(
                EmulatorConfiguration(
                    accountSID: Self.good.username, authToken: Self.good.secret,
                    errorRate: 1, resetAfterWriteRate: 1)
            ) { faulty in
                try await faulty.withClient(Self.good.credentials, maxAttempts: 2, log: log) { api in
                    await capture { _ = try await api.listSenderPools(SenderPoolQuery(startDate: Self.good.secret)) }
                    await capture { _ = try await api.createSenderPool(CreateSenderPoolRequest(name: Self.good.secret)) }
                }
            }
            try await withContract(
                EmulatorConfiguration(
                    accountSID: Self.good.username, authToken: Self.good.secret,
                    resetAfterWriteRate: 1)
            ) { resetting in
                try await resetting.withClient(Self.good.credentials, log: log) { api in
                    await capture { _ = try await api.createSenderPool(CreateSenderPoolRequest(name: Self.good.secret)) }
                }
            }
            #expect(errors.count == 13)
            #expect(Set(errors.map(\.kind)) == [.http, .outcomeUnknown])

            let lines = log.lines + wrongLog.lines
            #expect(lines.count > 20)
            #expect(lines.contains("  Authorization: Basic [REDACTED]"))
            #expect(wrongLog.lines.contains("  Authorization: Basic [REDACTED]"))
            #expect(lines.contains { $0.hasPrefix("→ GET /v1/SenderPools/[REDACTED]") })
            for secret in [Self.good, Self.wrong] {
                for line in lines { #expect(!secret.leaks(line), "log line: \(line)") }
                for error in errors {
                    for text in renderings(error) + [error.message, error.path, error.localizedDescription] {
                        #expect(!secret.leaks(text), "error text: \(text)")
                    }
                }
            }
        }
    }

    @Test func configurationAndCredentialsRenderWithoutTheSecret() async throws {
        let configuration = HTTPClientConfiguration(credentials: Self.good.credentials, baseURL: "http://127.0.0.1:1")
        for text in renderings(Self.good.credentials) + renderings(configuration) + renderings([configuration]) {
            #expect(!Self.good.leaks(text), "\(text)")
        }
    }

    /// A stray `print(api)` must not leak: `HTTPCommsAPI` has no custom
    /// description, so its default reflection walks its stored properties,
    /// including the `Redactor`, whose `secrets` array holds the secret,
    /// `user:secret` and the base64 Basic token in clear.
    ///
    /// `dump` is included: the client's mirror shows only its base URL and
    /// redacted credentials, never its transport.
    @Test func clientValueRendersWithoutTheSecret() async throws {
        let api = try HTTPCommsAPI(
            configuration: HTTPClientConfiguration(credentials: Self.good.credentials, baseURL: "http://127.0.0.1:1"))
        try await withShutdown(api) {
            var dumped = ""
            dump(api, to: &dumped)
            let renderings = [String(describing: api), String(reflecting: api), "\(api)", dumped]
            let leakingCount = renderings.filter(Self.good.leaks).count
            #expect(leakingCount == 0, "\(leakingCount) of 4 renderings of HTTPCommsAPI hold the secret")
        }
    }
}

import Foundation
import PoolctlAPI
import PoolctlEmulator
import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPIHTTP

/// The golden wire test: the documented bodies in `Tests/Fixtures/wire`
/// (see its README for where each comes from), held against both sides on
/// their own. The client must decode each documented response to the
/// documented values and send the documented requests; the emulator must
/// answer with the documented bodies. Neither side is compared with the
/// other, so a key name either one gets wrong fails here. The key names in
/// this file are the docs', written out by hand: never taken from a model.
@Suite("Golden wire bodies")
struct WireGoldenTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wire")

    static let poolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    static let senderID = "comms_sender_01h9krwprkeee8fzqspvwy6nq8"

    static func fixture(_ name: String) throws -> Any {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    static func object(_ name: String) throws -> [String: Any] {
        try #require(try fixture(name) as? [String: Any], "\(name).json is not an object")
    }

    // MARK: Client

    @Test func clientDecodesEveryDocumentedResponse() async throws {
        try await expectDecoded("list-senderpools-response") { api in
            try await Self.page(api.listSenderPools(SenderPoolQuery()), "senderPools", Self.pool)
        }
        try await expectDecoded("fetch-senderpool-response") { api in Self.pool(try await api.fetchSenderPool(id: Self.poolID)) }
        try await expectDecoded("list-pool-senders-response") { api in
            try await Self.page(api.listPoolSenders(poolID: Self.poolID, SenderQuery()), "senders", Self.sender)
        }
        try await expectDecoded("list-pool-senders-response") { api in
            try await Self.page(api.listSenders(SenderQuery()), "senders", Self.sender)
        }
        try await expectDecoded("list-operations-response") { api in
            try await Self.page(api.listOperations(OperationQuery()), "operations", Self.operation)
        }
        try await expectDecoded("fetch-operation-response") { api in
            Self.operation(try await api.fetchOperation(id: "comms_operation_01h9krwprkeee8fzqspvwy6nq8"))
        }
        try await expectDecoded("create-response", status: 202) { api in
            Self.accepted(try await api.createSenderPool(CreateSenderPoolRequest()))
        }
        try await expectDecoded("add-senders-response", status: 202) { api in
            Self.accepted(try await api.addSenders(poolID: Self.poolID, senderIDs: [Self.senderID]))
        }
        try await expectDecoded("update-response", status: 202) { api in
            Self.accepted(try await api.updateSenderPool(id: Self.poolID, UpdateSenderPoolRequest(name: "n")))
        }
        try await expectDecoded("delete-response", status: 202) { api in Self.accepted(try await api.deleteSenderPool(id: Self.poolID)) }
        try await expectDecoded("remove-sender-response", status: 202) { api in
            Self.accepted(try await api.removeSender(poolID: Self.poolID, senderID: Self.senderID))
        }
    }

    /// The fast member scanner reads the same documented page.
    @Test func clientScansTheDocumentedMemberPage() async throws {
        let expected = try Self.object("list-pool-senders-response")
        let senders = try #require(expected["senders"] as? [[String: Any]])
        try await expectDecoded(
            "list-pool-senders-response", as: senders.map { ["id": $0["id"]!, "address": $0["address"]!, "channel": $0["channel"]!] }
        ) {
            api in
            try await api.listPoolMembers(poolID: Self.poolID, SenderQuery()).items.map {
                ["id": $0.id, "address": $0.address, "channel": $0.channel]
            }
        }
    }

    /// The client reads `code` and `message` of the decided error body.
    @Test func clientReadsTheDecidedErrorBody() async throws {
        let expected = try Self.object("error-response")
        let transport = FixtureTransport(status: 404, body: try Self.data("error-response"))
        let api = try HTTPCommsAPI(configuration: Self.configuration, transport: transport, clock: .system)
        do {
            _ = try await api.fetchSenderPool(id: Self.poolID)
            Issue.record("error-response.json: no error")
        } catch let error as APIError {
            #expect(error.code == expected["code"] as? Int, "error-response.json: code")
            #expect(error.message == expected["message"] as? String, "error-response.json: message")
            #expect(error.status == expected["status"] as? Int, "error-response.json: status")
        }
    }

    @Test func clientSendsTheDocumentedRequests() async throws {
        let create = try Self.object("create-request")
        let createTags = try #require(create["tags"] as? [String: String])
        try await expectSent("create-request") { api in
            _ = try await api.createSenderPool(CreateSenderPoolRequest(name: create["name"] as? String, tags: createTags))
        }
        let update = try Self.object("update-request")
        let updateTags = try #require(update["tags"] as? [String: String])
        try await expectSent("update-request") { api in
            _ = try await api.updateSenderPool(id: Self.poolID, UpdateSenderPoolRequest(name: update["name"] as? String, tags: updateTags))
        }
        let add = try #require(try Self.fixture("add-senders-request") as? [[String: String]])
        try await expectSent("add-senders-request") { api in
            _ = try await api.addSenders(poolID: Self.poolID, senderIDs: add.compactMap { $0["senderId"] })
        }
    }

    // MARK: Emulator

    /// One emulator, seeded with the documented pool and senders, walked
    /// through every endpoint in an order that makes each answer the
    /// documented one; generated values are normalised on both sides.
    @Test func emulatorAnswersWithTheDocumentedBodies() async throws {
        let documentedPool = try Self.object("fetch-senderpool-response")
        let documentedSenders = try #require(try Self.object("list-pool-senders-response")["senders"] as? [[String: Any]])
        let members = documentedSenders.compactMap { $0["id"] as? String }
        let extra = Sender(
            id: Self.senderID, displayName: nil, address: "+14155550199", channel: .sms, status: .activated, tags: [:],
            createdAt: "2024-01-15T09:33:00Z", updatedAt: "2024-01-15T09:33:00Z")
        let seed = EmulatorSeed(
            senders: try documentedSenders.map(Self.seedSender) + [extra],
            pools: [
                EmulatorSeed.Pool(
                    id: Self.poolID, name: documentedPool["name"] as? String ?? "", tags: documentedPool["tags"] as? Tags ?? [:],
                    senders: members),
                EmulatorSeed.Pool(id: "comms_senderpool_01h9krwprkeee8fzqspvwy6nq9", name: "second"),
            ])
        try await withContract(seed: seed) { c in
            let pool = "/v1/SenderPools/\(Self.poolID)"
            try await expectAnswer(c, "GET", "/v1/SenderPools?pageSize=1", 200, "list-senderpools-response")
            try await expectAnswer(c, "GET", pool, 200, "fetch-senderpool-response")
            try await expectAnswer(c, "GET", pool + "/Senders", 200, "list-pool-senders-response")
            let add = try await expectAnswer(c, "POST", pool + "/Senders", 202, "add-senders-response", body: "add-senders-request")
            #expect(add.headers["location"] == add.object?["operationLocation"] as? String, "add-senders: Location")
            c.advance(seconds: 1)
            let operationID = try #require(add.object?["operationId"] as? String)
            try await expectAnswer(c, "GET", "/v1/SenderPools/Operations/\(operationID)", 200, "fetch-operation-response")
            try await expectAnswer(c, "GET", "/v1/SenderPools/Operations", 200, "list-operations-response")
            try await expectAnswer(c, "DELETE", pool + "/Senders/\(Self.senderID)", 202, "remove-sender-response")
            let update = try await expectAnswer(c, "PATCH", pool, 202, "update-response", body: "update-request")
            #expect(update.headers["location"] == update.object?["resourceLocation"] as? String, "update: Location")
            let create = try await expectAnswer(c, "POST", "/v1/SenderPools", 202, "create-response", body: "create-request")
            #expect(create.headers["location"] == create.object?["operationLocation"] as? String, "create: Location")
            try await expectAnswer(c, "DELETE", pool, 202, "delete-response")
            try await expectAnswer(c, "GET", pool, 404, "error-response")
        }
    }

    // MARK: Client side helpers

    static let configuration = HTTPClientConfiguration(credentials: goodCredentials, baseURL: "https://comms.twilio.com")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
    }

    /// The client's call answered with the fixture, its result as `read`
    /// writes it out under the docs' key names, equal to the fixture.
    func expectDecoded(
        _ name: String, status: Int = 200, sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ read: (HTTPCommsAPI) async throws -> Any
    ) async throws {
        try await expectDecoded(name, status: status, as: try Self.fixture(name), sourceLocation: sourceLocation, read)
    }

    func expectDecoded(
        _ name: String, status: Int = 200, as expected: Any, sourceLocation: Testing.SourceLocation = #_sourceLocation,
        _ read: (HTTPCommsAPI) async throws -> Any
    ) async throws {
        let transport = FixtureTransport(status: status, body: try Self.data(name))
        let api = try HTTPCommsAPI(configuration: Self.configuration, transport: transport, clock: .system)
        let decoded = try canonical(try await read(api))
        let documented = try canonical(expected)
        #expect(decoded == documented, "client decoding of \(name).json", sourceLocation: sourceLocation)
    }

    /// The body the client sends for `call` equals the fixture.
    func expectSent(_ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation, _ call: (HTTPCommsAPI) async throws -> Void)
        async throws
    {
        let transport = FixtureTransport(status: 202, body: Data("{}".utf8))
        let api = try HTTPCommsAPI(configuration: Self.configuration, transport: transport, clock: .system)
        try await call(api)
        let body = try #require(transport.bodies.first ?? nil, "\(name): no body sent")
        let sent = try canonical(try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]))
        let documented = try canonical(try Self.fixture(name))
        #expect(sent == documented, "client request \(name).json", sourceLocation: sourceLocation)
    }

    static func page<Item>(_ page: Page<Item>, _ key: String, _ item: (Item) -> Any) -> Any {
        [key: page.items.map(item), "pagination": ["next": orNull(page.pagination.next), "self": page.pagination.current]]
    }

    static func pool(_ pool: SenderPool) -> Any {
        ["id": pool.id, "name": pool.name, "tags": pool.tags, "createdAt": pool.createdAt, "updatedAt": pool.updatedAt]
    }

    static func sender(_ sender: Sender) -> Any {
        [
            "id": sender.id, "displayName": orNull(sender.displayName), "address": sender.address, "channel": sender.channel.rawValue,
            "status": sender.status.rawValue, "tags": sender.tags, "createdAt": sender.createdAt, "updatedAt": sender.updatedAt,
        ]
    }

    static func operation(_ operation: SenderPoolOperation) -> Any {
        let stats = operation.stats
        return [
            "id": operation.id, "status": operation.status.rawValue, "createdAt": operation.createdAt, "updatedAt": operation.updatedAt,
            "stats": ["total": stats.total, "queued": stats.queued, "created": stats.created, "failed": stats.failed],
        ]
    }

    static func accepted(_ accepted: OperationAccepted) -> Any {
        ["operationId": orNull(accepted.operationId), "operationLocation": orNull(accepted.operationLocation)]
    }

    static func accepted(_ accepted: ResourceAccepted) -> Any {
        ["resourceId": orNull(accepted.resourceId), "resourceLocation": orNull(accepted.resourceLocation)]
    }

    // MARK: Emulator side helpers

    /// A documented sender as seed input.
    static func seedSender(_ json: [String: Any]) throws -> Sender {
        Sender(
            id: try #require(json["id"] as? String), displayName: json["displayName"] as? String,
            address: try #require(json["address"] as? String), channel: Channel(rawValue: try #require(json["channel"] as? String)),
            status: SenderStatus(rawValue: try #require(json["status"] as? String)), tags: json["tags"] as? Tags ?? [:],
            createdAt: try #require(json["createdAt"] as? String), updatedAt: try #require(json["updatedAt"] as? String))
    }

    /// One request to the emulator; its body, normalised, equals the
    /// fixture's, normalised alike.
    @discardableResult
    func expectAnswer(
        _ c: Contract, _ method: String, _ path: String, _ status: Int, _ name: String, body: String? = nil,
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) async throws -> RawResponse {
        let request = try body.map { String(decoding: try Self.data($0), as: UTF8.self) }
        let response = try await raw(c, method, path, body: request)
        #expect(
            response.status == status, "\(method) \(path): \(String(decoding: response.body, as: UTF8.self))",
            sourceLocation: sourceLocation)
        let answer = try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
        let answered = try canonical(normalised(answer, origin: c.url))
        let documented = try canonical(normalised(try Self.fixture(name), origin: c.url))
        #expect(answered == documented, "emulator answer to \(method) \(path) against \(name).json", sourceLocation: sourceLocation)
        return response
    }
}

/// Generated values on either side made alike: the emulator's origin as the
/// docs', operation ids (generated) as one id, timestamps as one time, page
/// tokens (opaque) as one token. Keys and every other value stay.
func normalised(_ value: Any, origin: String, key: String? = nil, inPagination: Bool = false) -> Any {
    switch value {
    case let object as [String: Any]:
        var result: [String: Any] = [:]
        for (name, field) in object {
            result[name] = normalised(field, origin: origin, key: name, inPagination: key == "pagination")
        }
        return result
    case let array as [Any]:
        return array.map { normalised($0, origin: origin) }
    case var text as String:
        if inPagination { return "<token>" }
        if text.hasPrefix(origin) { text = "https://comms.twilio.com" + text.dropFirst(origin.count) }
        text = text.replacingOccurrences(
            of: "comms_operation_[0-7][0-9a-hjkmnp-tv-z]{25,34}", with: "comms_operation_<id>", options: .regularExpression)
        return text.replacingOccurrences(
            of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$", with: "<time>", options: .regularExpression)
    default:
        return value
    }
}

/// A string, or JSON's null.
func orNull(_ text: String?) -> Any { text.map { $0 as Any } ?? NSNull() }

/// A JSON value as sorted, compact text, so that two values compare (and
/// show) as text.
func canonical(_ value: Any) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}

/// Answers every request with one status and body, and keeps the bodies sent.
final class FixtureTransport: HTTPTransport {
    let status: Int
    let body: Data
    private let sent = Mutex<[Data?]>([])

    init(status: Int, body: Data) {
        self.status = status
        self.body = body
    }

    var bodies: [Data?] { sent.withLock { $0 } }

    func send(_ request: TransportRequest, timeout: Duration) async throws(TransportFailure) -> TransportResponse {
        sent.withLock { $0.append(request.body) }
        return TransportResponse(status: status, headers: [(name: "Content-Type", value: "application/json")], body: body)
    }

    func shutdown() async throws {}
}

import Foundation
import Hummingbird
import HummingbirdTesting
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

let credentials = EmulatorConfiguration(accountSID: "AC123", authToken: "secret", operationDelayMS: 200)

func basic(_ user: String, _ password: String) -> String {
    "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
}

let authHeaders: HTTPFields = [.authorization: basic("AC123", "secret")]
let jsonHeaders: HTTPFields = [.authorization: basic("AC123", "secret"), .contentType: "application/json"]

/// Runs `body` against the emulator through HummingbirdTesting's router framework.
func withEmulator(
    _ configuration: EmulatorConfiguration = credentials,
    seed: EmulatorSeed = EmulatorSeed(senders: knownSenders, generatedSenders: 20),
    clock: ManualClock = ManualClock(),
    _ body: @Sendable (any TestClientProtocol, EmulatorStore) async throws -> Void
) async throws {
    let store = try EmulatorStore(seed: seed, configuration: configuration, clock: clock.clock)
    let app = makeEmulatorApplication(configuration, store: store)
    try await app.test(.router) { client in try await body(client, store) }
}

extension TestResponse {
    var json: [String: Any] { (try? jsonObject(body.readableBytesView)) ?? [:] }
    var text: String { String(buffer: body) }

    /// The error body has exactly code, message, moreInfo and status.
    func expectError(_ status: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(Int(self.status.code) == status, "\(text)", sourceLocation: sourceLocation)
        let json = self.json
        #expect(Set(json.keys) == ["code", "message", "moreInfo", "status"], sourceLocation: sourceLocation)
        #expect(json["status"] as? Int == status, sourceLocation: sourceLocation)
        let code = json["code"] as? Int
        #expect(code == EmulatorErrors.code(for: status), sourceLocation: sourceLocation)
        #expect(json["moreInfo"] as? String == "https://www.twilio.com/docs/errors/\(code ?? 0)", sourceLocation: sourceLocation)
        #expect((json["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    }
}

func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

@Suite("HTTP front")
struct RouterTests {
    @Test func basicAuthIsRequiredOnV1() async throws {
        try await withEmulator { client, _ in
            let missing = try await client.execute(uri: "/v1/SenderPools", method: .get)
            missing.expectError(401)
            #expect(missing.headers[.wwwAuthenticate] == "Basic realm=\"Twilio Comms API\"")
            try await client.execute(uri: "/v1/SenderPools", method: .get, headers: [.authorization: basic("AC123", "wrong")]).expectError(
                401)
            try await client.execute(uri: "/v1/SenderPools", method: .get, headers: [.authorization: "Bearer x"]).expectError(401)
            try await client.execute(uri: "/v1/Senders", method: .get, headers: [.authorization: "Basic !!!"]).expectError(401)
            let ok = try await client.execute(uri: "/v1/SenderPools", method: .get, headers: authHeaders)
            #expect(ok.status == .ok)
            #expect(Set(ok.json.keys) == ["senderPools", "pagination"])
        }
        // Without configured credentials any non-empty pair works.
        try await withEmulator(EmulatorConfiguration()) { client, _ in
            #expect(
                try await client.execute(uri: "/v1/Senders", method: .get, headers: [.authorization: basic("anyone", "x")]).status == .ok)
            try await client.execute(uri: "/v1/Senders", method: .get, headers: [.authorization: basic("anyone", "")]).expectError(401)
            try await client.execute(uri: "/v1/Senders", method: .get, headers: [.authorization: basic("", "x")]).expectError(401)
        }
    }

    @Test func routesAreExactAndCheckedBeforeAuth() async throws {
        try await withEmulator { client, _ in
            try await client.execute(uri: "/v1/Nope", method: .get).expectError(404)
            try await client.execute(uri: "/v1/SenderPools/", method: .get, headers: authHeaders).expectError(404)
            try await client.execute(uri: "/v1/senderpools", method: .get, headers: authHeaders).expectError(404)
            try await client.execute(uri: "/v1/Senders/\(s1)", method: .get, headers: authHeaders).expectError(404)
            let wrongMethod = try await client.execute(uri: "/v1/SenderPools", method: .put)
            wrongMethod.expectError(405)
            #expect(wrongMethod.headers[.allow] == "GET, POST")
            let remove = try await client.execute(uri: "/v1/SenderPools/\(unknownPoolID)/Senders/\(s1)", method: .get)
            remove.expectError(405)
            #expect(remove.headers[.allow] == "DELETE")
        }
    }

    @Test func malformedRequestsAreBadRequests() async throws {
        try await withEmulator { client, _ in
            let bad: [(String, HTTPRequest.Method, HTTPFields, String?)] = [
                ("/v1/SenderPools", .post, jsonHeaders, "{"),
                ("/v1/SenderPools", .post, jsonHeaders, ""),
                ("/v1/SenderPools", .post, jsonHeaders, "[]"),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"name":"a","extra":1}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"name":null}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"name":"a","name":"b"}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"tags":{"k":1}}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"tags":{"k v":"x"}}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"senders":[{"senderId":"\#(s1)"},{"senderId":"\#(s1)"}]}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"senders":[{"senderId":"\#(s1)","x":1}]}"#),
                ("/v1/SenderPools", .post, jsonHeaders, #"{"senders":[{"senderId":"comms_sender_BAD"}]}"#),
                ("/v1/SenderPools", .post, authHeaders, #"{"name":"no content type"}"#),
                ("/v1/SenderPools", .post, [.authorization: basic("AC123", "secret"), .contentType: "text/plain"], "{}"),
                ("/v1/SenderPools/not-a-pool", .get, authHeaders, nil),
                ("/v1/SenderPools/\(unknownPoolID.uppercased())", .get, authHeaders, nil),
                ("/v1/SenderPools/Operations/comms_operation_x", .get, authHeaders, nil),
                ("/v1/SenderPools/\(unknownPoolID)", .patch, jsonHeaders, "{}"),
                ("/v1/SenderPools/\(unknownPoolID)/Senders", .post, jsonHeaders, #"{"senderId":"\#(s1)"}"#),
                ("/v1/SenderPools/\(unknownPoolID)/Senders", .post, jsonHeaders, "[]"),
                ("/v1/SenderPools/\(unknownPoolID)/Senders/nope", .delete, authHeaders, nil),
                ("/v1/SenderPools?pageSize=abc", .get, authHeaders, nil),
                ("/v1/SenderPools?pageSize=0", .get, authHeaders, nil),
                ("/v1/SenderPools?pageSize=1001", .get, authHeaders, nil),
                ("/v1/SenderPools?pageSize=5&pageSize=6", .get, authHeaders, nil),
                ("/v1/SenderPools?pageToken=", .get, authHeaders, nil),
                ("/v1/SenderPools?pageToken=garbage", .get, authHeaders, nil),
                ("/v1/SenderPools?startDate=yesterday", .get, authHeaders, nil),
                ("/v1/SenderPools?operationId=op", .get, authHeaders, nil),
                ("/v1/SenderPools/Operations?status=DONE", .get, authHeaders, nil),
                ("/v1/Senders?channel=FAX", .get, authHeaders, nil),
                ("/v1/Senders?status=%ZZ", .get, authHeaders, nil),
            ]
            for (uri, method, headers, text) in bad {
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: text.map(body))
                #expect(response.status == .badRequest, "\(method) \(uri) \(text ?? "") -> \(response.status.code) \(response.text)")
                response.expectError(400)
            }
            // Unknown query parameters are ignored; percent-encoded offsets work.
            #expect(
                try await client.execute(
                    uri: "/v1/SenderPools?foo=bar&startDate=2025-01-01T01:00:00%2B01:00", method: .get, headers: authHeaders
                ).status == .ok)
            // Body checks come before existence checks.
            try await client.execute(
                uri: "/v1/SenderPools/\(unknownPoolID)", method: .patch, headers: jsonHeaders, body: body(#"{"nope":1}"#)
            ).expectError(400)
            try await client.execute(
                uri: "/v1/SenderPools/\(unknownPoolID)", method: .patch, headers: jsonHeaders, body: body(#"{"name":"x"}"#)
            ).expectError(404)
            try await client.execute(uri: "/v1/SenderPools/\(unknownPoolID)", method: .get, headers: authHeaders).expectError(404)
            try await client.execute(uri: "/v1/SenderPools/Operations/\(unknownOperationID)", method: .get, headers: authHeaders)
                .expectError(404)
        }
    }

    @Test func bodyErrorsNameTheProperty() async throws {
        try await withEmulator { client, _ in
            let cases: [(String, String)] = [
                (#"{"name":"a","n\u0061me":"b"}"#, "property 'name' appears more than once"),
                (#"{"tags":{"k":"a","k":"b"}}"#, "property 'k' appears more than once"),
                (#"{"senders":[{"senderId":"x","senderId":"y"}]}"#, "property 'senderId' appears more than once"),
                (#"{"name":"a","b":1,"a":2}"#, "unknown property 'a' in the request body; allowed: name, tags, senders"),
                (#"{"name":null}"#, "name must be a string, not null"),
                (#"{"name":true}"#, "name must be a string, not a boolean"),
                (#"{"tags":[]}"#, "tags must be an object, not an array"),
                (#"{"tags":{"k":1.5}}"#, "value of tag 'k' must be a string, not a number"),
                (#"{"senders":{}}"#, "senders must be an array, not an object"),
                (#"{"senders":[{}]}"#, "senders[0] needs a senderId"),
                (#"{"senders":[{"senderId":"\#(s1)"},"x"]}"#, "senders[1] must be a JSON object, not a string"),
                (#"{"senders":[{"senderId":7}]}"#, "senders[0].senderId must be a string, not a number"),
                ("[]", "the request body must be a JSON object, not an array"),
                (#"{"name":"a"} x"#, "request body is not valid JSON"),
            ]
            for (text, message) in cases {
                let response = try await client.execute(uri: "/v1/SenderPools", method: .post, headers: jsonHeaders, body: body(text))
                response.expectError(400)
                #expect((response.json["message"] as? String)?.hasPrefix(message) == true, "\(text) -> \(response.text)")
            }
            let add = try await client.execute(
                uri: "/v1/SenderPools/\(unknownPoolID)/Senders", method: .post, headers: jsonHeaders,
                body: body(#"[{"senderId":"\#(s1)","x":1}]"#))
            #expect(add.json["message"] as? String == "unknown property 'x' in item[0]; allowed: senderId")
        }
    }

    @Test func bodiesOver2MiBAndEncodedPathSegments() async throws {
        try await withEmulator { client, _ in
            let huge = #"{"name":""# + String(repeating: "a", count: 2 * 1024 * 1024) + #""}"#
            try await client.execute(uri: "/v1/SenderPools", method: .post, headers: jsonHeaders, body: body(huge)).expectError(400)
            // Segments are split first, then decoded: an encoded '/' cannot make a route.
            try await client.execute(uri: "/v1/SenderPools/a%2FSenders", method: .get, headers: authHeaders).expectError(400)
            try await client.execute(uri: "/v1/SenderPools/%ZZ", method: .get, headers: authHeaders).expectError(400)
            // A percent-encoded but well-formed id is decoded, then looked up.
            let encoded = unknownPoolID.replacingOccurrences(of: "_", with: "%5F")
            try await client.execute(uri: "/v1/SenderPools/\(encoded)", method: .get, headers: authHeaders).expectError(404)
            // Bodies on GET and DELETE are ignored.
            try await client.execute(uri: "/v1/SenderPools/\(unknownPoolID)", method: .delete, headers: authHeaders, body: body("junk"))
                .expectError(404)
        }
    }

    @Test func acceptedResponsesCarryLocations() async throws {
        let clock = ManualClock()
        try await withEmulator(clock: clock) { client, _ in
            let create = try await client.execute(
                uri: "/v1/SenderPools", method: .post, headers: jsonHeaders,
                body: body(#"{"name":"Sales","tags":{"region":"APAC"},"senders":[{"senderId":"\#(s1)"}]}"#))
            #expect(create.status == .accepted)
            let accepted = create.json
            #expect(Set(accepted.keys) == ["operationId", "operationLocation"])
            let operationID = try #require(accepted["operationId"] as? String)
            #expect(accepted["operationLocation"] as? String == "http://localhost/v1/SenderPools/Operations/\(operationID)")
            #expect(create.headers[.location] == accepted["operationLocation"] as? String)

            let list = try await client.execute(uri: "/v1/SenderPools?operationId=\(operationID)", method: .get, headers: authHeaders).json
            let pools = try #require(list["senderPools"] as? [[String: Any]])
            #expect(pools.count == 1)
            #expect(Set(pools[0].keys) == ["id", "name", "tags", "createdAt", "updatedAt"])
            let poolID = try #require(pools[0]["id"] as? String)
            let pagination = try #require(list["pagination"] as? [String: Any])
            #expect(pagination["next"] is NSNull)
            #expect(pagination["self"] as? String == "eyJ2IjoxfQ")

            // 409 while PROCESSING.
            try await client.execute(uri: "/v1/SenderPools/\(poolID)", method: .patch, headers: jsonHeaders, body: body(#"{"name":"x"}"#))
                .expectError(409)
            let operation = try await client.execute(uri: "/v1/SenderPools/Operations/\(operationID)", method: .get, headers: authHeaders)
                .json
            #expect(Set(operation.keys) == ["id", "status", "stats", "createdAt", "updatedAt"])
            #expect(operation["status"] as? String == "PROCESSING")
            clock.advance(milliseconds: 200)

            let update = try await client.execute(
                uri: "/v1/SenderPools/\(poolID)", method: .patch,
                headers: [
                    .authorization: basic("AC123", "secret"), .contentType: "application/json; charset=utf-8",
                ], body: body(#"{"tags":{}}"#))
            #expect(update.status == .accepted)
            #expect(update.json["resourceId"] as? String == poolID)
            #expect(update.json["resourceLocation"] as? String == "http://localhost/v1/SenderPools/\(poolID)")
            #expect(update.headers[.location] == "http://localhost/v1/SenderPools/\(poolID)")

            let add = try await client.execute(
                uri: "/v1/SenderPools/\(poolID)/Senders", method: .post, headers: jsonHeaders,
                body: body(#"[{"senderId":"\#(s2)"},{"senderId":"\#(strangerID)"}]"#))
            #expect(add.status == .accepted)
            let addID = try #require(add.json["operationId"] as? String)
            let nested = "http://localhost/v1/SenderPools/\(poolID)/Senders/Operations/\(addID)"
            #expect(add.json["operationLocation"] as? String == nested)
            #expect(add.headers[.location] == nested)
            clock.advance(milliseconds: 200)
            for uri in ["/v1/SenderPools/\(poolID)/Senders/Operations/\(addID)", "/v1/SenderPools/Operations/\(addID)"] {
                let op = try await client.execute(uri: uri, method: .get, headers: authHeaders).json
                #expect(op["status"] as? String == "COMPLETED")
                #expect(op["stats"] as? [String: Int] == ["total": 2, "queued": 0, "created": 1, "failed": 1])
            }
            try await client.execute(
                uri: "/v1/SenderPools/\(unknownPoolID)/Senders/Operations/\(addID)", method: .get, headers: authHeaders
            ).expectError(404)

            let members = try await client.execute(uri: "/v1/SenderPools/\(poolID)/Senders", method: .get, headers: authHeaders).json
            let senders = try #require(members["senders"] as? [[String: Any]])
            #expect(senders.map { $0["id"] as? String } == [s1, s2])
            #expect(Set(senders[1].keys) == ["id", "displayName", "address", "channel", "status", "tags", "createdAt", "updatedAt"])
            #expect(senders[1]["displayName"] is NSNull)

            let remove = try await client.execute(uri: "/v1/SenderPools/\(poolID)/Senders/\(s1)", method: .delete, headers: authHeaders)
            #expect(remove.status == .accepted)
            #expect(remove.headers[.location] == nil)
            #expect(remove.json["resourceId"] as? String == s1)
            #expect(remove.json["resourceLocation"] as? String == "http://localhost/v1/SenderPools/\(poolID)/Senders/\(s1)")
            try await client.execute(uri: "/v1/SenderPools/\(poolID)/Senders/\(s1)", method: .delete, headers: authHeaders).expectError(404)

            let delete = try await client.execute(uri: "/v1/SenderPools/\(poolID)", method: .delete, headers: authHeaders)
            #expect(delete.status == .accepted)
            #expect(delete.headers[.location] == nil)
            #expect(delete.json["resourceId"] as? String == poolID)
            try await client.execute(uri: "/v1/SenderPools/\(poolID)", method: .delete, headers: authHeaders).expectError(404)
        }
    }

    @Test func adminEndpointsAndRequestCounting() async throws {
        let seed = EmulatorSeed(
            senders: knownSenders, pools: [EmulatorSeed.Pool(name: "Legacy", tags: ["team": "ops"], senders: [s2, s1])])
        let clock = ManualClock()
        try await withEmulator(seed: seed, clock: clock) { client, store in
            let state = try await client.execute(uri: "/_emulator/state", method: .get)
            #expect(state.status == .ok)
            let legacy = try #require(await store.state().pools.first?.id)
            #expect(state.text == #"{"pools":[{"id":"\#(legacy)","name":"Legacy","senders":["\#(s1)","\#(s2)"],"tags":{"team":"ops"}}]}"#)

            _ = try await client.execute(uri: "/v1/SenderPools", method: .get, headers: authHeaders)
            _ = try await client.execute(uri: "/v1/SenderPools", method: .get)
            _ = try await client.execute(uri: "/v1/SenderPools/\(legacy)", method: .get, headers: authHeaders)
            _ = try await client.execute(uri: "/v1/SenderPools", method: .post, headers: jsonHeaders, body: body(#"{"name":"new"}"#))
            _ = try await client.execute(uri: "/v1/Nowhere", method: .get)
            _ = try await client.execute(uri: "/v1/SenderPools", method: .delete)
            // Operations settle before the state is served.
            clock.advance(milliseconds: 200)
            let after = try await client.execute(uri: "/_emulator/state", method: .get).json
            #expect((after["pools"] as? [Any])?.count == 2)

            let log = try await client.execute(uri: "/_emulator/requests", method: .get)
            #expect(log.status == .ok)
            let decoded = try JSONDecoder().decode(EmulatorRequestLog.self, from: Data(log.body.readableBytesView))
            #expect(
                decoded
                    == EmulatorRequestLog(
                        total: 6,
                        byEndpoint: ["GET /v1/SenderPools": 2, "GET /v1/SenderPools/{senderPoolId}": 1, "POST /v1/SenderPools": 1],
                        byStatus: ["200": 2, "202": 1, "401": 1, "404": 1, "405": 1]
                    ))
            #expect(log.text.hasPrefix(#"{"byEndpoint":{"GET /v1/SenderPools":2,"#))

            let reset = try await client.execute(uri: "/_emulator/reset", method: .post)
            #expect(reset.status == .ok)
            #expect(try await client.execute(uri: "/_emulator/state", method: .get).text == state.text)
            let cleared = try await client.execute(uri: "/_emulator/requests", method: .get).text
            #expect(cleared == #"{"byEndpoint":{},"byStatus":{},"total":0}"#)
            try await client.execute(uri: "/_emulator/reset", method: .get).expectError(405)
        }
    }

    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        let clock = ManualClock()
        var configuration = credentials
        configuration.rateLimit = 2
        try await withEmulator(configuration, clock: clock) { client, _ in
            #expect(try await client.execute(uri: "/v1/Senders", method: .get, headers: authHeaders).status == .ok)
            #expect(try await client.execute(uri: "/v1/Senders", method: .get, headers: authHeaders).status == .ok)
            let limited = try await client.execute(uri: "/v1/Senders", method: .get, headers: authHeaders)
            limited.expectError(429)
            #expect(limited.headers[.retryAfter] == "1")
            // Admin endpoints are never limited.
            #expect(try await client.execute(uri: "/_emulator/state", method: .get).status == .ok)
            clock.advance(milliseconds: 500)
            #expect(try await client.execute(uri: "/v1/Senders", method: .get, headers: authHeaders).status == .ok)
            try await client.execute(uri: "/v1/Senders", method: .get, headers: authHeaders).expectError(429)
        }
    }

    @Test func injectedErrorsHaveNoSideEffects() async throws {
        var configuration = credentials
        configuration.errorRate = 1
        configuration.randomSeed = 3
        try await withEmulator(configuration) { client, store in
            var statuses = Set<Int>()
            for _ in 0..<20 {
                let response = try await client.execute(uri: "/v1/SenderPools", method: .post, headers: jsonHeaders, body: body("{}"))
                response.expectError(Int(response.status.code))
                statuses.insert(Int(response.status.code))
            }
            #expect(statuses == [500, 503])
            #expect(await store.state().pools.isEmpty)
            // Auth is checked before faults.
            try await client.execute(uri: "/v1/SenderPools", method: .get).expectError(401)
        }
    }

    @Test func listsServeThePaginationContract() async throws {
        let clock = ManualClock()
        try await withEmulator(clock: clock) { client, _ in
            var ids: [String] = []
            var token: String?
            repeat {
                var uri = "/v1/Senders?pageSize=7&channel=SMS"
                if let token { uri += "&pageToken=\(token)" }
                let page = try await client.execute(uri: uri, method: .get, headers: authHeaders).json
                let senders = try #require(page["senders"] as? [[String: Any]])
                #expect(senders.count <= 7)
                ids += senders.compactMap { $0["id"] as? String }
                token = (page["pagination"] as? [String: Any])?["next"] as? String
            } while token != nil
            let expected =
                knownSenders.filter { $0.channel == .sms }.count
                + EmulatorSeed.syntheticSenders(count: 20).filter { $0.channel == .sms }.count
            #expect(ids.count == expected)
            #expect(Set(ids).count == ids.count)
        }
    }
}

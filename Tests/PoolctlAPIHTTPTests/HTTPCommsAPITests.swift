import Foundation
import PoolctlAPI
import Synchronization
import Testing

@testable import PoolctlAPIHTTP

@Suite struct HTTPCommsAPITests {
    let poolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    let operationID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"

    func errorBody(_ status: Int, _ code: Int, _ message: String) -> String {
        #"{"code":\#(code),"message":"\#(message)","moreInfo":"https://www.twilio.com/docs/errors/\#(code)","status":\#(status)}"#
    }

    // MARK: Success paths

    @Test func listDecodesTolerantlyAndSendsTheRightRequest() async throws {
        let h = try Harness([
            .respond(
                200,
                body: """
                    {"senderPools":[\(poolJSON)],"pagination":{"next":"eyJ2IjoxfQ","self":"eyJ2IjoxfQ"},"extra":true}
                    """)
        ])
        let page = try await h.api.listSenderPools(SenderPoolQuery(pageSize: 1000))
        #expect(page.items.map(\.id) == [poolID])
        #expect(page.items.first?.tags == ["poolctl": "marketing.sales"])
        #expect(page.pagination == Pagination(next: "eyJ2IjoxfQ", current: "eyJ2IjoxfQ"))

        let sent = try #require(h.transport.sent.first)
        #expect(sent.request.method == "GET")
        #expect(sent.request.url == "https://comms.example.test/v1/SenderPools?pageSize=1000")
        #expect(sent.request.body == nil)
        let headers = Dictionary(uniqueKeysWithValues: sent.request.headers.map { ($0.name, $0.value) })
        #expect(headers["Authorization"] == "Basic \(testBasicToken)")
        #expect(headers["Accept"] == "application/json")
        #expect(headers["Content-Type"] == nil)
        #expect(sent.timeout == .seconds(30))
        #expect(h.counter.calls == [.listSenderPools: 1])
        #expect(h.counter.retries == 0)
    }

    /// Audit, 7 Dec: a gateway's error body sent with a 200 read as an
    /// account with no pools, and apply created every pool a second time.
    @Test func aBodyThatIsNoListIsAnInvalidResponseNotAnEmptyPage() async throws {
        let h = try Harness([.respond(200, body: errorBody(401, 20003, "Authenticate"))])
        let error = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(error.kind == .invalidResponse)
        #expect(error.message == "unexpected response body: missing field 'senderPools'", "\(error.message)")
    }

    @Test func unknownEnumValuesAreKept() async throws {
        let h = try Harness([
            .respond(
                200,
                body: """
                    {"senders":[{"id":"comms_sender_01h9krwprkeee8fzqspvwy6nq9","displayName":null,"address":"x","channel":"CARRIER_PIGEON",
                      "status":"SUSPENDED","tags":{},"createdAt":"2024-01-15T09:30:00Z","updatedAt":"2024-01-15T09:30:00Z"}],
                     "pagination":{"next":null,"self":"abc"}}
                    """)
        ])
        let page = try await h.api.listPoolSenders(poolID: poolID, SenderQuery())
        #expect(page.items.first?.channel.rawValue == "CARRIER_PIGEON")
        #expect(page.items.first?.status.rawValue == "SUSPENDED")
        #expect(page.pagination.next == nil)
    }

    @Test func emptyNextTokenEndsTheList() async throws {
        let h = try Harness([.respond(200, body: #"{"operations":[],"pagination":{"next":"","self":"x"}}"#)])
        let page = try await h.api.listOperations(OperationQuery())
        #expect(page.items.isEmpty)
        #expect(page.pagination.next == nil)
    }

    @Test func paginatedInventoryFollowsNext() async throws {
        let sender =
            #"{"id":"comms_sender_01h9krwprkeee8fzqspvwy6nq9","displayName":"A","address":"+1555","channel":"SMS","status":"ACTIVATED","tags":{},"createdAt":"2024-01-15T09:30:00Z","updatedAt":"2024-01-15T09:30:00Z"}"#
        let h = try Harness([
            .respond(200, body: #"{"senders":[\#(sender)],"pagination":{"next":"p2","self":"p1"}}"#),
            .respond(200, body: #"{"senders":[\#(sender)],"pagination":{"next":null,"self":"p2"}}"#),
        ])
        let all = try await h.api.allSenders(SenderQuery(channel: .sms)).collect()
        #expect(all.count == 2)
        #expect(
            h.transport.sent.map(\.request.url) == [
                "https://comms.example.test/v1/Senders?channel=SMS&pageSize=1000",
                "https://comms.example.test/v1/Senders?channel=SMS&pageToken=p2&pageSize=1000",
            ])
        #expect(h.counter.calls == [.listSenders: 2])
    }

    @Test func createFillsLocationFromTheHeader() async throws {
        let location = "https://comms.example.test/v1/SenderPools/Operations/\(operationID)"
        let h = try Harness([
            .respond(
                202, headers: [(name: "location", value: location)],
                body: #"{"operationId":"\#(operationID)","operationLocation":"\#(location)","new":1}"#)
        ])
        let accepted = try await h.api.createSenderPool(CreateSenderPoolRequest(name: "Sales", tags: ["k": "v"]))
        #expect(accepted == OperationAccepted(operationId: operationID, operationLocation: location, location: location))
        let sent = try #require(h.transport.sent.first)
        #expect(sent.request.method == "POST")
        #expect(sent.request.url == "https://comms.example.test/v1/SenderPools")
        #expect(sent.request.body.map { String(decoding: $0, as: UTF8.self) } == #"{"name":"Sales","tags":{"k":"v"}}"#)
        #expect(sent.request.headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })
        #expect(h.counter.calls == [.createSenderPool: 1])
    }

    @Test func acceptedWithAnUnreadableBodyStillSucceeds() async throws {
        let location = "https://comms.example.test/v1/SenderPools/\(poolID)/Senders/Operations/\(operationID)"
        let h = try Harness([
            .respond(202, headers: [(name: "Location", value: location)], body: "<html>accepted</html>"),
            .respond(202, body: ""),
        ])
        let accepted = try await h.api.addSenders(poolID: poolID, senderIDs: ["comms_sender_x"])
        #expect(accepted.operationId == nil)
        #expect(accepted.resolvedOperationID == operationID)
        let deleted = try await h.api.deleteSenderPool(id: poolID)
        #expect(deleted == ResourceAccepted(resourceId: nil, resourceLocation: nil))
    }

    @Test func updateAndRemoveDecodeResourceAccepted() async throws {
        let location = "https://comms.example.test/v1/SenderPools/\(poolID)"
        let h = try Harness([
            .respond(
                202, headers: [(name: "Location", value: location)], body: #"{"resourceId":"\#(poolID)","resourceLocation":"\#(location)"}"#
            ),
            .respond(202, body: #"{"resourceId":"comms_sender_x"}"#),
        ])
        let updated = try await h.api.updateSenderPool(id: poolID, UpdateSenderPoolRequest(tags: [:]))
        #expect(updated == ResourceAccepted(resourceId: poolID, resourceLocation: location))
        let removed = try await h.api.removeSender(poolID: poolID, senderID: "comms_sender_x")
        #expect(removed.resourceId == "comms_sender_x")
        #expect(h.transport.sent.map(\.request.method) == ["PATCH", "DELETE"])
        #expect(h.counter.calls == [.updateSenderPool: 1, .removeSender: 1])
    }

    @Test func fetchesDecodeSingleObjects() async throws {
        let operation =
            #"{"id":"\#(operationID)","status":"COMPLETED","stats":{"total":1,"queued":0,"created":1,"failed":0},"createdAt":"a","updatedAt":"b"}"#
        let h = try Harness([.respond(200, body: poolJSON), .respond(200, body: operation), .respond(200, body: operation)])
        #expect(try await h.api.fetchSenderPool(id: poolID).name == "Sales")
        #expect(try await h.api.fetchOperation(id: operationID).status == .completed)
        #expect(try await h.api.fetchPoolSendersOperation(poolID: poolID, operationID: operationID).stats.created == 1)
        #expect(h.counter.calls == [.fetchSenderPool: 1, .fetchOperation: 1, .fetchPoolSendersOperation: 1])
    }

    /// Audit, 7 Dec: a location without a leading `/` was joined to the base
    /// URL as text, so `@host/x` became userinfo and `.host/x` a longer host
    /// name, and the credentials went there. Now such a location is not a
    /// path: the documented flat path on the base URL is polled instead.
    @Test(arguments: ["@127.0.0.2:18099/x", ".attacker.example/v1/x", "1/v1/SenderPools/Operations/op", "evil/x"])
    func aLocationThatIsNotAPathIsNeverRequested(location: String) async throws {
        let operation =
            #"{"id":"\#(operationID)","status":"COMPLETED","stats":{"total":1,"queued":0,"created":1,"failed":0},"createdAt":"a","updatedAt":"b"}"#
        #expect(OperationPath(location: location, operationID: operationID) == nil)
        let h = try Harness([.respond(200, body: operation)])
        let reference = OperationReference(OperationAccepted(operationId: operationID, operationLocation: location), poolID: nil)
        #expect(try await h.api.fetchOperation(try #require(reference)).status == .completed)
        #expect(h.transport.sent.map(\.request.url) == ["https://comms.example.test/v1/SenderPools/Operations/\(operationID)"])
    }

    @Test func aTargetThatIsNotAPathIsRefusedBeforeAnythingIsSent() async throws {
        let h = try Harness([])
        let error = try #require(await apiError { _ = try await h.api.fetchOperation(at: .other(path: "@evil.test/x", operationID: "op")) })
        #expect(error.kind == .invalidResponse)
        #expect(h.transport.sent.isEmpty)
    }

    // MARK: Errors

    @Test func apiErrorBodyIsDecoded() async throws {
        let h = try Harness([.respond(404, body: errorBody(404, 20404, "SenderPool not found"))])
        let error = try #require(await apiError { _ = try await h.api.fetchSenderPool(id: poolID) })
        #expect(error.kind == .http)
        #expect(error.isNotFound)
        #expect(error.method == "GET" && error.path == "/v1/SenderPools/\(poolID)")
        #expect(error.code == 20404)
        #expect(error.message == "SenderPool not found")
        #expect(error.attempts == 1)
        #expect(error.description == "GET /v1/SenderPools/\(poolID): HTTP 404 (code 20404): SenderPool not found")
    }

    @Test(arguments: [
        ("", "Unauthorized"),
        ("<html>\n<body>Bad   gateway</body></html>", "<html> <body>Bad gateway</body></html>"),
        (#"{"error":"nope"}"#, #"{"error":"nope"}"#),
        (#"{"code":"20003","detail":"Authenticate"}"#, "Authenticate"),
    ])
    func anyErrorBodyIsTolerated(_ body: String, _ message: String) async throws {
        let h = try Harness([.respond(401, body: body)])
        let error = try #require(await apiError { _ = try await h.api.listOperations(OperationQuery()) })
        #expect(error.kind == .http && error.status == 401)
        #expect(error.message == message)
    }

    @Test func conflictIsNotRetried() async throws {
        let h = try Harness([.respond(409, body: errorBody(409, 20409, "An operation is in progress"))])
        let error = try #require(await apiError { _ = try await h.api.addSenders(poolID: poolID, senderIDs: ["x"]) })
        #expect(error.isConflict)
        #expect(h.counter.total == 1)
    }

    @Test func undecodableSuccessIsAnInvalidResponse() async throws {
        let h = try Harness([.respond(200, body: #"{"senderPools":[{"id":1}]}"#)])
        let error = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(error.kind == .invalidResponse)
        #expect(error.status == 200)
        // In the body's terms: its path and the JSON kinds, never Swift's types or CodingKeys; no value
        // from the body (an API body's values may be personal data).
        #expect(error.message == "unexpected response body: expected a string, found a number at senderPools[0].id")
    }

    /// A count the API sent as a fraction: Foundation on Linux says "not
    /// valid JSON" without a path; the message names where, not the value.
    @Test func aFractionWhereACountBelongsIsNamedByPathOnly() async throws {
        let body = #"{"id":"op","status":"PROCESSING","stats":{"total":2.5,"queued":0,"created":0,"failed":0}}"#
        let h = try Harness([.respond(200, body: body)])
        let error = try #require(await apiError { _ = try await h.api.fetchOperation(id: "op") })
        #expect(error.kind == .invalidResponse)
        #expect(
            error.message
                == "unexpected response body: a whole number was expected where there is a fraction or a number out of range: stats.total")
    }

    // MARK: Retries

    @Test func getIsRetriedAfter503() async throws {
        let h = try Harness([.respond(503, body: errorBody(503, 20503, "Service unavailable")), .respond(200, body: poolJSON)])
        _ = try await h.api.fetchSenderPool(id: poolID)
        #expect(h.counter.calls == [.fetchSenderPool: 2])
        #expect(h.counter.retries == 1)
        #expect(h.clock.sleeps == [.milliseconds(250)])
    }

    @Test func postIsNotRepeatedAfter503() async throws {
        let h = try Harness([.respond(503, body: errorBody(503, 20503, "Service unavailable"))])
        let error = try #require(await apiError { _ = try await h.api.createSenderPool(CreateSenderPoolRequest()) })
        #expect(error.kind == .outcomeUnknown)
        #expect(error.status == 503 && error.code == 20503)
        #expect(error.method == "POST" && error.path == "/v1/SenderPools")
        #expect(h.counter.total == 1)
        #expect(h.clock.sleeps.isEmpty)
    }

    @Test func postIsNotRepeatedAfterATimeout() async throws {
        let h = try Harness([.fail(.maybeSent("no response within 30.0 s"), takes: .seconds(30))])
        let error = try #require(await apiError { _ = try await h.api.addSenders(poolID: poolID, senderIDs: ["x"]) })
        #expect(error.kind == .outcomeUnknown)
        #expect(error.message.contains("no response within 30.0 s"))
        #expect(h.counter.total == 1)
    }

    @Test func postIsRepeatedWhenItNeverLeft() async throws {
        let h = try Harness([
            .fail(.notSent("connection refused")), .fail(.notSent("connection refused")),
            .respond(202, body: #"{"operationId":"\#(operationID)"}"#),
        ])
        let accepted = try await h.api.createSenderPool(CreateSenderPoolRequest())
        #expect(accepted.operationId == operationID)
        #expect(h.counter.calls == [.createSenderPool: 3])
        #expect(h.counter.retries == 2)
        #expect(h.clock.sleeps == [.milliseconds(250), .milliseconds(500)])
    }

    @Test func postHonoursRetryAfterOn429() async throws {
        let h = try Harness([
            .respond(429, headers: [(name: "Retry-After", value: "2")], body: errorBody(429, 20429, "Too many requests")),
            .respond(202, body: #"{"operationId":"\#(operationID)"}"#),
        ])
        _ = try await h.api.createSenderPool(CreateSenderPoolRequest())
        #expect(h.clock.sleeps == [.seconds(2)])
        #expect(h.counter.calls == [.createSenderPool: 2])
    }

    @Test func attemptsAreBounded() async throws {
        let h = try Harness(Array(repeating: .respond(503, body: ""), count: 5))
        let error = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(error.kind == .http && error.status == 503)
        #expect(error.message == "Service Unavailable")
        #expect(error.attempts == 5)
        #expect(error.description.hasSuffix("(after 5 attempts)"))
        #expect(h.counter.calls == [.listSenderPools: 5])
        #expect(h.counter.retries == 4)
    }

    /// A call none of whose attempts could connect, from a client the server
    /// has never answered, is `.unreachable`: a wrong URL or an API that is
    /// down, which no layer above should retry. Once the server has
    /// answered, the same failure is an ordinary transient one.
    @Test func aCallThatNeverConnectsIsUnreachableUntilTheServerHasAnswered() async throws {
        let refused = Array(repeating: ScriptedTransport.Step.fail(.notSent("connection refused")), count: 5)
        let h = try Harness(refused + [.respond(200, body: poolJSON)] + refused)
        let first = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(first.kind == .unreachable && first.attempts == 5)
        #expect(first.description.hasPrefix("GET /v1/SenderPools: cannot reach the API: connection refused"))
        #expect(first.description.contains("nothing has answered at https://comms.example.test (after 5 attempts)"))
        _ = try await h.api.fetchSenderPool(id: poolID)
        let later = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(later.kind == .transport && later.attempts == 5)
    }

    /// Any answer counts as contact, an error status too.
    @Test func anErrorAnswerIsContact() async throws {
        let refused = Array(repeating: ScriptedTransport.Step.fail(.notSent("connection refused")), count: 5)
        let h = try Harness([.respond(403, body: errorBody(403, 20403, "Forbidden"))] + refused)
        #expect(await apiError { _ = try await h.api.fetchSenderPool(id: poolID) }?.status == 403)
        let later = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(later.kind == .transport)
    }

    /// The task's `RetryGuard` is asked before each repeat, not before the
    /// first attempt: when the repeat is decided (so that no retry is
    /// counted or logged that will not be made) and after its wait, just
    /// before it is sent. When it refuses, its error ends the call unsent.
    @Test(arguments: [false, true])
    func aRetryGuardStopsTheRepeatOfACall(refuse: Bool) async throws {
        struct Refused: Error {}
        let asked = Mutex(0)
        let h = try Harness([.respond(503, body: ""), .respond(200, body: poolJSON)])
        let check: @Sendable () throws -> Void = {
            asked.withLock { $0 += 1 }
            if refuse { throw Refused() }
        }
        await RetryGuard.$check.withValue(check) {
            do {
                _ = try await h.api.fetchSenderPool(id: poolID)
                #expect(!refuse)
            } catch {
                #expect(refuse && error is Refused, "\(error)")
            }
        }
        #expect(asked.withLock { $0 } == (refuse ? 1 : 2))
        #expect(h.counter.calls == [.fetchSenderPool: refuse ? 1 : 2])
        #expect(h.counter.retries == (refuse ? 0 : 1))
    }

    /// A task may cap the attempts of its calls (the stack lease does:
    /// its steps retry failed calls themselves).
    @Test func aTaskCanCapTheAttemptsOfItsCalls() async throws {
        let h = try Harness(Array(repeating: .respond(503, body: ""), count: 2))
        let error = try #require(
            await apiError { try await CallAttempts.$cap.withValue(2) { _ = try await h.api.listSenderPools(SenderPoolQuery()) } })
        #expect(error.status == 503 && error.attempts == 2)
        #expect(h.counter.calls == [.listSenderPools: 2])
    }

    /// One attempt that may have reached the server is enough to rule out
    /// `.unreachable`, even if the server never answered.
    @Test func aCallWithAnAttemptThatMayHaveConnectedIsNotUnreachable() async throws {
        let h = try Harness([
            .fail(.notSent("connection refused")), .fail(.maybeSent("connection reset")), .fail(.notSent("connection refused")),
            .fail(.notSent("connection refused")), .fail(.notSent("connection refused")),
        ])
        let error = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(error.kind == .transport && error.attempts == 5)
    }

    @Test func theDeadlineCoversTheWholeCall() async throws {
        // Each attempt hangs for 50 s; the 120 s budget allows three of them.
        let h = try Harness(Array(repeating: .fail(.maybeSent("no response"), takes: .seconds(50)), count: 5))
        let error = try #require(await apiError { _ = try await h.api.deleteSenderPool(id: poolID) })
        #expect(error.kind == .deadlineExceeded)
        #expect(error.attempts == 3)
        #expect(h.counter.total == 3)
        // Later attempts get only what is left of the budget.
        let timeouts = h.transport.sent.map(\.timeout)
        #expect(timeouts[0] == .seconds(30))
        #expect(timeouts[2] < .seconds(20))
    }

    @Test func fatalFailuresAreNotRetried() async throws {
        let h = try Harness([.fail(.fatal("TLS handshake failed: certificate expired"))])
        let error = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        // Nothing has answered in HTTP yet: no layer above should retry it either.
        #expect(error.kind == .unreachable && error.attempts == 1)
        #expect(h.counter.total == 1)
    }

    @Test func oversizedResponsesAreNotRetried() async throws {
        let h = try Harness([.fail(.invalidResponse("response body larger than 32 MiB")), .fail(.invalidResponse("too big"))])
        let read = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(read.kind == .invalidResponse)
        let write = try #require(await apiError { _ = try await h.api.createSenderPool(CreateSenderPoolRequest()) })
        #expect(write.kind == .outcomeUnknown)
    }

    // MARK: Logging and redaction

    @Test func debugLogShowsEachAttemptWithoutCredentials() async throws {
        let h = try Harness([.respond(503, body: ""), .respond(200, body: #"{"senderPools":[],"pagination":{"next":null,"self":"s"}}"#)])
        _ = try await h.api.listSenderPools(SenderPoolQuery(pageSize: 1000))
        let lines = h.logs.lines
        #expect(lines.filter { $0.hasPrefix("→ ") } == ["→ GET /v1/SenderPools?pageSize=1000", "→ GET /v1/SenderPools?pageSize=1000"])
        #expect(lines.filter { $0.hasPrefix("← ") } == ["← 503 GET /v1/SenderPools (12 ms)", "← 200 GET /v1/SenderPools (12 ms)"])
        #expect(lines.contains("  Authorization: Basic [REDACTED]"))
        #expect(lines.contains("… retrying GET /v1/SenderPools in 250 ms (attempt 2 of 5)"))
        #expect(!lines.contains(where: leaks))
    }

    @Test func noErrorOrLogLineEverContainsTheSecret() async throws {
        // A hostile or buggy server echoes the credentials back in every form.
        let echo = "got Basic \(testBasicToken) for \(testUsername):\(testSecret)"
        let h = try Harness([
            .respond(400, body: #"{"code":20001,"message":"\#(echo)"}"#),
            .respond(401, body: echo),
            .fail(.maybeSent("reset after \(echo)")),
            .fail(.fatal(echo)),
            .respond(503, body: echo),
            .respond(200, body: "not json \(echo)"),
            .fail(.invalidResponse(echo)),
            .respond(429, headers: [(name: "Retry-After", value: "9999")], body: echo),
        ]) {
            $0.maxAttempts = 1
            // Shorter than the capped Retry-After (60 s).
            $0.callDeadline = .seconds(30)
        }
        var errors: [APIError] = []
        func capture(_ body: () async throws -> Void) async {
            if let error = await apiError(body) { errors.append(error) }
        }
        await capture { _ = try await h.api.listSenderPools(SenderPoolQuery()) }
        await capture { _ = try await h.api.fetchSenderPool(id: poolID) }
        await capture { _ = try await h.api.createSenderPool(CreateSenderPoolRequest()) }
        await capture { _ = try await h.api.listOperations(OperationQuery()) }
        await capture { _ = try await h.api.addSenders(poolID: poolID, senderIDs: ["x"]) }
        await capture { _ = try await h.api.fetchOperation(id: operationID) }
        await capture { _ = try await h.api.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: "n")) }
        await capture { _ = try await h.api.removeSender(poolID: poolID, senderID: "x") }
        #expect(errors.count == 8)
        // The 429 is not final by itself (it was not processed); its Retry-After passes the deadline.
        #expect(Set(errors.map(\.kind)) == [.http, .transport, .outcomeUnknown, .invalidResponse, .deadlineExceeded])
        for error in errors {
            for text in allRenderings(error) + [error.message, error.localizedDescription] {
                #expect(!leaks(text), "\(text)")
            }
        }
        #expect(!h.logs.lines.contains(where: leaks))
        #expect(h.logs.lines.contains { $0.contains("[REDACTED]") })
    }

    @Test func deadlineAndMissingCredentialErrorsAreClean() async throws {
        let h = try Harness([.respond(429, headers: [(name: "Retry-After", value: "9999")], body: "\(testSecret)")]) {
            $0.callDeadline = .seconds(30)
        }
        let error = try #require(await apiError { _ = try await h.api.listSenderPools(SenderPoolQuery()) })
        #expect(error.kind == .deadlineExceeded)
        for text in allRenderings(error) { #expect(!leaks(text)) }
        let missing = #expect(throws: APIError.self) { try Credentials.fromEnvironment(["TWILIO_API_SECRET": testSecret]) }
        for text in missing.map(allRenderings) ?? [] { #expect(!leaks(text)) }
    }
}

import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import PoolctlModel
import Testing

/// One call per endpoint, named by its method and (encoded) request path.
struct Call: Sendable, CustomTestStringConvertible {
    var endpoint: Endpoint
    var path: String
    var run: @Sendable (HTTPCommsAPI) async throws -> Void
    var testDescription: String { "\(endpoint.method) \(path)" }
}

/// Every endpoint, with ids that exist only when `poolID`/`operationID` are real.
func everyEndpoint(poolID: String, operationID: String, senderID: String = s1) -> [Call] {
    [
        Call(endpoint: .listSenderPools, path: "/v1/SenderPools") { _ = try await $0.listSenderPools(SenderPoolQuery()) },
        Call(endpoint: .createSenderPool, path: "/v1/SenderPools") {
            _ = try await $0.createSenderPool(CreateSenderPoolRequest(name: "x"))
        },
        Call(endpoint: .fetchSenderPool, path: "/v1/SenderPools/\(poolID)") { _ = try await $0.fetchSenderPool(id: poolID) },
        Call(endpoint: .updateSenderPool, path: "/v1/SenderPools/\(poolID)") {
            _ = try await $0.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: "y"))
        },
        Call(endpoint: .deleteSenderPool, path: "/v1/SenderPools/\(poolID)") { _ = try await $0.deleteSenderPool(id: poolID) },
        Call(endpoint: .listPoolSenders, path: "/v1/SenderPools/\(poolID)/Senders") {
            _ = try await $0.listPoolSenders(poolID: poolID, SenderQuery())
        },
        Call(endpoint: .addSenders, path: "/v1/SenderPools/\(poolID)/Senders") {
            _ = try await $0.addSenders(poolID: poolID, senderIDs: [s2])
        },
        Call(endpoint: .removeSender, path: "/v1/SenderPools/\(poolID)/Senders/\(senderID)") {
            _ = try await $0.removeSender(poolID: poolID, senderID: senderID)
        },
        Call(endpoint: .listOperations, path: "/v1/SenderPools/Operations") { _ = try await $0.listOperations(OperationQuery()) },
        Call(endpoint: .fetchOperation, path: "/v1/SenderPools/Operations/\(operationID)") {
            _ = try await $0.fetchOperation(id: operationID)
        },
        Call(endpoint: .fetchPoolSendersOperation, path: "/v1/SenderPools/\(poolID)/Senders/Operations/\(operationID)") {
            _ = try await $0.fetchPoolSendersOperation(poolID: poolID, operationID: operationID)
        },
        Call(endpoint: .listSenders, path: "/v1/Senders") { _ = try await $0.listSenders(SenderQuery()) },
    ]
}

@Suite("Errors", .timeLimit(.minutes(1)))
struct ErrorTests {
    // MARK: 401

    @Test func wrongCredentialsAre401OnEveryEndpointAndNeverRetried() async throws {
        try await withContract { c in
            // A real pool, so that only the credentials are wrong.
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "real", senders: [SenderReference(senderId: s1)]))
            let poolID = try await c.poolID(createdBy: accepted)
            let operationID = try #require(accepted.operationId)
            c.advance(seconds: 1)
            let calls = everyEndpoint(poolID: poolID, operationID: operationID)
            #expect(Set(calls.map(\.endpoint)) == Set(Endpoint.allCases))

            for credentials in [
                Credentials(username: accountSID, secret: "wrong-token", kind: .accountSID),
                Credentials(username: "ACsomeoneelse", secret: authToken, kind: .accountSID),
                Credentials(username: accountSID, secret: authToken + "x", kind: .apiKey),
            ] {
                let log = LogLines()
                try await c.withClient(credentials, log: log) { wrong in
                    for call in calls {
                        let error = await expectHTTPError(
                            401, call.endpoint.method, call.path,
                            messageContains: "missing or invalid HTTP Basic credentials"
                        ) { try await call.run(wrong) }
                        #expect(error?.kind == .http, "a 401 on a write is a definite no, not an unknown outcome")
                    }
                    #expect(wrong.callCounter.total == calls.count, "401 is never retried")
                    #expect(wrong.callCounter.retries == 0)
                }
                // Auth comes before validation: a malformed id with bad credentials is a 401.
                try await c.withClient(credentials) { wrong in
                    await expectHTTPError(401, "GET", "/v1/SenderPools/bad") { _ = try await wrong.fetchSenderPool(id: "bad") }
                    await expectHTTPError(401, "POST", "/v1/SenderPools/\(poolID)/Senders") {
                        _ = try await wrong.addSenders(poolID: poolID, senderIDs: [])
                    }
                }
                let challenges = responseHeaders(log, status: 401, "GET", "/v1/SenderPools")
                #expect(challenges.count == 1)
                #expect(challenges.first?["www-authenticate"] == #"Basic realm="Twilio Comms API""#)
            }
            // Nothing was written by the rejected calls.
            let state = await c.store.state()
            #expect(state.pools.count == 1 && state.pools[0].name == "real" && state.pools[0].senders == [s1])
            #expect(c.requestLog.byStatus["401"] == 3 * (calls.count + 2))
        }
    }

    // MARK: 400

    @Test func malformedIDsAre400() async throws {
        try await withContract { c in
            let badPool = "comms_senderpool_NOT-VALID"
            let badOp = "comms_operation_01h9krwprkeee8fzqspvwy6nq8-junk"  // trailing junk: the pattern is anchored
            await expectHTTPError(400, "GET", "/v1/SenderPools/\(badPool)", messageContains: "senderPoolId") {
                _ = try await c.api.fetchSenderPool(id: badPool)
            }
            await expectHTTPError(400, "PATCH", "/v1/SenderPools/\(badPool)") {
                _ = try await c.api.updateSenderPool(id: badPool, UpdateSenderPoolRequest(name: "x"))
            }
            await expectHTTPError(400, "DELETE", "/v1/SenderPools/\(badPool)") { _ = try await c.api.deleteSenderPool(id: badPool) }
            await expectHTTPError(400, "GET", "/v1/SenderPools/\(badPool)/Senders") {
                _ = try await c.api.listPoolSenders(poolID: badPool, SenderQuery())
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(badPool)/Senders") {
                _ = try await c.api.addSenders(poolID: badPool, senderIDs: [s1])
            }
            await expectHTTPError(400, "DELETE", "/v1/SenderPools/\(badPool)/Senders/\(s1)") {
                _ = try await c.api.removeSender(poolID: badPool, senderID: s1)
            }
            await expectHTTPError(400, "DELETE", "/v1/SenderPools/\(unknownPoolID)/Senders/comms_sender_x", messageContains: "senderId") {
                _ = try await c.api.removeSender(poolID: unknownPoolID, senderID: "comms_sender_x")
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools/Operations/\(badOp)", messageContains: "operationId") {
                _ = try await c.api.fetchOperation(id: badOp)
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools/\(unknownPoolID)/Senders/Operations/\(badOp)") {
                _ = try await c.api.fetchPoolSendersOperation(poolID: unknownPoolID, operationID: badOp)
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools/\(badPool)/Senders/Operations/\(unknownOperationID)") {
                _ = try await c.api.fetchPoolSendersOperation(poolID: badPool, operationID: unknownOperationID)
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools", messageContains: "operationId") {
                _ = try await c.api.listSenderPools(SenderPoolQuery(operationId: "op-1"))
            }
            // Ids that need encoding stay one segment: a 400 for the id, never a route miss (404).
            await expectHTTPError(400, "GET", "/v1/SenderPools/a%2Fb") { _ = try await c.api.fetchSenderPool(id: "a/b") }
            await expectHTTPError(400, "GET", "/v1/SenderPools/%2E%2E") { _ = try await c.api.fetchSenderPool(id: "..") }
            await expectHTTPError(400, "GET", "/v1/SenderPools/comms_senderpool_%C3%A9%20x%3F") {
                _ = try await c.api.fetchSenderPool(id: "comms_senderpool_é x?")
            }
            // Malformed sender ids in bodies reject the whole request.
            await expectHTTPError(400, "POST", "/v1/SenderPools", messageContains: "senderId") {
                _ = try await c.api.createSenderPool(
                    CreateSenderPoolRequest(senders: [SenderReference(senderId: s1), SenderReference(senderId: "nope")]))
            }
            #expect(await c.store.state().pools.isEmpty)
        }
    }

    @Test func pageSizeOutOfRangeIs400OnEveryList() async throws {
        try await withContract { c in
            for size in [0, 1001, -1] {
                await expectHTTPError(400, "GET", "/v1/SenderPools", messageContains: "pageSize") {
                    _ = try await c.api.listSenderPools(SenderPoolQuery(pageSize: size))
                }
                await expectHTTPError(400, "GET", "/v1/SenderPools/Operations", messageContains: "pageSize") {
                    _ = try await c.api.listOperations(OperationQuery(pageSize: size))
                }
                await expectHTTPError(400, "GET", "/v1/Senders", messageContains: "pageSize") {
                    _ = try await c.api.listSenders(SenderQuery(pageSize: size))
                }
                await expectHTTPError(400, "GET", "/v1/SenderPools/\(unknownPoolID)/Senders", messageContains: "pageSize") {
                    _ = try await c.api.listPoolSenders(poolID: unknownPoolID, SenderQuery(pageSize: size))
                }
            }
            // The bounds themselves are fine.
            for size in [1, 1000] {
                _ = try await c.api.listSenderPools(SenderPoolQuery(pageSize: size))
                _ = try await c.api.listOperations(OperationQuery(pageSize: size))
                #expect(try await c.api.listSenders(SenderQuery(pageSize: size)).items.count == min(size, 23))
            }
        }
    }

    @Test func malformedPageTokensAre400() async throws {
        try await withContract { c in
            for _ in 0..<2 { _ = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p")) }
            let poolToken = try #require(try await c.api.listSenderPools(SenderPoolQuery(pageSize: 1)).pagination.next)
            let senderToken = try #require(try await c.api.listSenders(SenderQuery(pageSize: 1)).pagination.next)
            // Real tokens work on their own list...
            #expect(try await c.api.listSenderPools(SenderPoolQuery(pageSize: 1, pageToken: poolToken)).items.count == 1)
            // ...and are malformed on a list of another kind.
            await expectHTTPError(400, "GET", "/v1/SenderPools/Operations", messageContains: "pageToken") {
                _ = try await c.api.listOperations(OperationQuery(pageToken: poolToken))
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools", messageContains: "pageToken") {
                _ = try await c.api.listSenderPools(SenderPoolQuery(pageToken: senderToken))
            }
            for token in ["not-a-token", "", "e30", "eyJ2IjoyfQ", "!!!", String(repeating: "A", count: 2000)] {
                await expectHTTPError(400, "GET", "/v1/SenderPools", messageContains: "pageToken") {
                    _ = try await c.api.listSenderPools(SenderPoolQuery(pageToken: token))
                }
                await expectHTTPError(400, "GET", "/v1/Senders") { _ = try await c.api.listSenders(SenderQuery(pageToken: token)) }
                await expectHTTPError(400, "GET", "/v1/SenderPools/Operations") {
                    _ = try await c.api.listOperations(OperationQuery(pageToken: token))
                }
            }
        }
    }

    @Test func badFiltersAre400() async throws {
        try await withContract { c in
            await expectHTTPError(400, "GET", "/v1/Senders", messageContains: "channel") {
                _ = try await c.api.listSenders(SenderQuery(channel: "FAX"))
            }
            await expectHTTPError(400, "GET", "/v1/Senders", messageContains: "status") {
                _ = try await c.api.listSenders(SenderQuery(status: "activated"))
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools/Operations", messageContains: "status") {
                _ = try await c.api.listOperations(OperationQuery(status: "DONE"))
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools", messageContains: "startDate") {
                _ = try await c.api.listSenderPools(SenderPoolQuery(startDate: "yesterday"))
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools", messageContains: "endDate") {
                _ = try await c.api.listSenderPools(SenderPoolQuery(endDate: "2025-01-01 00:00:00Z"))
            }
            await expectHTTPError(400, "GET", "/v1/SenderPools/Operations", messageContains: "startDate") {
                _ = try await c.api.listOperations(OperationQuery(startDate: "2025-13-01T00:00:00Z"))
            }
        }
    }

    static let badTags: [Tags] = [
        ["has space": "v"],
        ["k": ""],
        ["k": "slash/no"],
        ["": "v"],
        [String(repeating: "k", count: 129): "v"],
        ["k": String(repeating: "v", count: 257)],
        Dictionary(uniqueKeysWithValues: (0..<11).map { ("k\($0)", "v") }),
    ]

    @Test(arguments: badTags)
    func badTagsAre400(_ tags: Tags) async throws {
        try await withContract { c in
            await expectHTTPError(400, "POST", "/v1/SenderPools", messageContains: "tag") {
                _ = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "t", tags: tags))
            }
            let id = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "t", tags: ["ok": "1"])))
            c.advance(seconds: 1)
            await expectHTTPError(400, "PATCH", "/v1/SenderPools/\(id)", messageContains: "tag") {
                _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: tags))
            }
            #expect(try await c.api.fetchSenderPool(id: id).tags == ["ok": "1"], "a rejected PATCH changes nothing")
            #expect(await c.store.state().pools.count == 1)
        }
    }

    @Test func badBodiesAre400() async throws {
        try await withContract { c in
            let id = try await c.poolID(
                createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "p", senders: [SenderReference(senderId: s1)])))
            c.advance(seconds: 1)
            await expectHTTPError(400, "POST", "/v1/SenderPools", messageContains: "more than once") {
                _ = try await c.api.createSenderPool(CreateSenderPoolRequest(senders: [s1, s2, s1].map(SenderReference.init(senderId:))))
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(id)/Senders", messageContains: "more than once") {
                _ = try await c.api.addSenders(poolID: id, senderIDs: [s2, s2])
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(id)/Senders", messageContains: "at least one") {
                _ = try await c.api.addSenders(poolID: id, senderIDs: [])
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(id)/Senders", messageContains: "senderId") {
                _ = try await c.api.addSenders(poolID: id, senderIDs: [s2, "comms_sender_"])
            }
            await expectHTTPError(400, "PATCH", "/v1/SenderPools/\(id)") {
                _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest())
            }
            await expectHTTPError(400, "PATCH", "/v1/SenderPools/\(id)", messageContains: "name") {
                _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: String(repeating: "n", count: 257)))
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools", messageContains: "name") {
                _ = try await c.api.createSenderPool(CreateSenderPoolRequest(name: String(repeating: "é", count: 257)))
            }
            let tooMany = (0..<10_001).map { i -> String in
                let digits = String(i)
                return "comms_sender_0" + String(repeating: "0", count: 25 - digits.count) + digits
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(id)/Senders", messageContains: "10000") {
                _ = try await c.api.addSenders(poolID: id, senderIDs: tooMany)
            }
            // A bad body on an unknown pool is a 400: the body is checked before existence.
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(unknownPoolID)/Senders") {
                _ = try await c.api.addSenders(poolID: unknownPoolID, senderIDs: [s1, s1])
            }
            // Nothing changed.
            let state = await c.store.state()
            #expect(state.pools.count == 1 && state.pools[0].senders == [s1] && state.pools[0].name == "p")
            #expect(try await c.api.listOperations(OperationQuery()).items.count == 1)
        }
    }

    // MARK: 404

    @Test func unknownPoolsOperationsAndMembersAre404() async throws {
        try await withContract { c in
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p", senders: [SenderReference(senderId: s1)]))
            let id = try await c.poolID(createdBy: accepted)
            let createOp = try #require(accepted.operationId)
            let other = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "other")))
            c.advance(seconds: 1)

            let pool = unknownPoolID
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool)", messageContains: pool) {
                _ = try await c.api.fetchSenderPool(id: pool)
            }
            await expectHTTPError(404, "PATCH", "/v1/SenderPools/\(pool)") {
                _ = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "x"))
            }
            await expectHTTPError(404, "DELETE", "/v1/SenderPools/\(pool)") { _ = try await c.api.deleteSenderPool(id: pool) }
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool)/Senders") {
                _ = try await c.api.listPoolSenders(poolID: pool, SenderQuery())
            }
            await expectHTTPError(404, "POST", "/v1/SenderPools/\(pool)/Senders") {
                _ = try await c.api.addSenders(poolID: pool, senderIDs: [s1])
            }
            await expectHTTPError(404, "DELETE", "/v1/SenderPools/\(pool)/Senders/\(s1)") {
                _ = try await c.api.removeSender(poolID: pool, senderID: s1)
            }
            await expectHTTPError(404, "GET", "/v1/SenderPools/Operations/\(unknownOperationID)", messageContains: unknownOperationID) {
                _ = try await c.api.fetchOperation(id: unknownOperationID)
            }
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(id)/Senders/Operations/\(unknownOperationID)") {
                _ = try await c.api.fetchPoolSendersOperation(poolID: id, operationID: unknownOperationID)
            }
            // The nested path only serves operations started against that pool.
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(other)/Senders/Operations/\(createOp)") {
                _ = try await c.api.fetchPoolSendersOperation(poolID: other, operationID: createOp)
            }
            #expect(try await c.api.fetchPoolSendersOperation(poolID: id, operationID: createOp).id == createOp)
            // Members: not a member (s2), not in the inventory at all (stranger).
            await expectHTTPError(404, "DELETE", "/v1/SenderPools/\(id)/Senders/\(s2)", messageContains: "not a member") {
                _ = try await c.api.removeSender(poolID: id, senderID: s2)
            }
            await expectHTTPError(404, "DELETE", "/v1/SenderPools/\(id)/Senders/\(strangerID)") {
                _ = try await c.api.removeSender(poolID: id, senderID: strangerID)
            }
            // Unknown operationId filter: an empty page, not 404.
            let empty = try await c.api.listSenderPools(SenderPoolQuery(operationId: unknownOperationID))
            #expect(empty.items.isEmpty && empty.pagination.next == nil && !empty.pagination.current.isEmpty)
            #expect(await c.store.state().pools.first { $0.id == id }?.senders == [s1])
        }
    }

    // MARK: 409

    @Test func writesWhileAnOperationIsProcessingAre409() async throws {
        // Operations stay PROCESSING for a minute unless the test moves the clock.
        try await withContract(EmulatorConfiguration(accountSID: accountSID, authToken: authToken, operationDelayMS: 60_000)) { c in
            let accepted = try await c.api.createSenderPool(
                CreateSenderPoolRequest(name: "busy", senders: [s1, s2].map(SenderReference.init(senderId:))))
            let id = try await c.poolID(createdBy: accepted)
            let operationID = try #require(accepted.operationId)
            c.advance(seconds: 59)
            let stillRunning = try await c.api.fetchOperation(id: operationID)
            #expect(stillRunning.status == .processing)
            #expect(stillRunning.stats == OperationStats(total: 2, queued: 2, created: 0, failed: 0))
            expectConsistent(stillRunning)

            let before = c.counter.total
            let conflicts = [
                await expectHTTPError(409, "PATCH", "/v1/SenderPools/\(id)", messageContains: operationID) {
                    _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "x"))
                },
                await expectHTTPError(409, "DELETE", "/v1/SenderPools/\(id)") { _ = try await c.api.deleteSenderPool(id: id) },
                await expectHTTPError(409, "POST", "/v1/SenderPools/\(id)/Senders") {
                    _ = try await c.api.addSenders(poolID: id, senderIDs: [s3])
                },
                // For Remove, the 409 comes before the membership check (s3 is not a member).
                await expectHTTPError(409, "DELETE", "/v1/SenderPools/\(id)/Senders/\(s3)") {
                    _ = try await c.api.removeSender(poolID: id, senderID: s3)
                },
            ]
            #expect(conflicts.allSatisfy { $0?.isConflict == true })
            #expect(c.counter.total == before + 4, "409 is not retried by the client")
            #expect(c.requestLog.byStatus["409"] == 4)
            // Validation comes before the conflict check: a bad body is a 400.
            await expectHTTPError(400, "PATCH", "/v1/SenderPools/\(id)") {
                _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: ["bad key": "v"]))
            }
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(id)/Senders") {
                _ = try await c.api.addSenders(poolID: id, senderIDs: [s3, s3])
            }
            // Existence comes first: an unknown pool is 404, not 409.
            await expectHTTPError(404, "PATCH", "/v1/SenderPools/\(unknownPoolID)") {
                _ = try await c.api.updateSenderPool(id: unknownPoolID, UpdateSenderPoolRequest(name: "x"))
            }
            // Reads never conflict, and nothing has been applied.
            #expect(try await c.api.fetchSenderPool(id: id).name == "busy")
            #expect(try await c.api.listPoolSenders(poolID: id, SenderQuery()).items.isEmpty)
            #expect(try await c.api.listOperations(OperationQuery(status: .processing)).items.map(\.id) == [operationID])
            // A pool created without senders is busy with its own (empty) create operation.
            let other = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "free")))
            await expectHTTPError(409, "PATCH", "/v1/SenderPools/\(other)") {
                _ = try await c.api.updateSenderPool(id: other, UpdateSenderPoolRequest(name: "y"))
            }

            // Once the operation is done, the same writes go through.
            c.advance(seconds: 1)
            let done = try await c.api.fetchOperation(id: operationID)
            #expect(done.status == .completed)
            #expect(done.createdAt == clockStart && done.updatedAt == stamp(afterStart: 60), "updatedAt is when the status changed")
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "x"))
            _ = try await c.api.removeSender(poolID: id, senderID: s1)
            let add = try await c.api.addSenders(poolID: id, senderIDs: [s3])
            await expectHTTPError(409, "DELETE", "/v1/SenderPools/\(id)") { _ = try await c.api.deleteSenderPool(id: id) }
            c.advance(seconds: 60)
            #expect(
                try await c.api.fetchPoolSendersOperation(poolID: id, operationID: try #require(add.operationId)).stats
                    == OperationStats(total: 1, queued: 0, created: 1, failed: 0))
            _ = try await c.api.deleteSenderPool(id: id)
            #expect(await c.store.state().pools.map(\.name) == ["free"])
        }
    }

    /// Several Add Senders on one pool at once, over separate connections: the
    /// emulator starts exactly one operation; the others get 409.
    @Test func concurrentWritesToOnePoolGetOneAcceptedAndTheRest409() async throws {
        try await withContract { c in
            let id = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "race")))
            c.advance(seconds: 1)
            let senders = [s1, s2, s3] + syntheticSenders.prefix(5).map(\.id)
            let results = await withTaskGroup(of: Result<OperationAccepted, APIError>.self) { group in
                for sender in senders {
                    group.addTask {
                        do {
                            return .success(try await c.api.addSenders(poolID: id, senderIDs: [sender]))
                        } catch let error as APIError {
                            return .failure(error)
                        } catch {
                            return .failure(APIError(kind: .transport, message: "not an APIError: \(error)"))
                        }
                    }
                }
                var results: [Result<OperationAccepted, APIError>] = []
                for await result in group { results.append(result) }
                return results
            }
            let accepted = results.compactMap { try? $0.get() }
            let rejected = results.compactMap { result -> APIError? in
                if case .failure(let error) = result { return error }
                return nil
            }
            #expect(accepted.count == 1)
            #expect(rejected.count == senders.count - 1)
            #expect(rejected.allSatisfy { $0.isConflict && $0.code == 20409 && $0.attempts == 1 }, "\(rejected)")
            c.advance(seconds: 1)
            #expect(try await c.api.listPoolSenders(poolID: id, SenderQuery()).items.count == 1)
            #expect(byEndpoint(c.requestLog) == c.counter.calls)

            // Concurrent creates are independent: as many pools and operations as calls.
            let created = try await withThrowingTaskGroup(of: OperationAccepted.self) { group in
                for n in 0..<8 {
                    group.addTask { try await c.api.createSenderPool(CreateSenderPoolRequest(name: "c\(n)")) }
                }
                var all: [OperationAccepted] = []
                for try await accepted in group { all.append(accepted) }
                return all
            }
            #expect(Set(created.compactMap(\.operationId)).count == 8)
            #expect(await c.store.state().pools.count == 9)
        }
    }
}

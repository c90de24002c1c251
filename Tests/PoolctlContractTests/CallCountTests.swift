import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import PoolctlModel
import Testing

@Suite("Call counting", .timeLimit(.minutes(1)))
struct CallCountTests {
    /// A known sequence over all 12 endpoints, failures included: the client's
    /// `CallCounter` and the emulator's request log (`GET /_emulator/requests`)
    /// agree, endpoint by endpoint, and match the expected counts.
    @Test func clientCountsEqualEmulatorRequestLog() async throws {
        try await withContract { c in
            // POST pools
            let created = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "count", senders: [SenderReference(senderId: s1)]))
            let id = try await c.poolID(createdBy: created)  // GET pools
            let createOp = try #require(created.operationId)
            c.advance(seconds: 1)
            _ = try await c.api.fetchSenderPool(id: id)  // GET pool
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: ["a": "b"]))  // PATCH
            let added = try await c.api.addSenders(poolID: id, senderIDs: [s2, s3])  // POST senders
            _ = try await c.api.fetchPoolSendersOperation(poolID: id, operationID: try #require(added.operationId))  // GET nested op
            c.advance(seconds: 1)
            _ = try await c.api.fetchOperation(id: createOp)  // GET op
            _ = try await c.api.allPoolSenders(poolID: id, SenderQuery(pageSize: 1)).collect()  // GET senders x3
            _ = try await c.api.removeSender(poolID: id, senderID: s3)  // DELETE member
            _ = await apiError { _ = try await c.api.removeSender(poolID: id, senderID: s3) }  // DELETE member (404)
            _ = try await c.api.allOperations(OperationQuery(pageSize: 1)).collect()  // GET ops x2
            _ = try await c.api.allSenders(SenderQuery(pageSize: 10)).collect()  // GET /v1/Senders x3
            _ = await apiError { _ = try await c.api.fetchSenderPool(id: "bad") }  // GET pool (400)
            _ = try await c.api.deleteSenderPool(id: id)  // DELETE pool
            _ = await apiError { _ = try await c.api.deleteSenderPool(id: id) }  // DELETE pool (404)
            try await c.withClient(Credentials(username: "ACnobody", secret: "nope")) { other in
                _ = await apiError { _ = try await other.listSenderPools(SenderPoolQuery()) }  // (401, other client)
            }

            let expected: [Endpoint: Int] = [
                .createSenderPool: 1, .listSenderPools: 1, .fetchSenderPool: 2, .updateSenderPool: 1, .addSenders: 1,
                .fetchPoolSendersOperation: 1, .fetchOperation: 1, .listPoolSenders: 3, .removeSender: 2,
                .listOperations: 2, .listSenders: 3, .deleteSenderPool: 2,
            ]
            #expect(Set(expected.keys) == Set(Endpoint.allCases))
            #expect(c.counter.calls == expected)
            #expect(c.counter.retries == 0)
            var emulatorCounts = expected
            emulatorCounts[.listSenderPools, default: 0] += 1  // the other client's 401
            let log = c.requestLog
            #expect(byEndpoint(log) == emulatorCounts)
            #expect(log.total == c.counter.total + 1)
            #expect(log.byStatus == ["200": 12, "202": 5, "400": 1, "401": 1, "404": 2])
        }
    }
}

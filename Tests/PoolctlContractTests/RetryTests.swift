import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import Testing

@Suite("Retries", .timeLimit(.minutes(1)))
struct RetryTests {
    /// 1 request per second, burst 1: a request right after another gets 429
    /// with `Retry-After: 1`, whatever the gap (under 1 s) between them. Runs on
    /// the system clock, since the bucket refills in real time.
    @Test func rateLimited429HonoursRetryAfterForGetAndPost() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, rateLimit: 1)
        try await withContract(configuration, clock: nil) { c in
            let clock = ContinuousClock()
            _ = try await c.api.listSenderPools(SenderPoolQuery())
            let getStart = clock.now
            let page = try await c.api.listSenderPools(SenderPoolQuery())
            let getTook = getStart.duration(to: clock.now)
            #expect(page.items.isEmpty)
            #expect(c.counter.calls == [.listSenderPools: 3])
            #expect(c.counter.retries == 1)
            #expect(getTook >= .milliseconds(990), "waited \(getTook): Retry-After (1 s), not the 50 ms backoff cap")

            // A 429 was not processed, so even a POST is repeated, and it creates one pool.
            let postStart = clock.now
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "once"))
            let postTook = postStart.duration(to: clock.now)
            #expect(accepted.operationId != nil)
            #expect(postTook >= .milliseconds(990), "waited \(postTook)")
            #expect(c.counter.calls == [.listSenderPools: 3, .createSenderPool: 2])
            #expect(c.counter.retries == 2)

            #expect(await c.store.state().pools.map(\.name) == ["once"])
            #expect(c.requestLog.byStatus == ["200": 2, "202": 1, "429": 2])
            #expect(byEndpoint(c.requestLog) == c.counter.calls)
            let retryLines = c.log.lines.filter { $0.hasPrefix("… retrying") }
            #expect(retryLines.count == 2)
            #expect(retryLines.allSatisfy { $0.contains(" in 1.0 s ") }, "\(retryLines)")
            #expect(responseHeaders(c.log, status: 429, "GET", "/v1/SenderPools").first?["retry-after"] == "1")
            #expect(responseHeaders(c.log, status: 429, "POST", "/v1/SenderPools").first?["retry-after"] == "1")
        }
    }

    /// Responses slower than the client's per-attempt timeout: a GET is retried,
    /// a POST is reported as unknown, and the emulator did apply it.
    @Test func timeoutsRetryReadsAndLeaveWritesUnknown() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, latencyMS: 400)
        try await withContract(configuration) { c in
            try await c.withClient(goodCredentials, maxAttempts: 2, requestTimeout: .milliseconds(100)) { hasty in
                let read = try #require(await apiError { _ = try await hasty.listSenderPools(SenderPoolQuery()) })
                #expect(read.kind == .transport, "\(read)")
                #expect(read.attempts == 2)
                #expect(read.status == nil)
                #expect(hasty.callCounter.calls == [.listSenderPools: 2] && hasty.callCounter.retries == 1)

                let write = try #require(await apiError { _ = try await hasty.createSenderPool(CreateSenderPoolRequest(name: "slow")) })
                #expect(write.kind == .outcomeUnknown, "\(write)")
                #expect(write.attempts == 1)
                #expect(hasty.callCounter.calls[.createSenderPool] == 1)
            }
            // The emulator handled the write before its latency: the pool exists, once.
            #expect(await c.store.state().pools.map(\.name) == ["slow"])
            // A patient client gets the answers.
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items.map(\.name) == ["slow"])
            #expect(c.counter.retries == 0)
        }
    }

    /// Operations CANCELED by fault injection: nothing applied, everything failed.
    @Test func canceledOperationsApplyNothing() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, cancelRate: 1)
        try await withContract(configuration) { c in
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "c", senders: [s1, s2, strangerID].map(SenderReference.init(senderId:))))
            let id = try await c.poolID(createdBy: accepted)
            let operationID = try #require(accepted.operationId)
            #expect(try await c.api.fetchOperation(id: operationID).status == .processing)
            c.advance(seconds: 1)
            let canceled = try await c.api.fetchOperation(id: operationID)
            #expect(canceled.status == .canceled)
            #expect(canceled.status.isTerminal)
            #expect(canceled.stats == OperationStats(total: 3, queued: 0, created: 0, failed: 3))
            expectConsistent(canceled)
            // The pool stays, with no senders; an Add Senders is canceled too.
            #expect(try await c.api.fetchSenderPool(id: id).name == "c")
            #expect(try await c.api.listPoolSenders(poolID: id, SenderQuery()).items.isEmpty)
            let add = try #require(try await c.api.addSenders(poolID: id, senderIDs: [s3]).operationId)
            c.advance(seconds: 1)
            #expect(try await c.api.fetchPoolSendersOperation(poolID: id, operationID: add).stats == OperationStats(total: 1, queued: 0, created: 0, failed: 1))
            #expect(try await c.api.listOperations(OperationQuery(status: .canceled)).items.map(\.id) == [operationID, add])
            #expect(try await c.api.listOperations(OperationQuery(status: .completed)).items.isEmpty)
            #expect(await c.store.state().pools.first?.senders == [])
        }
    }

    /// 500/503 on half the requests (fixed seed): every GET still succeeds, and
    /// the client's attempts match what the emulator received.
    @Test func serverErrorsOnReadsAreRetried() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, errorRate: 0.5, randomSeed: 7)
        try await withContract(configuration, maxAttempts: 12) { c in
            let poolID = unknownPoolID
            for _ in 0..<10 {
                let senders = try await c.api.listSenders(SenderQuery())
                let pools = try await c.api.listSenderPools(SenderPoolQuery())
                let operations = try await c.api.listOperations(OperationQuery())
                #expect(senders.items.count == 23 && pools.items.isEmpty && operations.items.isEmpty)
            }
            // A retried GET still ends in the API's own answer (404 here), after some 5xx.
            var notFound: [APIError] = []
            for _ in 0..<5 {
                let error = await apiError { _ = try await c.api.fetchSenderPool(id: poolID) }
                if let error { notFound.append(error) }
            }
            #expect(notFound.count == 5 && notFound.allSatisfy { $0.isNotFound && $0.code == 20404 })
            #expect(notFound.contains { $0.attempts > 1 }, "some 404 came after a fault: \(notFound.map(\.attempts))")
            #expect(notFound.allSatisfy { $0.attempts > 1 ? $0.description.hasSuffix("(after \($0.attempts) attempts)") : true })

            let statuses = c.requestLog.byStatus
            let faults = (statuses["500"] ?? 0) + (statuses["503"] ?? 0)
            #expect((statuses["500"] ?? 0) > 0 && (statuses["503"] ?? 0) > 0, "\(statuses)")
            #expect(c.counter.retries == faults, "one retry per injected fault")
            #expect(statuses["200"] == 30 && statuses["404"] == 5)
            #expect(c.counter.total == 35 + faults)
            #expect(byEndpoint(c.requestLog) == c.counter.calls)
        }
    }

    /// Every request faults: reads give up after maxAttempts, a POST is never
    /// repeated (its outcome is unknown to the client) and writes nothing.
    @Test func serverErrorsOnEveryRequest() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, errorRate: 1, randomSeed: 3)
        try await withContract(configuration, maxAttempts: 4) { c in
            let read = try #require(await apiError { _ = try await c.api.listSenderPools(SenderPoolQuery()) })
            #expect(read.kind == .http)
            #expect(read.status == 500 || read.status == 503)
            #expect(read.code == EmulatorErrors.code(for: read.status ?? 0))
            #expect(read.attempts == 4)
            #expect(read.method == "GET" && read.path == "/v1/SenderPools")
            #expect(c.counter.calls[.listSenderPools] == 4 && c.counter.retries == 3)

            let create = try #require(await apiError { _ = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "never")) })
            #expect(create.kind == .outcomeUnknown, "\(create)")
            #expect(create.status == 500 || create.status == 503)
            #expect(create.attempts == 1)
            #expect(create.method == "POST" && create.path == "/v1/SenderPools")
            #expect(create.message.contains("may have been processed"))
            #expect(c.counter.calls[.createSenderPool] == 1)

            let add = try #require(await apiError { _ = try await c.api.addSenders(poolID: unknownPoolID, senderIDs: [s1]) })
            #expect(add.kind == .outcomeUnknown && add.attempts == 1)
            #expect(add.path == "/v1/SenderPools/\(unknownPoolID)/Senders")

            // PATCH and DELETE are idempotent: retried like reads.
            let patch = try #require(await apiError { _ = try await c.api.updateSenderPool(id: unknownPoolID, UpdateSenderPoolRequest(name: "n")) })
            #expect(patch.kind == .http && patch.attempts == 4)
            let delete = try #require(await apiError { _ = try await c.api.removeSender(poolID: unknownPoolID, senderID: s1) })
            #expect(delete.kind == .http && delete.attempts == 4)

            // A fault has no side effects.
            #expect(await c.store.state().pools.isEmpty)
            #expect(try await c.store.listOperations(OperationQuery()).items.isEmpty)
            #expect(byEndpoint(c.requestLog) == c.counter.calls)
            #expect(c.counter.calls == [.listSenderPools: 4, .createSenderPool: 1, .addSenders: 1, .updateSenderPool: 4, .removeSender: 4])
        }
    }

    /// The emulator applies each write, then drops the connection unanswered.
    @Test func connectionResetAfterWrite() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, resetAfterWriteRate: 1)
        try await withContract(configuration, maxAttempts: 3) { c in
            // POST: not repeated, reported as unknown; the pool was created.
            let create = try #require(await apiError { _ = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "ghost", tags: ["k": "v"], senders: [SenderReference(senderId: s1)])) })
            #expect(create.kind == .outcomeUnknown, "\(create)")
            #expect(create.attempts == 1)
            #expect(create.status == nil)
            #expect(create.method == "POST" && create.path == "/v1/SenderPools")
            #expect(create.message.contains("Check the live state"))
            #expect(c.counter.calls == [.createSenderPool: 1] && c.counter.retries == 0)
            let state = await c.store.state()
            #expect(state.pools.count == 1)
            let pool = try #require(state.pools.first)
            #expect(pool.name == "ghost" && pool.tags == ["k": "v"])
            // Reads are unaffected, so the caller can look before repeating.
            let listed = try await c.api.listSenderPools(SenderPoolQuery()).items
            #expect(listed.map(\.id) == [pool.id])
            c.advance(seconds: 1)
            #expect(try await c.api.listPoolSenders(poolID: pool.id, SenderQuery()).items.map(\.id) == [s1])

            // Add Senders: the same, and the operation exists.
            let add = try #require(await apiError { _ = try await c.api.addSenders(poolID: pool.id, senderIDs: [s2]) })
            #expect(add.kind == .outcomeUnknown && add.attempts == 1)
            let operations = try await c.api.listOperations(OperationQuery()).items
            #expect(operations.count == 2)
            c.advance(seconds: 1)
            #expect(try await c.api.listPoolSenders(poolID: pool.id, SenderQuery()).items.map(\.id) == [s1, s2])

            // PATCH is idempotent: retried, applied every time, and reported as a transport failure.
            let patch = try #require(await apiError { _ = try await c.api.updateSenderPool(id: pool.id, UpdateSenderPoolRequest(name: "renamed")) })
            #expect(patch.kind == .transport, "\(patch)")
            #expect(patch.attempts == 3)
            #expect(try await c.api.fetchSenderPool(id: pool.id).name == "renamed")

            // Remove Sender (DELETE): the first attempt removed it, the retry finds nothing: 404.
            let remove = try #require(await apiError { _ = try await c.api.removeSender(poolID: pool.id, senderID: s1) })
            #expect(remove.isNotFound && remove.attempts == 2, "\(remove)")
            #expect(try await c.api.listPoolSenders(poolID: pool.id, SenderQuery()).items.map(\.id) == [s2])

            // DELETE pool: likewise, gone after the first attempt.
            let delete = try #require(await apiError { _ = try await c.api.deleteSenderPool(id: pool.id) })
            #expect(delete.isNotFound && delete.attempts == 2, "\(delete)")
            #expect(await c.store.state().pools.isEmpty)

            #expect(c.counter.calls[.createSenderPool] == 1 && c.counter.calls[.addSenders] == 1)
            #expect(c.counter.calls[.updateSenderPool] == 3)
            #expect(byEndpoint(c.requestLog) == c.counter.calls)
        }
    }
}

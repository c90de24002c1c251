import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import PoolctlModel
import Testing

@Suite("Retries", .timeLimit(.minutes(1)))
struct RetryTests {
    /// 1 request per second, burst 1: a request right after another gets 429
    /// with `Retry-After: 1`. The clients share the emulator's manual clock:
    /// their scheduler's one-second pause moves it, which refills the bucket,
    /// so what happens does not depend on how fast the machine is, and no
    /// test waits a real second. What is checked is the delay the client
    /// chose (its retry log line).
    @Test func rateLimited429HonoursRetryAfterForGetAndPost() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, rateLimit: 1)
        try await withContract(configuration) { c in
            let clock = try #require(c.clock)
            let getLog = LogLines()
            let reader = try makeClient(c.url, log: getLog, clock: clock.clock)
            try await withShutdown(reader) {
                _ = try await reader.listSenderPools(SenderPoolQuery())
                let page = try await reader.listSenderPools(SenderPoolQuery())
                #expect(page.items.isEmpty)
                #expect(reader.callCounter.calls == [.listSenderPools: 3])
                #expect(reader.callCounter.retries == 1)
            }

            // A 429 was not processed, so even a POST is repeated, and it creates one pool.
            // A second client, so that the first one's scheduler (which spaces
            // requests after a 429) does not keep this POST off the empty bucket.
            let postLog = LogLines()
            let writer = try makeClient(c.url, log: postLog, clock: clock.clock)
            try await withShutdown(writer) {
                let accepted = try await writer.createSenderPool(CreateSenderPoolRequest(name: "once"))
                #expect(accepted.operationId != nil)
                #expect(writer.callCounter.calls == [.createSenderPool: 2])
                #expect(writer.callCounter.retries == 1)
            }
            #expect(await c.store.state().pools.map(\.name) == ["once"])
            #expect(c.requestLog.byStatus == ["200": 2, "202": 1, "429": 2])
            let retryLines = (getLog.lines + postLog.lines).filter { $0.hasPrefix("… retrying") }
            #expect(retryLines.count == 2)
            // Retry-After (1 s), not the 50 ms backoff cap.
            #expect(retryLines.allSatisfy { $0.contains(" in 1.0 s ") }, "\(retryLines)")
            #expect(responseHeaders(getLog, status: 429, "GET", "/v1/SenderPools").first?["retry-after"] == "1")
            #expect(responseHeaders(postLog, status: 429, "POST", "/v1/SenderPools").first?["retry-after"] == "1")
        }
    }

    /// A `Retry-After` longer than what is left of the call's deadline is not
    /// waited out: the call fails at once with `.deadlineExceeded`. The emulator's
    /// clock stands still, so its bucket never refills: at 0.1 requests per
    /// second it asks for 10 s. The client keeps its deadline on a manual
    /// clock that nothing moves, so the time the socket takes counts for
    /// nothing: the answer needs 10 s, the call has 5 s, whatever the load.
    @Test func retryAfterBeyondTheDeadlineFailsAtOnce() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, rateLimit: 0.1)
        try await withContract(configuration) { c in
            _ = try await c.api.listSenderPools(SenderPoolQuery())
            let log = LogLines()
            let clientClock = ManualClock()
            let short = try makeClient(c.url, callDeadline: .seconds(5), log: log, clock: clientClock.clock)
            try await withShutdown(short) {
                let error = try #require(await apiError { _ = try await short.createSenderPool(CreateSenderPoolRequest(name: "x")) })
                #expect(!log.lines.contains { $0.hasPrefix("… retrying") }, "no sleep towards a wait it cannot finish")
                #expect(error.kind == .deadlineExceeded, "\(error)")
                #expect(error.status == 429 && error.code == 20429)
                #expect(error.attempts == 1)
                #expect(error.method == "POST" && error.path == "/v1/SenderPools")
                #expect(error.message.contains("no success within 5.0 s (next try would wait 10.0 s)"), "\(error.message)")
                #expect(short.callCounter.calls == [.createSenderPool: 1] && short.callCounter.retries == 0)
                #expect(clientClock.now == .zero && clientClock.sleeps.isEmpty, "the client never waited")
            }
            #expect(await c.store.state().pools.isEmpty)
            #expect(c.requestLog.byStatus == ["200": 1, "429": 1])
        }
    }

    /// Responses slower than the client's per-attempt timeout: a GET is retried,
    /// a POST is reported as unknown (and repeated only after an attempt that
    /// provably never reached the server, e.g. a connect timeout under load),
    /// and the emulator applied it exactly once.
    @Test func timeoutsRetryReadsAndLeaveWritesUnknown() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, latencyMS: 400)
        try await withContract(configuration) { c in
            let hastyLog = LogLines()
            try await c.withClient(goodCredentials, maxAttempts: 2, requestTimeout: .milliseconds(100), log: hastyLog) { hasty in
                let read = try #require(await apiError { _ = try await hasty.listSenderPools(SenderPoolQuery()) })
                #expect(read.kind == .transport, "\(read)")
                #expect(read.attempts == 2)
                #expect(read.status == nil)
                #expect(hasty.callCounter.calls == [.listSenderPools: 2] && hasty.callCounter.retries == 1)

                let write = try #require(await apiError { _ = try await hasty.createSenderPool(CreateSenderPoolRequest(name: "slow")) })
                #expect(write.kind == .outcomeUnknown, "\(write)")
                #expect(write.message.contains("may have been processed"))
                let failures = hastyLog.lines.filter { $0.hasPrefix("← failed POST /v1/SenderPools") }
                #expect(failures.count == write.attempts)
                #expect(hasty.callCounter.calls[.createSenderPool] == write.attempts)
                #expect(
                    failures.dropLast().allSatisfy { $0.contains("could not connect") || $0.contains("no connection became available") },
                    "only attempts that never reached the server are repeated: \(failures)")
            }
            // The client gave up before the emulator answered, and possibly before it
            // even read the request (under load): wait until the emulator has logged
            // the POST, which it does once the write is applied.
            let handled = await eventually { c.requestLog.byEndpoint[Endpoint.createSenderPool.rawValue] != nil }
            #expect(handled, "the emulator never received the POST")
            #expect(c.requestLog.byEndpoint[Endpoint.createSenderPool.rawValue] == 1)
            #expect(await c.store.state().pools.map(\.name) == ["slow"])
            // A patient client gets the answer: one pool.
            let pools = try await c.api.listSenderPools(SenderPoolQuery())
            #expect(pools.items.map(\.name) == ["slow"])
            #expect(c.counter.retries == 0)
        }
    }

    /// Operations CANCELED by fault injection: nothing applied, everything failed.
    @Test func canceledOperationsApplyNothing() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, cancelRate: 1)
        try await withContract(configuration) { c in
            let accepted = try await c.api.createSenderPool(
                CreateSenderPoolRequest(name: "c", senders: [s1, s2, strangerID].map(SenderReference.init(senderId:))))
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
            #expect(
                try await c.api.fetchPoolSendersOperation(poolID: id, operationID: add).stats
                    == OperationStats(total: 1, queued: 0, created: 0, failed: 1))
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

            // Faults come before validation: a malformed id gets a 5xx, not a 400.
            let malformed = try #require(await apiError { _ = try await c.api.fetchSenderPool(id: "bad") })
            #expect(malformed.kind == .http && (malformed.status == 500 || malformed.status == 503) && malformed.attempts == 4)

            // PATCH and DELETE are idempotent: retried like reads.
            let patch = try #require(
                await apiError { _ = try await c.api.updateSenderPool(id: unknownPoolID, UpdateSenderPoolRequest(name: "n")) })
            #expect(patch.kind == .http && patch.attempts == 4)
            let delete = try #require(await apiError { _ = try await c.api.removeSender(poolID: unknownPoolID, senderID: s1) })
            #expect(delete.kind == .http && delete.attempts == 4)

            // A fault has no side effects.
            #expect(await c.store.state().pools.isEmpty)
            #expect(try await c.store.listOperations(OperationQuery()).items.isEmpty)
            #expect(byEndpoint(c.requestLog) == c.counter.calls)
            #expect(
                c.counter.calls == [
                    .listSenderPools: 4, .createSenderPool: 1, .addSenders: 1, .fetchSenderPool: 4, .updateSenderPool: 4, .removeSender: 4,
                ])
        }
    }

    /// The emulator applies each write, then drops the connection unanswered.
    @Test func connectionResetAfterWrite() async throws {
        let configuration = EmulatorConfiguration(accountSID: accountSID, authToken: authToken, resetAfterWriteRate: 1)
        try await withContract(configuration, maxAttempts: 3) { c in
            // POST: not repeated, reported as unknown; the pool was created.
            let create = try #require(
                await apiError {
                    _ = try await c.api.createSenderPool(
                        CreateSenderPoolRequest(name: "ghost", tags: ["k": "v"], senders: [SenderReference(senderId: s1)]))
                })
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
            let patch = try #require(
                await apiError { _ = try await c.api.updateSenderPool(id: pool.id, UpdateSenderPoolRequest(name: "renamed")) })
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

/// `makeClient` of `Support.swift`, with the client's clock injected: it
/// keeps the call deadline, times backoff waits and reads `Retry-After`.
private func makeClient(
    _ url: String, callDeadline: Duration = .seconds(20), log: LogLines, clock: PoolctlClock
) throws -> HTTPCommsAPI {
    let configuration = HTTPClientConfiguration(
        credentials: goodCredentials, baseURL: url, requestTimeout: .seconds(10), callDeadline: callDeadline,
        backoff: Backoff(initial: .milliseconds(5), cap: .milliseconds(50), jitter: .full), debugLog: { log.append($0) },
        userAgent: "poolctl-contract-tests")
    return try HTTPCommsAPI(configuration: configuration, clock: clock)
}

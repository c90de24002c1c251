import AsyncHTTPClient
import Foundation
import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import Testing

/// Each `--behavior` on the wire: the live client, and raw requests where the
/// bytes matter (a 204 with no body, extra or null fields). Operations take
/// 200 ms; the manual clock moves only when a test says so.
@Suite("Behaviours", .timeLimit(.minutes(1)))
struct BehaviorTests {
    /// The contract configuration with `items` as `--behavior` values.
    static func configuration(_ items: String...) throws -> EmulatorConfiguration {
        EmulatorConfiguration(accountSID: accountSID, authToken: authToken, behaviors: try EmulatorBehaviors(parsing: items))
    }

    /// A seeded pool with a known id, s1 and s2 as members.
    static let seededPoolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6aa1"
    static let seedWithPool = EmulatorSeed(
        senders: knownSenders, generatedSenders: 20,
        pools: [
            EmulatorSeed.Pool(id: seededPoolID, name: "Seeded", tags: ["team": "ops"], senders: [s1, s2])
        ])

    /// Creates a pool with `senders` and lets its operation complete.
    static func completedPool(_ c: Contract, senders: [String] = [s1], tags: Tags = [:]) async throws -> String {
        let accepted = try await c.api.createSenderPool(
            CreateSenderPoolRequest(
                name: "p", tags: tags, senders: senders.map(SenderReference.init(senderId:))))
        c.advance(seconds: 1)
        return try await c.poolID(createdBy: accepted)
    }

    @Test func unknownNamesAndValuesAreRefusedNamingWhatIsValid() throws {
        func message(_ items: [String]) -> String {
            do {
                _ = try EmulatorBehaviors(parsing: items)
                Issue.record("\(items) was accepted")
                return ""
            } catch {
                return error.message
            }
        }
        let unknown = message(["retries=on"])
        #expect(unknown.contains("unknown name 'retries'"), "\(unknown)")
        #expect(unknown.contains("operation-paths=both|nested-only") && unknown.contains("list-lag="), "\(unknown)")
        #expect(message(["nulls=maybe"]) == "--behavior nulls: invalid value 'maybe'; valid: off|on")
        #expect(message(["delete-status=201"]).contains("valid: 202|204|200"))
        #expect(message(["add-batch-limit=0"]).contains("valid: 1..10000"))
        #expect(message(["list-lag=-5"]).contains("invalid value '-5'"))
        #expect(message(["writes"]).contains("is not NAME=VALUE"))
        #expect(message(["writes=async", "writes=sync"]).contains("more than once"))
        // The defaults can be named, and behaviours combine.
        let combined = try EmulatorBehaviors(parsing: ["patch-tags=replace", "writes=async", "list-lag=250", "delete-status=204"])
        #expect(combined.patchTags == .replace && combined.writes == .async && combined.listLagMS == 250 && combined.deleteStatus == 204)
        #expect(try EmulatorBehaviors(parsing: []) == EmulatorBehaviors())
    }

    @Test func nestedOnlyServesAddSendersOperationsOnlyAtTheirNestedPath() async throws {
        try await withContract(try Self.configuration("operation-paths=nested-only")) { c in
            let createOp = try #require(try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p")).operationId)
            c.advance(seconds: 1)
            let pool = try await c.poolID(createdBy: OperationAccepted(operationId: createOp, operationLocation: nil))
            let added = try await c.api.addSenders(poolID: pool, senderIDs: [s1])
            let addOp = try #require(added.operationId)
            #expect(added.operationLocation == "\(c.url)/v1/SenderPools/\(pool)/Senders/Operations/\(addOp)")

            #expect(try await c.api.fetchPoolSendersOperation(poolID: pool, operationID: addOp).status == .processing)
            await expectHTTPError(404, "GET", "/v1/SenderPools/Operations/\(addOp)") { _ = try await c.api.fetchOperation(id: addOp) }
            // Create operations are unchanged: flat path and list.
            #expect(try await c.api.fetchOperation(id: createOp).status == .completed)
            c.advance(seconds: 1)
            let listed = try await c.api.listOperations(OperationQuery()).items.map(\.id)
            #expect(listed == [createOp])
        }
    }

    /// The same seed and clock make the same ids, so a first run learns the
    /// id the second run's hidden pool will have.
    @Test func afterCompletionHidesACreatedPoolUntilItsOperationCompletes() async throws {
        var learned: String?
        try await withContract(try Self.configuration("create-visibility=after-completion")) { c in
            learned = try await Self.completedPool(c)
        }
        let pool = try #require(learned)
        try await withContract(try Self.configuration("create-visibility=after-completion")) { c in
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p", senders: [SenderReference(senderId: s1)]))
            let operation = try #require(accepted.operationId)
            #expect(try await c.api.listSenderPools(SenderPoolQuery(operationId: operation)).items.isEmpty)
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items.isEmpty)
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool)") { _ = try await c.api.fetchSenderPool(id: pool) }
            #expect(await c.store.state().pools.isEmpty)

            c.advance(seconds: 0.2)
            #expect(try await c.api.fetchOperation(id: operation).status == .completed)
            #expect(try await c.api.listSenderPools(SenderPoolQuery(operationId: operation)).items.map(\.id) == [pool])
            #expect(try await c.api.fetchSenderPool(id: pool).name == "p")
            #expect(try await c.api.listPoolSenders(poolID: pool, SenderQuery()).items.map(\.id) == [s1])
        }
    }

    @Test func mergingPatchSetsTheGivenTagsAndKeepsTheOthers() async throws {
        try await withContract(try Self.configuration("patch-tags=merge")) { c in
            let pool = try await Self.completedPool(c, tags: ["a": "1", "b": "2"])
            _ = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(tags: ["b": "3", "c": "4"]))
            #expect(try await c.api.fetchSenderPool(id: pool).tags == ["a": "1", "b": "3", "c": "4"])
            // `{}` removes nothing: there is no way to remove a tag.
            _ = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(tags: [:]))
            #expect(try await c.api.fetchSenderPool(id: pool).tags == ["a": "1", "b": "3", "c": "4"])
        }
    }

    @Test func replacingPatchIsTheDefault() async throws {
        try await withContract { c in
            let pool = try await Self.completedPool(c, tags: ["a": "1", "b": "2"])
            _ = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(tags: ["c": "4"]))
            #expect(try await c.api.fetchSenderPool(id: pool).tags == ["c": "4"])
        }
    }

    @Test func asyncWritesShowUpOnlyAfterTheOperationDelay() async throws {
        try await withContract(try Self.configuration("writes=async"), seed: Self.seedWithPool) { c in
            let pool = Self.seededPoolID
            let patched = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "Renamed", tags: ["team": "new"]))
            #expect(patched.resourceId == pool)
            _ = try await c.api.removeSender(poolID: pool, senderID: s1)
            #expect(try await c.api.fetchSenderPool(id: pool).name == "Seeded")
            #expect(try await c.api.listPoolSenders(poolID: pool, SenderQuery()).items.map(\.id) == [s1, s2])

            c.advance(seconds: 0.199)
            #expect(try await c.api.fetchSenderPool(id: pool).tags == ["team": "ops"])
            c.advance(seconds: 0.001)
            let fetched = try await c.api.fetchSenderPool(id: pool)
            #expect(fetched.name == "Renamed" && fetched.tags == ["team": "new"])
            #expect(fetched.updatedAt == stamp(afterStart: 0))
            #expect(try await c.api.listPoolSenders(poolID: pool, SenderQuery()).items.map(\.id) == [s2])

            _ = try await c.api.deleteSenderPool(id: pool)
            #expect(try await c.api.fetchSenderPool(id: pool).id == pool)
            #expect(await c.store.state().pools.map(\.id) == [pool])
            c.advance(seconds: 0.2)
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool)") { _ = try await c.api.fetchSenderPool(id: pool) }
            #expect(await c.store.state().pools.isEmpty)
        }
    }

    @Test func deleteStatus204AnswersWithNoBody() async throws {
        try await withContract(try Self.configuration("delete-status=204"), seed: Self.seedWithPool) { c in
            let pool = Self.seededPoolID
            let removed = try await raw(c, "DELETE", "/v1/SenderPools/\(pool)/Senders/\(s1)")
            #expect(removed.status == 204 && removed.body.isEmpty)
            let deleted = try await raw(c, "DELETE", "/v1/SenderPools/\(pool)")
            #expect(deleted.status == 204 && deleted.body.isEmpty && deleted.headers["content-type"] == nil)
            #expect(await c.store.state().pools.isEmpty)
        }
        // The client takes a 204 as success.
        try await withContract(try Self.configuration("delete-status=204"), seed: Self.seedWithPool) { c in
            let accepted = try await c.api.deleteSenderPool(id: Self.seededPoolID)
            #expect(accepted == ResourceAccepted(resourceId: nil, resourceLocation: nil))
        }
    }

    @Test func deleteStatus200AnswersWithTheResourceAcceptedBody() async throws {
        try await withContract(try Self.configuration("delete-status=200"), seed: Self.seedWithPool) { c in
            let pool = Self.seededPoolID
            let removed = try await raw(c, "DELETE", "/v1/SenderPools/\(pool)/Senders/\(s1)")
            #expect(removed.status == 200)
            #expect(removed.object?["resourceId"] as? String == s1)
            let accepted = try await c.api.deleteSenderPool(id: pool)
            #expect(accepted == ResourceAccepted(resourceId: pool, resourceLocation: "\(c.url)/v1/SenderPools/\(pool)"))
        }
    }

    @Test func addBatchLimitRefusesLargerBatchesNamingTheLimit() async throws {
        try await withContract(try Self.configuration("add-batch-limit=2"), seed: Self.seedWithPool) { c in
            let three = [s1, s2, s3].map(SenderReference.init(senderId:))
            await expectHTTPError(400, "POST", "/v1/SenderPools", messageContains: "at most 2 senders are allowed per request, got 3") {
                _ = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p", senders: three))
            }
            let pool = Self.seededPoolID
            await expectHTTPError(400, "POST", "/v1/SenderPools/\(pool)/Senders", messageContains: "at most 2") {
                _ = try await c.api.addSenders(poolID: pool, senderIDs: [s1, s2, s3])
            }
            let accepted = try await c.api.addSenders(poolID: pool, senderIDs: [s2, s3])
            #expect(accepted.operationId != nil)
        }
    }

    @Test func unknownFieldsAppearInEveryObjectButNotInTagMaps() async throws {
        try await withContract(try Self.configuration("unknown-fields=on"), seed: Self.seedWithPool) { c in
            let pool = Self.seededPoolID
            let list = try #require(try await raw(c, "GET", "/v1/SenderPools").object)
            expectExtras(list)
            let pagination = try #require(list["pagination"] as? [String: Any])
            expectExtras(pagination)
            let item = try #require((list["senderPools"] as? [[String: Any]])?.first)
            expectExtras(item)
            #expect((item["tags"] as? [String: Any]).map { $0.keys.sorted() } == ["team"])
            let error = try #require(try await raw(c, "GET", "/v1/SenderPools/\(unknownPoolID)").object)
            expectExtras(error)
            #expect(int(error["status"]) == 404)
            let added = try #require(try await raw(c, "POST", "/v1/SenderPools/\(pool)/Senders", body: "[{\"senderId\":\"\(s3)\"}]").object)
            expectExtras(added)
            let operation = try #require(
                try await raw(c, "GET", "/v1/SenderPools/Operations/\(added["operationId"] as? String ?? "")").object)
            expectExtras(try #require(operation["stats"] as? [String: Any]))

            // The client ignores them.
            #expect(try await c.api.fetchSenderPool(id: pool).tags == ["team": "ops"])
            #expect(try await c.api.listPoolSenders(poolID: pool, SenderQuery()).items == [knownSenders[0], knownSenders[1]])
        }
    }

    @Test func nullsLeaveOptionalFieldsNullOrAbsent() async throws {
        try await withContract(try Self.configuration("nulls=on")) { c in
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p", senders: [SenderReference(senderId: s1)]))
            let operationID = try #require(accepted.operationId)
            let processing = try #require(try await raw(c, "GET", "/v1/SenderPools/Operations/\(operationID)").object)
            #expect(processing["status"] as? String == "PROCESSING")
            #expect((processing["stats"] as? [String: Any])?.isEmpty == true)

            c.advance(seconds: 1)
            let completed = try #require(try await raw(c, "GET", "/v1/SenderPools/Operations/\(operationID)").object)
            let stats = try #require(completed["stats"] as? [String: Any])
            #expect(["total", "queued", "created", "failed"].map { int(stats[$0]) } == [1, 0, 1, 0])

            let list = try #require(try await raw(c, "GET", "/v1/SenderPools").object)
            let pagination = try #require(list["pagination"] as? [String: Any])
            #expect(pagination["self"] is NSNull)
            let pool = try #require((list["senderPools"] as? [[String: Any]])?.first)
            #expect(pool["tags"] == nil)
            let poolID = try #require(pool["id"] as? String)
            let members = try #require(try await raw(c, "GET", "/v1/SenderPools/\(poolID)/Senders").object)
            let sender = try #require((members["senders"] as? [[String: Any]])?.first)
            #expect(sender["displayName"] is NSNull && sender["tags"] == nil)

            // The client reads absent tags as empty and a null self as no self.
            let page = try await c.api.listSenderPools(SenderPoolQuery())
            #expect(page.items.map(\.tags) == [[:]] && page.pagination.current == "")
        }
    }

    @Test func extendedStatusesPassThroughScheduledAndEndFailed() async throws {
        try await withContract(try Self.configuration("operation-statuses=extended")) { c in
            let operation = try #require(try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p")).operationId)
            #expect(try await c.api.fetchOperation(id: operation).status == .scheduled)
            #expect(try await c.api.listOperations(OperationQuery(status: .scheduled)).items.map(\.id) == [operation])
            c.advance(seconds: 0.1)
            let processing = try await c.api.fetchOperation(id: operation)
            #expect(processing.status == .processing)
            c.advance(seconds: 0.1)
            #expect(try await c.api.fetchOperation(id: operation).status == .completed)
        }
        var configuration = try Self.configuration("operation-statuses=extended")
        configuration.cancelRate = 1
        try await withContract(configuration) { c in
            let operation = try #require(try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p")).operationId)
            c.advance(seconds: 1)
            let failed = try await c.api.fetchOperation(id: operation)
            #expect(failed.status == .failed && failed.stats.failed == failed.stats.total)
        }
    }

    @Test func foreignLocationsUseTheRealAPIOrigin() async throws {
        try await withContract(try Self.configuration("locations=foreign"), seed: Self.seedWithPool) { c in
            let pool = Self.seededPoolID
            let created = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "p"))
            let operation = try #require(created.operationId)
            #expect(created.operationLocation == "https://comms.twilio.com/v1/SenderPools/Operations/\(operation)")
            #expect(created.location == created.operationLocation)
            let patched = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "x"))
            #expect(patched.resourceLocation == "https://comms.twilio.com/v1/SenderPools/\(pool)")
            let added = try await c.api.addSenders(poolID: pool, senderIDs: [s3])
            #expect(added.operationLocation?.hasPrefix("https://comms.twilio.com/v1/SenderPools/\(pool)/Senders/Operations/") == true)
        }
    }

    @Test func listLagShowsWritesToListsLaterThanToFetch() async throws {
        try await withContract(try Self.configuration("list-lag=500"), seed: Self.seedWithPool) { c in
            let pool = Self.seededPoolID
            _ = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(name: "Renamed"))
            _ = try await c.api.removeSender(poolID: pool, senderID: s1)
            let created = try await c.api.createSenderPool(CreateSenderPoolRequest(name: "new"))
            let operation = try #require(created.operationId)

            #expect(try await c.api.fetchSenderPool(id: pool).name == "Renamed")
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items.map(\.name) == ["Seeded"])
            #expect(try await c.api.listSenderPools(SenderPoolQuery(operationId: operation)).items.isEmpty)
            #expect(try await c.api.listPoolSenders(poolID: pool, SenderQuery()).items.map(\.id) == [s1, s2])
            #expect(try await c.api.listOperations(OperationQuery()).items.isEmpty)
            #expect(await c.store.state().pools.count == 2)

            c.advance(seconds: 0.5)
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items.map(\.name) == ["Renamed", "new"])
            #expect(try await c.api.listSenderPools(SenderPoolQuery(operationId: operation)).items.count == 1)
            #expect(try await c.api.listPoolSenders(poolID: pool, SenderQuery()).items.map(\.id) == [s2])
            // Completed for Fetch, still PROCESSING in the list until the lag has passed its completion too.
            #expect(try await c.api.fetchOperation(id: operation).status == .completed)
            #expect(try await c.api.listOperations(OperationQuery()).items.map(\.status) == [.processing])
            c.advance(seconds: 0.2)
            #expect(try await c.api.listOperations(OperationQuery()).items.map(\.status) == [.completed])

            // A deleted pool: gone from Fetch and the state at once, listed for the lag.
            _ = try await c.api.deleteSenderPool(id: pool)
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool)") { _ = try await c.api.fetchSenderPool(id: pool) }
            #expect(!(await c.store.state().pools.map(\.id).contains(pool)))
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items.map(\.id).contains(pool))
            c.advance(seconds: 0.5)
            #expect(!(try await c.api.listSenderPools(SenderPoolQuery()).items.map(\.id).contains(pool)))
        }
    }

    @Test func behavioursCombineWithFaultInjection() async throws {
        var configuration = try Self.configuration("writes=async", "nulls=on", "delete-status=204")
        configuration.errorRate = 0.5
        configuration.randomSeed = 7
        try await withContract(configuration, seed: Self.seedWithPool, maxAttempts: 20) { c in
            let pool = Self.seededPoolID
            _ = try await c.api.updateSenderPool(id: pool, UpdateSenderPoolRequest(tags: [:]))
            c.advance(seconds: 0.2)
            #expect(try await c.api.fetchSenderPool(id: pool).tags == [:])
            _ = try await c.api.deleteSenderPool(id: pool)
            c.advance(seconds: 0.2)
            #expect(await c.store.state().pools.isEmpty)
            #expect(c.requestLog.byStatus.keys.contains { $0 == "500" || $0 == "503" })
        }
    }
}

/// `accountId`, `links` and `_meta`, as `unknown-fields=on` adds them.
func expectExtras(_ object: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(object["accountId"] is String, "\(object)", sourceLocation: sourceLocation)
    #expect(object["links"] is [String: Any], "\(object)", sourceLocation: sourceLocation)
    #expect(object["_meta"] is [String: Any], "\(object)", sourceLocation: sourceLocation)
}

/// A JSON number from JSONSerialization as an Int.
func int(_ value: Any?) -> Int? {
    (value as? Int) ?? (value as? NSNumber)?.intValue
}

/// A response as it came over the wire.
struct RawResponse {
    var status: Int
    /// Names lowercased.
    var headers: [String: String]
    var body: [UInt8]

    /// The body as a JSON object, or nil.
    var object: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// One request with the contract's credentials, outside the client.
func raw(_ c: Contract, _ method: String, _ path: String, body: String? = nil) async throws -> RawResponse {
    var request = HTTPClientRequest(url: c.url + path)
    request.method = .init(rawValue: method)
    request.headers.add(name: "Authorization", value: "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString())
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(Array(body.utf8))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    var buffer = try await response.body.collect(upTo: 8 << 20)
    var headers: [String: String] = [:]
    for header in response.headers { headers[header.name.lowercased()] = header.value }
    return RawResponse(status: Int(response.status.code), headers: headers, body: buffer.readBytes(length: buffer.readableBytes) ?? [])
}

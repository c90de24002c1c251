import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import Testing

/// Every endpoint once, on the happy path, with the decoded values checked.
@Suite("Endpoints", .timeLimit(.minutes(1)))
struct EndpointTests {
    @Test func poolLifecycleThroughEveryEndpoint() async throws {
        try await withContract { c in
            // POST /v1/SenderPools: 202, operationLocation on the flat path, Location equal to it.
            let created = try await c.api.createSenderPool(
                CreateSenderPoolRequest(
                    name: "Sales Leads - APAC", tags: ["team": "sales", "region": "APAC"],
                    senders: [s2, strangerID, s1].map(SenderReference.init(senderId:))))
            let createOp = try #require(created.operationId)
            #expect(createOp.hasPrefix("comms_operation_"))
            #expect(created.operationLocation == "\(c.url)/v1/SenderPools/Operations/\(createOp)")
            #expect(created.location == created.operationLocation)
            #expect(created.resolvedOperationID == createOp)

            // GET /v1/SenderPools?operationId=: the pool is visible at once, its senders are not.
            let byOperation = try await c.api.listSenderPools(SenderPoolQuery(operationId: createOp))
            #expect(byOperation.items.count == 1)
            #expect(byOperation.pagination.next == nil)
            #expect(!byOperation.pagination.current.isEmpty)
            let pool = try #require(byOperation.items.first)
            #expect(pool.id.hasPrefix("comms_senderpool_"))
            #expect(pool.name == "Sales Leads - APAC")
            #expect(pool.tags == ["team": "sales", "region": "APAC"])
            #expect(pool.createdAt == clockStart && pool.updatedAt == clockStart)
            #expect(try await c.api.listPoolSenders(poolID: pool.id, SenderQuery()).items.isEmpty)

            // GET /v1/SenderPools/Operations/{id} while PROCESSING: everything queued.
            let processing = try await c.api.fetchOperation(id: createOp)
            #expect(processing.id == createOp)
            #expect(processing.status == .processing)
            #expect(processing.stats == OperationStats(total: 3, queued: 3, created: 0, failed: 0))
            #expect(processing.createdAt == clockStart)
            expectConsistent(processing)

            // ... and COMPLETED: the unknown (well-formed) sender counted as failed.
            c.advance(seconds: 1)
            let completed = try await c.api.fetchOperation(id: createOp)
            #expect(completed.status == .completed)
            #expect(completed.stats == OperationStats(total: 3, queued: 0, created: 2, failed: 1))
            #expect(completed.createdAt == clockStart)
            expectConsistent(completed)

            // GET /v1/SenderPools/{id}
            let fetched = try await c.api.fetchSenderPool(id: pool.id)
            #expect(fetched == pool)

            // GET /v1/SenderPools/{id}/Senders: full Sender values, in (createdAt, id) order.
            let members = try await c.api.listPoolSenders(poolID: pool.id, SenderQuery())
            #expect(members.items == [knownSenders[0], knownSenders[1]])
            #expect(members.items[1].displayName == nil)
            #expect(members.pagination.next == nil)

            // PATCH /v1/SenderPools/{id}: tags replaced, name changed, updatedAt bumped.
            c.advance(seconds: 2)
            let updated = try await c.api.updateSenderPool(
                id: pool.id, UpdateSenderPoolRequest(name: "Sales Leads - EMEA", tags: ["team": "emea"]))
            #expect(updated.resourceId == pool.id)
            #expect(updated.resourceLocation == "\(c.url)/v1/SenderPools/\(pool.id)")
            let afterPatch = try await c.api.fetchSenderPool(id: pool.id)
            #expect(afterPatch.name == "Sales Leads - EMEA")
            #expect(afterPatch.tags == ["team": "emea"], "PATCH tags replace the whole map")
            #expect(afterPatch.createdAt == clockStart)
            #expect(afterPatch.updatedAt == stamp(afterStart: 3))

            // POST /v1/SenderPools/{id}/Senders: nested operationLocation.
            c.advance(seconds: 1)
            let added = try await c.api.addSenders(poolID: pool.id, senderIDs: [s2, s3, strangerID])
            let addOp = try #require(added.operationId)
            #expect(added.operationLocation == "\(c.url)/v1/SenderPools/\(pool.id)/Senders/Operations/\(addOp)")
            #expect(added.location == added.operationLocation)
            #expect(added.resolvedOperationID == addOp)

            // GET /v1/SenderPools/{id}/Senders/Operations/{op}, PROCESSING then COMPLETED:
            // the member already there counts as created, the stranger as failed.
            let nestedProcessing = try await c.api.fetchPoolSendersOperation(poolID: pool.id, operationID: addOp)
            #expect(nestedProcessing.status == .processing)
            #expect(nestedProcessing.stats == OperationStats(total: 3, queued: 3, created: 0, failed: 0))
            #expect(nestedProcessing.createdAt == stamp(afterStart: 4))
            c.advance(seconds: 1)
            let nested = try await c.api.fetchPoolSendersOperation(poolID: pool.id, operationID: addOp)
            #expect(nested.status == .completed)
            #expect(nested.stats == OperationStats(total: 3, queued: 0, created: 2, failed: 1))
            expectConsistent(nested)
            #expect(try await c.api.fetchOperation(id: addOp) == nested, "the flat path serves the same body")
            #expect(
                try await c.api.listSenderPools(SenderPoolQuery(operationId: addOp)).items.map(\.id) == [pool.id],
                "operationId matches Add Senders operations too")

            // Membership changes do not bump the pool's updatedAt.
            #expect(try await c.api.fetchSenderPool(id: pool.id).updatedAt == stamp(afterStart: 3))
            #expect(try await c.api.listPoolSenders(poolID: pool.id, SenderQuery()).items.map(\.id) == [s1, s2, s3])

            // DELETE /v1/SenderPools/{id}/Senders/{senderId}
            let removed = try await c.api.removeSender(poolID: pool.id, senderID: s1)
            #expect(removed.resourceId == s1)
            #expect(removed.resourceLocation == "\(c.url)/v1/SenderPools/\(pool.id)/Senders/\(s1)")
            #expect(try await c.api.listPoolSenders(poolID: pool.id, SenderQuery()).items.map(\.id) == [s2, s3])
            #expect(try await c.api.fetchSenderPool(id: pool.id).updatedAt == stamp(afterStart: 3))

            // GET /v1/SenderPools/Operations: both, in creation order, with filters.
            let operations = try await c.api.listOperations(OperationQuery())
            #expect(operations.items.map(\.id) == [createOp, addOp])
            #expect(operations.items == [completed, nested])
            #expect(try await c.api.listOperations(OperationQuery(status: .completed)).items.count == 2)
            #expect(try await c.api.listOperations(OperationQuery(status: .processing)).items.isEmpty)
            #expect(try await c.api.listOperations(OperationQuery(status: .canceled)).items.isEmpty)

            // The emulator's own view agrees.
            let state = await c.store.state()
            #expect(state.pools.map(\.id) == [pool.id])
            #expect(state.pools.first?.senders == [s2, s3])
            #expect(state.pools.first?.tags == ["team": "emea"])

            // DELETE /v1/SenderPools/{id}: 202, then 404 everywhere, operations kept.
            let deleted = try await c.api.deleteSenderPool(id: pool.id)
            #expect(deleted.resourceId == pool.id)
            #expect(deleted.resourceLocation == "\(c.url)/v1/SenderPools/\(pool.id)")
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool.id)") { _ = try await c.api.fetchSenderPool(id: pool.id) }
            await expectHTTPError(404, "DELETE", "/v1/SenderPools/\(pool.id)") { _ = try await c.api.deleteSenderPool(id: pool.id) }
            await expectHTTPError(404, "GET", "/v1/SenderPools/\(pool.id)/Senders") {
                _ = try await c.api.listPoolSenders(poolID: pool.id, SenderQuery())
            }
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items.isEmpty)
            #expect(
                try await c.api.listSenderPools(SenderPoolQuery(operationId: createOp)).items.isEmpty,
                "operationId of a deleted pool: an empty page, not 404")
            #expect(
                try await c.api.fetchPoolSendersOperation(poolID: pool.id, operationID: addOp) == nested,
                "the nested path does not need the pool to exist")
            #expect(try await c.api.listOperations(OperationQuery()).items.count == 2)
            #expect(await c.store.state().pools.isEmpty)

            // Headers, as the client logged them: Location only on Create, Add Senders
            // and Update, equal to the body's location; none on the two DELETEs.
            let patchHeaders = responseHeaders(c.log, status: 202, "PATCH", "/v1/SenderPools/\(pool.id)")
            #expect(patchHeaders.count == 1)
            #expect(patchHeaders.first?["location"] == updated.resourceLocation)
            #expect(patchHeaders.first?["content-type"] == "application/json")
            let createHeaders = responseHeaders(c.log, status: 202, "POST", "/v1/SenderPools")
            #expect(createHeaders.count == 1 && createHeaders.first?["location"] == created.operationLocation)
            let deleteHeaders = responseHeaders(c.log, status: 202, "DELETE", "/v1/SenderPools/\(pool.id)")
            #expect(deleteHeaders.count == 1 && deleteHeaders.first?["location"] == nil)
            let removeHeaders = responseHeaders(c.log, status: 202, "DELETE", "/v1/SenderPools/\(pool.id)/Senders/\(s1)")
            #expect(removeHeaders.count == 1 && removeHeaders.first?["location"] == nil)
        }
    }

    @Test func createWithoutSendersStillMakesAnOperation() async throws {
        try await withContract { c in
            let accepted = try await c.api.createSenderPool(CreateSenderPoolRequest())
            let operationID = try #require(accepted.operationId)
            let pool = try await c.api.fetchSenderPool(id: try await c.poolID(createdBy: accepted))
            #expect(pool.name == "", "name defaults to the empty string")
            #expect(pool.tags == [:])
            #expect(try await c.api.fetchOperation(id: operationID).stats == OperationStats(total: 0, queued: 0, created: 0, failed: 0))
            c.advance(seconds: 1)
            let operation = try await c.api.fetchOperation(id: operationID)
            #expect(operation.status == .completed)
            #expect(operation.stats == OperationStats(total: 0, queued: 0, created: 0, failed: 0))
        }
    }

    @Test func patchNameOnlyKeepsTagsAndEmptyTagsClearThem() async throws {
        try await withContract { c in
            let id = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "a", tags: ["k": "v", "x": "y"])))
            c.advance(seconds: 1)
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "b"))
            var pool = try await c.api.fetchSenderPool(id: id)
            #expect(pool.name == "b" && pool.tags == ["k": "v", "x": "y"])
            #expect(pool.updatedAt == stamp(afterStart: 1))
            c.advance(seconds: 1)
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: [:]))
            pool = try await c.api.fetchSenderPool(id: id)
            #expect(pool.name == "b" && pool.tags == [:])
            #expect(pool.updatedAt == stamp(afterStart: 2))
            // updatedAt is bumped even when nothing changed.
            c.advance(seconds: 1)
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "b"))
            #expect(try await c.api.fetchSenderPool(id: id).updatedAt == stamp(afterStart: 3))
        }
    }

    @Test func tagAndNameLimitsAtTheEdgeAreAccepted() async throws {
        try await withContract { c in
            let tags = Dictionary(uniqueKeysWithValues: (0..<10).map { ("k\($0)", "v.\($0)_~-") })
            let longTag = [String(repeating: "k", count: 128): String(repeating: "v", count: 256)]
            let name = String(repeating: "é", count: 256)  // 256 code points, 512 UTF-8 bytes
            let id = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: name, tags: tags)))
            let pool = try await c.api.fetchSenderPool(id: id)
            #expect(pool.name == name)
            #expect(pool.tags == tags)
            c.advance(seconds: 1)
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: longTag))
            #expect(try await c.api.fetchSenderPool(id: id).tags == longTag)
        }
    }

    /// Names travel as JSON both ways (Foundation's JSONEncoder and JSONDecoder on
    /// both sides): every character must survive the round trip.
    @Test(arguments: [
        "quote \" backslash \\ slash / solidus",
        "controls \u{0} \u{1} \t \n \r \u{8} \u{c} \u{1f} \u{7f}",
        "astral 🎉👩‍👩‍👧 and combining e\u{301} and BOM \u{feff}",
        "separators \u{2028} \u{2029} and <script>&amp;'",
        "   leading and trailing spaces are kept   ",
        String(repeating: "🎉", count: 256),  // 256 code points (512 UTF-16 units): the limit
    ])
    func namesRoundTrip(_ name: String) async throws {
        try await withContract { c in
            let id = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: name)))
            #expect(try await c.api.fetchSenderPool(id: id).name == name)
            #expect(await c.store.state().pools.first?.name == name)
            c.advance(seconds: 1)
            let reversed = String(name.reversed())  // same code points, other order
            _ = try await c.api.updateSenderPool(id: id, UpdateSenderPoolRequest(name: reversed))
            let listed = try await c.api.listSenderPools(SenderPoolQuery()).items
            #expect(listed.map(\.name) == [reversed])
        }
    }

    @Test func tenThousandSendersInlineAndInOneBatch() async throws {
        let inventory = EmulatorSeed.syntheticSenders(count: 2600)
        try await withContract(seed: EmulatorSeed(generatedSenders: 2600)) { c in
            // 2,600 known senders and 7,400 well-formed strangers: the documented maximum.
            let strangers = (0..<7400).map { i -> String in
                let digits = String(i)
                return "comms_sender_7" + String(repeating: "z", count: 25 - digits.count) + digits
            }
            let ids = inventory.map(\.id) + strangers
            let accepted = try await c.api.createSenderPool(
                CreateSenderPoolRequest(name: "max", senders: ids.map(SenderReference.init(senderId:))))
            let id = try await c.poolID(createdBy: accepted)
            c.advance(seconds: 1)
            let operation = try await c.api.fetchOperation(id: try #require(accepted.operationId))
            #expect(operation.stats == OperationStats(total: 10_000, queued: 0, created: 2600, failed: 7400))
            #expect(try await c.api.allPoolSenders(poolID: id).collect() == inventory)

            // The same 10,000 again in one Add Senders: every member counts as created.
            let added = try await c.api.addSenders(poolID: id, senderIDs: ids.reversed())
            c.advance(seconds: 1)
            let again = try await c.api.fetchPoolSendersOperation(poolID: id, operationID: try #require(added.operationId))
            #expect(again.stats == OperationStats(total: 10_000, queued: 0, created: 2600, failed: 7400))
            #expect(await c.store.state().pools.first?.senders.count == 2600)
        }
    }

    @Test func sameSenderInSeveralPools() async throws {
        try await withContract { c in
            let a = try await c.poolID(
                createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "a", senders: [SenderReference(senderId: s1)])))
            let b = try await c.poolID(
                createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "b", senders: [SenderReference(senderId: s1)])))
            c.advance(seconds: 1)
            #expect(try await c.api.listPoolSenders(poolID: a, SenderQuery()).items.map(\.id) == [s1])
            #expect(try await c.api.listPoolSenders(poolID: b, SenderQuery()).items.map(\.id) == [s1])
            _ = try await c.api.removeSender(poolID: a, senderID: s1)
            #expect(try await c.api.listPoolSenders(poolID: b, SenderQuery()).items.map(\.id) == [s1], "removal touches one pool only")
        }
    }

    @Test func senderInventoryAndFilters() async throws {
        try await withContract { c in
            // GET /v1/Senders: the whole seeded inventory in (createdAt, id) order.
            let all = try await c.api.listSenders(SenderQuery(pageSize: 1000))
            let expected = knownSenders + syntheticSenders
            #expect(all.items == expected)
            #expect(all.pagination.next == nil)
            // Default page size is 50, so 23 fit on one page.
            #expect(try await c.api.listSenders(SenderQuery()).items.count == 23)

            let sms = try await c.api.listSenders(SenderQuery(channel: .sms))
            #expect(!sms.items.isEmpty && sms.items.allSatisfy { $0.channel == .sms })
            #expect(sms.items == expected.filter { $0.channel == .sms })
            let deactivated = try await c.api.listSenders(SenderQuery(status: .deactivated))
            #expect(deactivated.items == expected.filter { $0.status == .deactivated })
            let both = try await c.api.listSenders(SenderQuery(channel: .sms, status: .activated))
            #expect(both.items == expected.filter { $0.channel == .sms && $0.status == .activated })
            for channel in Channel.documented {
                #expect(try await c.api.listSenders(SenderQuery(channel: channel)).items == expected.filter { $0.channel == channel })
            }

            // The client never sends date filters to /v1/Senders (the inventory has none).
            let dated = try await c.api.listSenders(SenderQuery(startDate: "2030-01-01T00:00:00Z", pageSize: 1000))
            #expect(dated.items == expected)
            #expect(c.log.lines.contains { $0.hasPrefix("→ GET /v1/Senders?pageSize=1000") })
            #expect(!c.log.lines.contains { $0.hasPrefix("→ GET /v1/Senders") && $0.contains("startDate") })

            // Through Paginated, 7 at a time.
            let paged = try await c.api.allSenders(SenderQuery(pageSize: 7)).collect()
            #expect(paged == expected)
            // 5 single lists, 5 per channel, 1 dated, 4 pages (7+7+7+2).
            #expect(c.counter.calls[.listSenders] == 5 + 5 + 1 + 4)
        }
    }

    @Test func poolMemberFiltersUseTheSendersOwnFields() async throws {
        try await withContract { c in
            let ids = [s1, s2, s3] + syntheticSenders.map(\.id)
            let id = try await c.poolID(
                createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "all", senders: ids.map(SenderReference.init(senderId:)))))
            c.advance(seconds: 1)
            let expected = knownSenders + syntheticSenders
            #expect(try await c.api.allPoolSenders(poolID: id).collect() == expected)
            #expect(
                try await c.api.listPoolSenders(poolID: id, SenderQuery(channel: .email)).items == expected.filter { $0.channel == .email })
            #expect(
                try await c.api.listPoolSenders(poolID: id, SenderQuery(status: .deactivated)).items
                    == expected.filter { $0.status == .deactivated })
            #expect(
                try await c.api.listPoolSenders(poolID: id, SenderQuery(channel: .sms, status: .activated)).items
                    == expected.filter { $0.channel == .sms && $0.status == .activated })
        }
    }
}

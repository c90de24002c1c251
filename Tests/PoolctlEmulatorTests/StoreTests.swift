import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

@Suite("EmulatorStore")
struct StoreTests {
    @Test func createIsVisibleAtOnceAndSendersAttachWhenTheOperationCompletes() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let accepted = try await store.createSenderPool(
            CreateSenderPoolRequest(
                name: "Sales", tags: ["region": "APAC"],
                senders: [.init(senderId: s1), .init(senderId: s2)]))
        let operationID = try #require(accepted.operationId)
        #expect(EmulatorIDKind.operation.matches(operationID))
        #expect(accepted.operationLocation == "http://127.0.0.1:0/v1/SenderPools/Operations/\(operationID)")

        let pools = try await store.listSenderPools(SenderPoolQuery(operationId: operationID))
        let pool = try #require(pools.items.first)
        #expect(pools.items.count == 1)
        #expect(pool.name == "Sales")
        #expect(pool.tags == ["region": "APAC"])
        #expect(EmulatorIDKind.senderPool.matches(pool.id))
        #expect(pool.createdAt == "2025-01-01T00:00:00Z")
        #expect(try await store.listPoolSenders(poolID: pool.id, SenderQuery()).items.isEmpty)

        var operation = try await store.fetchOperation(id: operationID)
        #expect(operation.status == .processing)
        #expect(operation.stats == OperationStats(total: 2, queued: 2, created: 0, failed: 0))

        clock.advance(milliseconds: 199)
        #expect(try await store.fetchOperation(id: operationID).status == .processing)
        clock.advance(milliseconds: 1)
        operation = try await store.fetchOperation(id: operationID)
        #expect(operation.status == .completed)
        #expect(operation.stats == OperationStats(total: 2, queued: 0, created: 2, failed: 0))
        let members = try await store.listPoolSenders(poolID: pool.id, SenderQuery()).items.map(\.id)
        #expect(members == [s1, s2])
        #expect(try await store.fetchOperation(poolID: pool.id, id: operationID) == operation)
    }

    @Test func nameDefaultsToEmptyAndCreateWithoutSendersStillHasAnOperation() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let accepted = try await store.createSenderPool(CreateSenderPoolRequest())
        let pool = try #require(try await store.listSenderPools(SenderPoolQuery(operationId: accepted.operationId)).items.first)
        #expect(pool.name == "")
        #expect(pool.tags == [:])
        clock.advance(milliseconds: 200)
        let operation = try await store.fetchOperation(id: accepted.operationId!)
        #expect(operation.status == .completed)
        #expect(operation.stats == OperationStats(total: 0, queued: 0, created: 0, failed: 0))
    }

    @Test func addWithAnUnknownSenderCountsItAsFailedAndMembersAsCreated() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let poolID = try await createCompletedPool(store, clock: clock, senders: [s1])
        let accepted = try await store.addSenders(poolID: poolID, senderIDs: [s1, s2, strangerID])
        #expect(accepted.operationLocation == "http://127.0.0.1:0/v1/SenderPools/\(poolID)/Senders/Operations/\(accepted.operationId!)")
        clock.advance(milliseconds: 200)
        let operation = try await store.fetchOperation(id: accepted.operationId!)
        #expect(operation.status == .completed)
        #expect(operation.stats == OperationStats(total: 3, queued: 0, created: 2, failed: 1))
        #expect(try await store.listPoolSenders(poolID: poolID, SenderQuery()).items.map(\.id) == [s1, s2])
        // Served at the flat path and in List Operations too.
        let all = try await store.listOperations(OperationQuery()).items.map(\.id)
        #expect(all.contains(accepted.operationId!))
        // The nested path only under its own pool.
        #expect(await status { _ = try await store.fetchOperation(poolID: unknownPoolID, id: accepted.operationId!) } == 404)
    }

    @Test func writesToAPoolWithAProcessingOperationAreConflicts() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let accepted = try await store.createSenderPool(CreateSenderPoolRequest(name: "x", senders: [.init(senderId: s1)]))
        let poolID = try #require(try await store.listSenderPools(SenderPoolQuery(operationId: accepted.operationId)).items.first?.id)
        #expect(await status { _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: "y")) } == 409)
        #expect(await status { _ = try await store.deleteSenderPool(id: poolID) } == 409)
        #expect(await status { _ = try await store.addSenders(poolID: poolID, senderIDs: [s2]) } == 409)
        // For Remove, 409 comes before the membership check.
        #expect(await status { _ = try await store.removeSender(poolID: poolID, senderID: s2) } == 409)
        // Reads never conflict; unknown pools are 404 first.
        #expect(await status { _ = try await store.fetchSenderPool(id: poolID) } == nil)
        #expect(await status { _ = try await store.deleteSenderPool(id: unknownPoolID) } == 404)
        clock.advance(milliseconds: 200)
        #expect(await status { _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: "y")) } == nil)
    }

    @Test func updateReplacesTagsAndBumpsUpdatedAt() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let poolID = try await createCompletedPool(store, clock: clock, name: "a", tags: ["x": "1", "y": "2"])
        clock.advance(seconds: 5)
        let accepted = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(tags: ["z": "3"]))
        #expect(accepted == ResourceAccepted(resourceId: poolID, resourceLocation: "http://127.0.0.1:0/v1/SenderPools/\(poolID)"))
        let pool = try await store.fetchSenderPool(id: poolID)
        #expect(pool.name == "a")
        #expect(pool.tags == ["z": "3"])
        #expect(pool.createdAt == "2025-01-01T00:00:00Z")
        #expect(pool.updatedAt == "2025-01-01T00:00:06Z")
        #expect(await status { _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest()) } == 400)
        #expect(await status { _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(tags: ["bad key": "v"])) } == 400)
        _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(tags: [:]))
        #expect(try await store.fetchSenderPool(id: poolID).tags == [:])
    }

    @Test func removeAppliesAtOnceAndIs404ForNonMembers() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let poolID = try await createCompletedPool(store, clock: clock, senders: [s1, s2])
        let accepted = try await store.removeSender(poolID: poolID, senderID: s1)
        #expect(accepted.resourceId == s1)
        #expect(accepted.resourceLocation == "http://127.0.0.1:0/v1/SenderPools/\(poolID)/Senders/\(s1)")
        #expect(try await store.listPoolSenders(poolID: poolID, SenderQuery()).items.map(\.id) == [s2])
        #expect(await status { _ = try await store.removeSender(poolID: poolID, senderID: s1) } == 404)
        #expect(await status { _ = try await store.removeSender(poolID: poolID, senderID: strangerID) } == 404)
        #expect(await status { _ = try await store.removeSender(poolID: unknownPoolID, senderID: s2) } == 404)
        #expect(await status { _ = try await store.removeSender(poolID: poolID, senderID: "nope") } == 400)
    }

    @Test func deleteRemovesThePoolAndItsMembershipsAtOnce() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let poolID = try await createCompletedPool(store, clock: clock, senders: [s1])
        let accepted = try await store.deleteSenderPool(id: poolID)
        #expect(accepted.resourceId == poolID)
        #expect(await status { _ = try await store.fetchSenderPool(id: poolID) } == 404)
        #expect(await status { _ = try await store.deleteSenderPool(id: poolID) } == 404)
        #expect(await status { _ = try await store.listPoolSenders(poolID: poolID, SenderQuery()) } == 404)
        #expect(try await store.listSenderPools(SenderPoolQuery()).items.isEmpty)
        #expect(await store.state().pools.isEmpty)
    }

    @Test func malformedIDsAreBadRequestsAndUnknownOnesNotFound() async throws {
        let store = try makeStore()
        #expect(await status { _ = try await store.fetchSenderPool(id: "comms_senderpool_01H9KRWPRKEEE8FZQSPVWY6NQ8") } == 400)
        #expect(await status { _ = try await store.fetchSenderPool(id: unknownPoolID + "x!") } == 400)
        #expect(await status { _ = try await store.fetchSenderPool(id: unknownPoolID) } == 404)
        #expect(await status { _ = try await store.fetchOperation(id: "comms_operation_8h9krwprkeee8fzqspvwy6nq8") } == 400)
        #expect(await status { _ = try await store.fetchOperation(id: unknownOperationID) } == 404)
        #expect(await status { _ = try await store.addSenders(poolID: unknownPoolID, senderIDs: []) } == 400)
        #expect(await status { _ = try await store.addSenders(poolID: unknownPoolID, senderIDs: [s1, s1]) } == 400)
        #expect(await status { _ = try await store.addSenders(poolID: unknownPoolID, senderIDs: [s1]) } == 404)
        let tooManyTags = Dictionary(uniqueKeysWithValues: (0..<11).map { ("k\($0)", "v") })
        #expect(await status { _ = try await store.createSenderPool(CreateSenderPoolRequest(tags: tooManyTags)) } == 400)
        #expect(
            await status { _ = try await store.createSenderPool(CreateSenderPoolRequest(name: String(repeating: "é", count: 257))) } == 400)
        #expect(
            await status { _ = try await store.createSenderPool(CreateSenderPoolRequest(name: String(repeating: "é", count: 256))) } == nil)
    }

    @Test func paginationWalksEveryPageInOrderWithFiltersAndDateBounds() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        var created: [String] = []
        for i in 0..<7 {
            let id = try await createCompletedPool(store, clock: clock, name: "p\(i)")
            created.append(id)
        }
        // Pools were created one second apart: 00:00:00, 00:00:01, ...
        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await store.listSenderPools(SenderPoolQuery(pageSize: 3, pageToken: token))
            #expect(!page.pagination.current.isEmpty)
            if let token { #expect(page.pagination.current == token) }
            seen += page.items.map(\.id)
            token = page.pagination.next
            pages += 1
        } while token != nil
        #expect(seen == created)
        #expect(pages == 3)  // 3 + 3 + 1, no empty trailing page

        // startDate inclusive, endDate exclusive.
        let window = try await store.listSenderPools(SenderPoolQuery(startDate: "2025-01-01T00:00:02Z", endDate: "2025-01-01T00:00:05Z"))
        #expect(window.items.map(\.id) == Array(created[2..<5]))
        #expect(window.pagination.next == nil)
        // Offsets and fractions: 01:00:02.5+01:00 is 00:00:02.5Z, so the first match is 00:00:03.
        let offset = try await store.listSenderPools(SenderPoolQuery(startDate: "2025-01-01T01:00:02.5+01:00"))
        #expect(offset.items.first?.id == created[3])
        // startDate >= endDate: empty page, not an error.
        let empty = try await store.listSenderPools(SenderPoolQuery(startDate: "2025-01-01T00:00:05Z", endDate: "2025-01-01T00:00:05Z"))
        #expect(empty.items.isEmpty)
        #expect(empty.pagination.next == nil)
        // Date bounds combine with the cursor.
        let first = try await store.listSenderPools(SenderPoolQuery(startDate: "2025-01-01T00:00:01Z", pageSize: 2))
        #expect(first.items.map(\.id) == Array(created[1..<3]))
        let second = try await store.listSenderPools(
            SenderPoolQuery(startDate: "2025-01-01T00:00:01Z", pageSize: 2, pageToken: first.pagination.next))
        #expect(second.items.map(\.id) == Array(created[3..<5]))
        // Re-fetching `self` gives the same page.
        let again = try await store.listSenderPools(
            SenderPoolQuery(startDate: "2025-01-01T00:00:01Z", pageSize: 2, pageToken: second.pagination.current))
        #expect(again.items == second.items)
        // operationId filter: no match is an empty page.
        #expect(try await store.listSenderPools(SenderPoolQuery(operationId: unknownOperationID)).items.isEmpty)
        #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(operationId: "x")) } == 400)
    }

    @Test func memberAndInventoryListsFilterByChannelAndStatus() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let inventory = try await store.allSenders()
        #expect(inventory.count == 23)
        #expect(inventory.map(\.id) == inventory.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.id))
        let sms = try await store.listSenders(SenderQuery(channel: .sms, pageSize: 1000)).items
        #expect(!sms.isEmpty && sms.allSatisfy { $0.channel == .sms })

        let ids = inventory.map(\.id)
        let poolID = try await createCompletedPool(store, clock: clock, senders: ids)
        var members: [Sender] = []
        var token: String?
        repeat {
            let page = try await store.listPoolSenders(
                poolID: poolID, SenderQuery(channel: .sms, status: .activated, pageSize: 4, pageToken: token))
            #expect(page.items.count <= 4)
            members += page.items
            token = page.pagination.next
        } while token != nil
        #expect(members.map(\.id) == inventory.filter { $0.channel == .sms && $0.status == .activated }.map(\.id))
        // Dates filter on the sender's own createdAt.
        let late = try await store.listPoolSenders(poolID: poolID, SenderQuery(startDate: "2024-01-01T00:00:10Z", pageSize: 1000))
        #expect(late.items.map(\.id) == inventory.filter { $0.createdAt >= "2024-01-01T00:00:10Z" }.map(\.id))
        #expect(await status { _ = try await store.listPoolSenders(poolID: poolID, SenderQuery(channel: "FAX")) } == 400)
        #expect(await status { _ = try await store.listSenders(SenderQuery(status: "ACTIVE")) } == 400)
    }

    @Test func malformedTokensAndPageSizesAreBadRequests() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        _ = try await createCompletedPool(store, clock: clock)
        let page = try await store.listSenderPools(SenderPoolQuery(pageSize: 1))
        #expect(page.pagination.current == "eyJ2IjoxfQ")  // {"v":1}
        for token in [
            "", "!!!", "bm90IGpzb24", forgedToken(#"{"v":2}"#),
            forgedToken(#"{"v":1,"extra":true}"#),
            forgedToken(#"{"v":1,"createdAt":"2025-01-01T00:00:00Z"}"#),
            // an id of the wrong kind for this list
            forgedToken(#"{"v":1,"createdAt":"2025-01-01T00:00:00Z","id":"comms_sender_01h9krwprkeee8fzqspvwy6nq1"}"#),
        ] {
            #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(pageToken: token)) } == 400, "token \(token)")
        }
        #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(pageToken: "eyJ2IjoxfQ==")) } == nil)
        for size in [0, 1001, -1] {
            #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(pageSize: size)) } == 400)
            #expect(await status { _ = try await store.listOperations(OperationQuery(pageSize: size)) } == 400)
        }
        #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(startDate: "2025-01-01")) } == 400)
        #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(endDate: "2025-13-01T00:00:00Z")) } == 400)
        #expect(await status { _ = try await store.listOperations(OperationQuery(status: "DONE")) } == 400)
    }

    @Test func tokensMustBeCanonicalClosedJSON() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let first = try await createCompletedPool(store, clock: clock, name: "a")
        let second = try await createCompletedPool(store, clock: clock, name: "b")
        // A token for the second pool, written by hand, works in any key order.
        let createdAt = try await store.fetchSenderPool(id: second).createdAt
        for json in [#"{"createdAt":"\#(createdAt)","id":"\#(second)","v":1}"#, #"{"v":1,"id":"\#(second)","createdAt":"\#(createdAt)"}"#] {
            #expect(try await store.listSenderPools(SenderPoolQuery(pageToken: forgedToken(json))).items.map(\.id) == [second])
        }
        let next = try #require(try await store.listSenderPools(SenderPoolQuery(pageSize: 1)).pagination.next)
        #expect(try await store.listSenderPools(SenderPoolQuery(pageToken: next)).items.map(\.id) == [second])
        #expect(try await store.listSenderPools(SenderPoolQuery(pageToken: forgedToken(#"{"v":1}"#))).items.map(\.id) == [first, second])
        for token in [
            forgedToken(#"{"v":1,"v":1}"#), forgedToken(#"{"v":1,"createdAt":null,"id":null}"#),
            forgedToken(#"{"v":"1"}"#), "eyJ2IjoxfR", "eyJ2IjoxfQ=", "eyJ2IjoxfQ+",
        ] {
            #expect(await status { _ = try await store.listSenderPools(SenderPoolQuery(pageToken: token)) } == 400, "token \(token)")
        }
    }

    @Test func operationsListFiltersByStatus() async throws {
        let clock = ManualClock()
        let store = try makeStore(clock: clock)
        let done = try await store.createSenderPool(CreateSenderPoolRequest(name: "done"))
        clock.advance(milliseconds: 500)
        let running = try await store.createSenderPool(CreateSenderPoolRequest(name: "running"))
        #expect(try await store.listOperations(OperationQuery(status: .processing)).items.map(\.id) == [running.operationId!])
        #expect(try await store.listOperations(OperationQuery(status: .completed)).items.map(\.id) == [done.operationId!])
        #expect(try await store.listOperations(OperationQuery()).items.map(\.id) == [done.operationId!, running.operationId!])
    }

    @Test func cancelRateWithAFixedSeedIsReproducibleAndAppliesNothing() async throws {
        func run() async throws -> [OperationStatus] {
            let clock = ManualClock()
            let store = try makeStore(configuration: EmulatorConfiguration(cancelRate: 0.5, randomSeed: 42), clock: clock)
            var statuses: [OperationStatus] = []
            for _ in 0..<16 {
                let accepted = try await store.createSenderPool(
                    CreateSenderPoolRequest(senders: [.init(senderId: s1), .init(senderId: strangerID)]))
                let poolID = try await store.listSenderPools(SenderPoolQuery(operationId: accepted.operationId)).items[0].id
                clock.advance(milliseconds: 200)
                let operation = try await store.fetchOperation(id: accepted.operationId!)
                let members = try await store.listPoolSenders(poolID: poolID, SenderQuery()).items.map(\.id)
                if operation.status == .canceled {
                    #expect(operation.stats == OperationStats(total: 2, queued: 0, created: 0, failed: 2))
                    #expect(members.isEmpty)
                } else {
                    #expect(operation.stats == OperationStats(total: 2, queued: 0, created: 1, failed: 1))
                    #expect(members == [s1])
                }
                statuses.append(operation.status)
            }
            return statuses
        }
        let first = try await run()
        #expect(first.contains(.canceled))
        #expect(first.contains(.completed))
        #expect(try await run() == first)
        // Never cancels at 0, always at 1.
        let never = try makeStore(configuration: EmulatorConfiguration(operationDelayMS: 0, cancelRate: 0))
        let op = try await never.createSenderPool(CreateSenderPoolRequest())
        #expect(try await never.fetchOperation(id: op.operationId!).status == .completed)
    }

    @Test func idsAreDeterministicMonotonicAndMatchThePatterns() async throws {
        func ids(seed: UInt64) async throws -> [String] {
            let clock = ManualClock()
            let store = try makeStore(configuration: EmulatorConfiguration(randomSeed: seed), clock: clock)
            var out: [String] = []
            for _ in 0..<5 {
                let accepted = try await store.createSenderPool(CreateSenderPoolRequest())
                // The pool's id is generated before its operation's.
                out.append(try await store.listSenderPools(SenderPoolQuery(operationId: accepted.operationId)).items[0].id)
                out.append(accepted.operationId!)
                clock.advance(milliseconds: 300)
            }
            return out
        }
        let a = try await ids(seed: 7)
        #expect(try await ids(seed: 7) == a)
        #expect(try await ids(seed: 8) != a)
        for id in a {
            let suffix = id.split(separator: "_").last!
            #expect(suffix.count == 26)
            #expect(EmulatorIDKind.operation.matches(id) || EmulatorIDKind.senderPool.matches(id))
        }
        let suffixes = a.map { $0.split(separator: "_").last! }
        #expect(suffixes == suffixes.sorted())
    }

    @Test func resetRestoresTheSeededState() async throws {
        let clock = ManualClock()
        let seed = EmulatorSeed(
            senders: knownSenders, pools: [EmulatorSeed.Pool(name: "Legacy", tags: ["team": "ops"], senders: [s3, s1])])
        let store = try makeStore(seed: seed, clock: clock)
        let before = await store.state()
        #expect(before.pools.count == 1)
        #expect(before.pools[0].senders == [s1, s3])
        let legacy = before.pools[0].id
        _ = try await store.removeSender(poolID: legacy, senderID: s1)
        _ = try await createCompletedPool(store, clock: clock)
        #expect(await store.state().pools.count == 2)
        await store.reset()
        #expect(await store.state() == before)
        #expect(try await store.listOperations(OperationQuery()).items.isEmpty)
    }

    @Test func theStandardSeedHasTwentySenders() async throws {
        let store = try EmulatorStore(clock: ManualClock().clock)
        #expect(store.summary.senders == 20)
        #expect(store.summary.pools == 0)
        #expect(store.summary.sampleSenderIDs.count == 3)
        let page = try await store.listSenders(SenderQuery(pageSize: 1000))
        #expect(page.items.count == 20)
        #expect(page.items.allSatisfy { EmulatorIDKind.sender.matches($0.id) })
        #expect(Set(page.items.map(\.channel)) == Set(Channel.documented))
        // Synthetic senders do not depend on the random seed.
        let other = try EmulatorStore(configuration: EmulatorConfiguration(randomSeed: 99), clock: ManualClock().clock)
        #expect(try await other.listSenders(SenderQuery(pageSize: 1000)).items == page.items)
    }
}

extension EmulatorStore {
    func allSenders() async throws -> [Sender] {
        var out: [Sender] = []
        var token: String?
        repeat {
            let page = try listSenders(SenderQuery(pageSize: 5, pageToken: token))
            out += page.items
            token = page.pagination.next
        } while token != nil
        return out
    }
}

/// A page token as a client could forge one: unpadded base64url of `json`.
func forgedToken(_ json: String) -> String {
    Data(json.utf8).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}

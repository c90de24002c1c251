import Foundation
import Hummingbird
import HummingbirdTesting
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

/// `paging=offset`, `max-page-size` and `--background-writes`: listings
/// that are not snapshots while another user's automation writes.
@Suite("Account churn")
struct ChurnTests {
    static func configuration(_ items: String..., background: Double = 0, seed: UInt64 = 0) throws -> EmulatorConfiguration {
        EmulatorConfiguration(
            accountSID: "AC123", authToken: "secret", randomSeed: seed, backgroundWrites: background,
            behaviors: try EmulatorBehaviors(parsing: items))
    }

    /// The docs' token shape: standard base64 of `{"page":N}`.
    static func offsetToken(_ page: Int) -> String { Data(#"{"page":\#(page)}"#.utf8).base64EncodedString() }

    static func page(_ store: EmulatorStore, _ token: String? = nil, pageSize: Int? = nil) async throws -> Page<SenderPool> {
        try await store.listSenderPools(SenderPoolQuery(pageSize: pageSize, pageToken: token))
    }

    @Test func offsetPagesRepeatAnItemAfterACreateAndSkipOneAfterADelete() async throws {
        let clock = ManualClock()
        let store = try makeStore(configuration: try Self.configuration("paging=offset", "max-page-size=3"), clock: clock)
        var ids: [String] = []
        for i in 0..<6 { ids.append(try await createCompletedPool(store, clock: clock, name: "p\(i)")) }

        // Newest first; pageSize 1000 is capped at 3; the docs' own token for page 1.
        let first = try await Self.page(store, pageSize: 1000)
        #expect(first.items.map(\.id) == [ids[5], ids[4], ids[3]])
        #expect(first.pagination.next == "eyJwYWdlIjoxfQ==")
        #expect(first.pagination.current == Self.offsetToken(0))

        // A create between the requests lands before the cursor: page 1 repeats p3.
        let late = try await createCompletedPool(store, clock: clock, name: "late")
        let second = try await Self.page(store, first.pagination.next, pageSize: 1000)
        #expect(second.items.map(\.id) == [ids[3], ids[2], ids[1]])
        #expect(second.pagination.current == Self.offsetToken(1))
        #expect(second.pagination.next == Self.offsetToken(2))
        let third = try await Self.page(store, second.pagination.next)
        #expect(third.items.map(\.id) == [ids[0]])
        #expect(third.pagination.next == nil)

        // A delete before the cursor shifts the rest back: p3 is skipped.
        let again = try await Self.page(store)
        #expect(again.items.map(\.id) == [late, ids[5], ids[4]])
        _ = try await store.deleteSenderPool(id: ids[5])
        let then = try await Self.page(store, again.pagination.next)
        #expect(then.items.map(\.id) == [ids[2], ids[1], ids[0]])
        #expect(then.pagination.next == nil)
        #expect(!(again.items + then.items).map(\.id).contains(ids[3]))

        // The page is read from the list as it is at the request; beyond the end, empty.
        #expect(try await Self.page(store, Self.offsetToken(9)).items.isEmpty)
        // Unpadded input is accepted; keyset tokens, negative pages and extra fields are not.
        #expect(try await Self.page(store, "eyJwYWdlIjoxfQ").items.map(\.id) == [ids[2], ids[1], ids[0]])
        for bad in [
            "eyJ2IjoxfQ", Self.offsetToken(-1), Data(#"{"page":1,"v":1}"#.utf8).base64EncodedString(),
            Data(#"{"page":"1"}"#.utf8).base64EncodedString(), "",
        ] {
            #expect(await status { _ = try await Self.page(store, bad) } == 400, "\(bad)")
        }

        // Date bounds still apply, then the offset: pools of 00:00:02..00:00:04, newest first.
        let window = try await store.listSenderPools(
            SenderPoolQuery(startDate: "2025-01-01T00:00:02Z", endDate: "2025-01-01T00:00:05Z", pageSize: 2))
        #expect(window.items.map(\.id) == [ids[4], ids[3]])
        let rest = try await store.listSenderPools(
            SenderPoolQuery(
                startDate: "2025-01-01T00:00:02Z", endDate: "2025-01-01T00:00:05Z", pageSize: 2, pageToken: window.pagination.next))
        #expect(rest.items.map(\.id) == [ids[2]])
        // So does operationId.
        let operationID = try #require(try await store.listOperations(OperationQuery(pageSize: 1)).items.first?.id)
        #expect(try await store.listSenderPools(SenderPoolQuery(operationId: operationID)).items.count == 1)
        // Operations and senders are offset-paged the same way, newest first.
        let operations = try await store.listOperations(OperationQuery())
        #expect(operations.items.count == 3)
        #expect(operations.items.map(\.createdAt) == operations.items.map(\.createdAt).sorted(by: >))
        #expect(operations.pagination.next == Self.offsetToken(1))
        let senders = try await store.listSenders(SenderQuery(pageSize: 2))
        #expect(senders.items.count == 2)
        #expect(senders.pagination.next == Self.offsetToken(1))
    }

    @Test func maxPageSizeCapsEveryListWhateverPageSizeAsks() async throws {
        let clock = ManualClock()
        let store = try makeStore(configuration: try Self.configuration("max-page-size=2"), clock: clock)
        var ids: [String] = []
        for i in 0..<5 { ids.append(try await createCompletedPool(store, clock: clock, name: "p\(i)", senders: [s1, s2, s3])) }
        var seen: [String] = []
        var sizes: [Int] = []
        var token: String?
        repeat {
            let page = try await Self.page(store, token, pageSize: 1000)
            seen += page.items.map(\.id)
            sizes.append(page.items.count)
            token = page.pagination.next
        } while token != nil
        #expect(seen == ids)
        #expect(sizes == [2, 2, 1])
        // A smaller pageSize is still honoured, and the default 50 is capped too.
        #expect(try await Self.page(store, pageSize: 1).items.count == 1)
        #expect(try await Self.page(store).items.count == 2)
        #expect(try await store.listOperations(OperationQuery(pageSize: 1000)).items.count == 2)
        #expect(try await store.listSenders(SenderQuery(pageSize: 1000)).items.count == 2)
        let members = try await store.listPoolSenders(poolID: ids[0], SenderQuery(pageSize: 1000))
        #expect(members.items.count == 2)
        #expect(members.pagination.next != nil)
        // Out of range pageSize is still a 400.
        #expect(await status { _ = try await Self.page(store, pageSize: 1001) } == 400)
    }

    @Test func backgroundWritesChurnTheirOwnPoolsAndNeverTouchAnyOther() async throws {
        let mine = EmulatorSeed.Pool(name: "mine", tags: ["poolctl": "v1~web~a"], senders: [s1])
        let other = EmulatorSeed.Pool(name: "other", tags: ["team": "ops"], senders: [s2])
        let seed = EmulatorSeed(senders: knownSenders, generatedSenders: 20, pools: [mine, other])
        let configuration = try Self.configuration(background: 1, seed: 42)

        /// 400 single writes, 250 ms apart (operations take 200 ms); the
        /// writer's population after each.
        func run(_ store: EmulatorStore, _ clock: ManualClock, claim: String) async throws -> [Int] {
            // A client claims one of the writer's pools: it is left alone from then on.
            _ = try await store.updateSenderPool(id: claim, UpdateSenderPoolRequest(tags: ["poolctl": "v1~web~b"]))
            var sizes: [Int] = []
            for _ in 0..<400 {
                await store.performBackgroundWrites(1)
                clock.advance(milliseconds: 250)
                sizes.append(await store.backgroundPoolIDs().count)
            }
            return sizes
        }

        let clock = ManualClock()
        let store = try makeStore(seed: seed, configuration: configuration, clock: clock)
        let initial = await store.backgroundPoolIDs()
        #expect(initial.count == EmulatorBackground.initialPopulation)
        let before = await store.state().pools
        let untouched = before.filter { !initial.contains($0.id) }
        #expect(untouched.map(\.name).sorted() == ["mine", "other"])
        let claimed = initial[0]
        let sizes = try await run(store, clock, claim: claimed)

        let writes = await store.writes().writes
        let background = writes.filter { $0.actor == .background }
        #expect(background.count == 400)
        let creates = background.filter { $0.method == "POST" }
        let deletes = background.filter { $0.method == "DELETE" }
        #expect(creates.count > 100 && deletes.count > 100, "\(creates.count) creates, \(deletes.count) deletes")
        #expect(creates.count + deletes.count == background.count)
        // Only its own pools: the ones it started with or created, never the claimed one.
        let own = Set(initial).union(creates.compactMap(\.poolId))
        for write in background {
            let poolID = try #require(write.poolId)
            #expect(own.contains(poolID))
            #expect(poolID != claimed)
            #expect(write.tagsBefore == nil || write.tagsBefore == ["team": "background"])
            #expect(write.userAgent == nil)
            #expect(write.status == 202)
        }
        for create in creates {
            #expect(create.tagsAfter == ["team": "background"])
            #expect(create.endpoint == "POST /v1/SenderPools")
        }
        for delete in deletes { #expect(delete.endpoint == "DELETE /v1/SenderPools/{senderPoolId}") }
        // Its population stays small and steady.
        #expect(sizes.allSatisfy { (EmulatorBackground.low - 1)...EmulatorBackground.cap ~= $0 }, "\(sizes)")
        #expect(sizes.suffix(300).allSatisfy { EmulatorBackground.low...EmulatorBackground.high ~= $0 }, "\(sizes)")

        // The other pools are exactly as they were; the claimed one still exists.
        let after = await store.state().pools
        for pool in untouched { #expect(after.contains(pool)) }
        #expect(after.first { $0.id == claimed }?.tags == ["poolctl": "v1~web~b"])
        // New pools are named bg-NNNN, with no senders and only the background tag.
        for pool in after where own.contains(pool.id) && pool.id != claimed {
            #expect(pool.name.hasPrefix("bg-") && pool.name.count == 7)
            #expect(pool.tags == ["team": "background"])
            #expect(pool.senders.isEmpty)
        }

        // Reproducible from --random-seed, and back to the start on reset.
        let clock2 = ManualClock()
        let store2 = try makeStore(seed: seed, configuration: configuration, clock: clock2)
        #expect(await store2.backgroundPoolIDs() == initial)
        _ = try await run(store2, clock2, claim: claimed)
        let replay = await store2.writes().writes
        #expect(replay == writes)
        await store2.reset()
        #expect(await store2.backgroundPoolIDs() == initial)
        #expect(await store2.writes().writes.isEmpty)
    }

    @Test func backgroundWritesAverageTheirRate() async throws {
        for (rate, range) in [(0.5, 400...600), (3.0, 2_700...3_300)] {
            let clock = ManualClock()
            let store = try makeStore(configuration: try Self.configuration(background: rate, seed: 7), clock: clock)
            for _ in 0..<1000 {
                await store.backgroundWrites()
                clock.advance(milliseconds: 300)
            }
            let count = await store.writes().writes.count
            #expect(range ~= count, "rate \(rate): \(count) writes in 1000 requests")
        }
        // Rate 0 (the default) writes nothing and seeds no foreign pools.
        let store = try makeStore()
        await store.backgroundWrites()
        #expect(await store.writes().writes.isEmpty)
        #expect(await store.state().pools.isEmpty)
    }

    /// Through the HTTP front, as a client pages: the writer acts before
    /// each request, so full walks both repeat and skip pools that exist
    /// throughout.
    @Test func offsetPagingUnderBackgroundWritesRepeatsAndSkipsOverHTTP() async throws {
        let stack = (0..<30).map { EmulatorSeed.Pool(name: "stack-\($0)", tags: ["poolctl": "v1~web~k\($0)"]) }
        let seed = EmulatorSeed(senders: knownSenders, generatedSenders: 20, pools: stack)
        let configuration = try Self.configuration("paging=offset", "max-page-size=5", background: 1, seed: 19)
        let clock = ManualClock()
        try await withEmulator(configuration, seed: seed, clock: clock) { client, store in
            let stackIDs = Set(await store.state().pools.filter { $0.name.hasPrefix("stack-") }.map(\.id))
            #expect(stackIDs.count == 30)
            var repeats = 0
            var skips = 0
            for _ in 0..<10 {
                var seen: [String] = []
                var token: String?
                repeat {
                    var uri = "/v1/SenderPools?pageSize=1000"
                    if let token { uri += "&pageToken=" + token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
                    let response = try await client.execute(uri: uri, method: .get, headers: authHeaders)
                    #expect(response.status == .ok)
                    let pools = try #require(response.json["senderPools"] as? [[String: Any]])
                    #expect(pools.count <= 5)
                    seen += pools.compactMap { $0["id"] as? String }
                    token = (response.json["pagination"] as? [String: Any])?["next"] as? String
                    clock.advance(milliseconds: 100)
                } while token != nil
                let stackSeen = seen.filter(stackIDs.contains)
                repeats += stackSeen.count - Set(stackSeen).count
                skips += stackIDs.subtracting(stackSeen).count
            }
            #expect(repeats > 0 && skips > 0, "\(repeats) repeats, \(skips) skips")
            // The stack's pools are untouched.
            #expect(Set(await store.state().pools.filter { $0.name.hasPrefix("stack-") }.map(\.id)) == stackIDs)
            let log = await store.writes().writes
            #expect(!log.isEmpty && log.allSatisfy { $0.actor == .background && !stackIDs.contains($0.poolId ?? "") })
        }
    }
}

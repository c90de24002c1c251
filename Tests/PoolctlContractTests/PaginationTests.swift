import PoolctlAPI
import PoolctlAPIHTTP
import PoolctlEmulator
import Testing

/// Requests the client logged (`→ GET /path?query`) for a path.
func sentTargets(_ log: LogLines, path: String) -> [String] {
    log.lines.compactMap { line in
        guard line.hasPrefix("→ GET ") else { return nil }
        let target = String(line.dropFirst("→ GET ".count))
        let bare = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        return bare == path ? target : nil
    }
}

@Suite("Pagination and filters", .timeLimit(.minutes(1)))
struct PaginationTests {
    static let manySenders = EmulatorSeed.syntheticSenders(count: 2600)

    /// 2,600 senders; pool "big" holds the first 2,500, pool "even" exactly 2,000.
    static let bigSeed = EmulatorSeed(
        generatedSenders: 2600,
        pools: [
            EmulatorSeed.Pool(name: "big", tags: ["size": "2500"], senders: manySenders.prefix(2500).map(\.id)),
            EmulatorSeed.Pool(name: "even", senders: manySenders.suffix(2000).map(\.id)),
        ])

    @Test func twoThousandFiveHundredMembersInThreePages() async throws {
        try await withContract(seed: Self.bigSeed) { c in
            let pools = try await c.api.listSenderPools(SenderPoolQuery()).items
            #expect(pools.map(\.name) == ["big", "even"])
            let big = try #require(pools.first).id
            let expected = Array(Self.manySenders.prefix(2500))

            // Paginated: pageSize 1000, following `next` until it is null.
            let members = try await c.api.allPoolSenders(poolID: big).collect()
            #expect(members.count == 2500)
            #expect(members == expected, "ascending by createdAt, then id")
            #expect(Set(members.map(\.id)).count == 2500, "no duplicates across pages")
            #expect(c.counter.calls[.listPoolSenders] == 3)
            let targets = sentTargets(c.log, path: "/v1/SenderPools/\(big)/Senders")
            #expect(targets.count == 3)
            #expect(targets.first == "/v1/SenderPools/\(big)/Senders?pageSize=1000")
            #expect(targets.dropFirst().allSatisfy { $0.contains("pageToken=") && $0.hasSuffix("&pageSize=1000") })

            // The same walk by hand: 1000, 1000, 500; `self` is the token that was sent.
            let first = try await c.api.listPoolSenders(poolID: big, SenderQuery(pageSize: 1000))
            let firstNext: String = try #require(first.pagination.next)
            let second = try await c.api.listPoolSenders(poolID: big, SenderQuery(pageSize: 1000, pageToken: firstNext))
            let secondNext: String = try #require(second.pagination.next)
            let third = try await c.api.listPoolSenders(poolID: big, SenderQuery(pageSize: 1000, pageToken: secondNext))
            #expect([first, second, third].map(\.items.count) == [1000, 1000, 500])
            #expect(second.pagination.current == first.pagination.next)
            #expect(third.pagination.current == second.pagination.next)
            #expect(third.pagination.next == nil)
            #expect(first.items + second.items + third.items == expected)
            // Re-reading a page with its own `self` gives the same page, the first one included.
            #expect(
                try await c.api.listPoolSenders(poolID: big, SenderQuery(pageSize: 1000, pageToken: first.pagination.current)).items
                    == first.items)
            #expect(
                try await c.api.listPoolSenders(poolID: big, SenderQuery(pageSize: 1000, pageToken: second.pagination.current)).items
                    == second.items)

            // Exactly 2,000 members: two full pages and no empty trailing page.
            let even = try #require(pools.last).id
            let before = c.counter.calls[.listPoolSenders] ?? 0
            let evenMembers = try await c.api.allPoolSenders(poolID: even).collect()
            #expect(evenMembers == Array(Self.manySenders.suffix(2000)))
            #expect(c.counter.calls[.listPoolSenders] == before + 2)
        }
    }

    @Test func filtersAreRepeatedOnEveryPage() async throws {
        try await withContract(seed: Self.bigSeed) { c in
            let big = try #require(try await c.api.listSenderPools(SenderPoolQuery()).items.first).id
            let expected = Self.manySenders.prefix(2500).filter { $0.channel == .sms && $0.status == .activated }
            #expect(expected.count > 1000 && expected.count < 2000)

            let members = try await c.api.allPoolSenders(poolID: big, SenderQuery(channel: .sms, status: .activated)).collect()
            #expect(members == expected)
            let targets = sentTargets(c.log, path: "/v1/SenderPools/\(big)/Senders")
            #expect(targets.count == 2)
            #expect(targets.allSatisfy { $0.contains("channel=SMS&status=ACTIVATED") && $0.hasSuffix("pageSize=1000") }, "\(targets)")

            // Date filters on pool members use the Sender's own createdAt,
            // and also travel with every page (here 10 per page).
            let from = Self.manySenders[100].createdAt
            let to = Self.manySenders[135].createdAt
            let dated = try await c.api.allPoolSenders(poolID: big, SenderQuery(startDate: from, endDate: to, pageSize: 10)).collect()
            #expect(dated == Array(Self.manySenders[100..<135]), "startDate inclusive, endDate exclusive")
            let datedTargets = sentTargets(c.log, path: "/v1/SenderPools/\(big)/Senders").dropFirst(2)
            #expect(datedTargets.count == 4)
            #expect(datedTargets.allSatisfy { $0.contains("startDate=") && $0.contains("endDate=") && $0.hasSuffix("pageSize=10") })

            // The inventory: 2,600 senders, SMS only, across pages.
            let sms = try await c.api.allSenders(SenderQuery(channel: .sms)).collect()
            #expect(sms == Self.manySenders.filter { $0.channel == .sms })
            #expect(sentTargets(c.log, path: "/v1/Senders").allSatisfy { $0.contains("channel=SMS") })
            #expect(c.counter.calls[.listSenders] == 2)
        }
    }

    @Test func twoThousandOneHundredPools() async throws {
        let seed = EmulatorSeed(generatedSenders: 1, pools: (0..<2100).map { EmulatorSeed.Pool(name: "pool-\($0)", tags: ["n": "\($0)"]) })
        try await withContract(seed: seed) { c in
            let pools = try await c.api.allSenderPools().collect()
            #expect(pools.count == 2100)
            #expect(pools.map(\.name) == (0..<2100).map { "pool-\($0)" })
            #expect(pools.allSatisfy { $0.createdAt == clockStart && $0.updatedAt == clockStart })
            // Same createdAt everywhere: ties are broken by id.
            #expect(zip(pools, pools.dropFirst()).allSatisfy { $0.id < $1.id })
            #expect(c.counter.calls == [.listSenderPools: 3])
            #expect(sentTargets(c.log, path: "/v1/SenderPools").allSatisfy { $0.hasSuffix("pageSize=1000") })

            // Small pages: 2100 / 700 = 3 pages exactly, and no empty fourth one.
            let paged = try await c.api.allSenderPools(SenderPoolQuery(pageSize: 700)).collect()
            #expect(paged == pools)
            #expect(c.counter.calls == [.listSenderPools: 6])
            // Default page size 50.
            #expect(try await c.api.listSenderPools(SenderPoolQuery()).items == Array(pools.prefix(50)))
        }
    }

    @Test func tokensAreKeysetCursors() async throws {
        try await withContract { c in
            var ids: [String] = []
            for n in 0..<5 {
                ids.append(try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "p\(n)"))))
                c.advance(seconds: 1)
            }
            let first = try await c.api.listSenderPools(SenderPoolQuery(pageSize: 2))
            #expect(first.items.map(\.id) == Array(ids[0..<2]))
            let next = try #require(first.pagination.next)
            // The token names the first item of the next page (inclusive): removing
            // that item, or one before it, skips nothing.
            _ = try await c.api.deleteSenderPool(id: ids[2])
            _ = try await c.api.deleteSenderPool(id: ids[0])
            let second = try await c.api.listSenderPools(SenderPoolQuery(pageSize: 2, pageToken: next))
            #expect(second.items.map(\.id) == [ids[3], ids[4]])
            #expect(second.pagination.next == nil)
        }
    }

    @Test func poolDateBoundsStartInclusiveEndExclusive() async throws {
        try await withContract { c in
            // One pool per second, at t = 10 ... 14 (seconds after the clock's start).
            c.advance(seconds: 10)
            var ids: [String] = []
            for n in 0..<5 {
                ids.append(try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "t\(10 + n)"))))
                c.advance(seconds: 1)
            }
            func names(_ query: SenderPoolQuery) async throws -> [String] {
                try await c.api.listSenderPools(query).items.map(\.name)
            }
            #expect(try await names(SenderPoolQuery(startDate: stamp(afterStart: 11), endDate: stamp(afterStart: 13))) == ["t11", "t12"])
            #expect(try await names(SenderPoolQuery(startDate: stamp(afterStart: 14))) == ["t14"])
            #expect(try await names(SenderPoolQuery(endDate: stamp(afterStart: 11))) == ["t10"])
            // Offsets (the client must send `+` as %2B), lowercase t/z and fractions.
            #expect(
                try await names(SenderPoolQuery(startDate: "2025-01-01T01:00:11+01:00", endDate: "2024-12-31T19:00:13-05:00")) == [
                    "t11", "t12",
                ])
            #expect(try await names(SenderPoolQuery(startDate: "2025-01-01t00:00:11z")) == ["t11", "t12", "t13", "t14"])
            #expect(
                try await names(SenderPoolQuery(startDate: "2025-01-01T00:00:10.5Z", endDate: "2025-01-01T00:00:12.5Z")) == ["t11", "t12"])
            #expect(c.log.lines.contains { $0.contains("startDate=2025-01-01T01%3A00%3A11%2B01%3A00") })
            // startDate >= endDate: an empty page, not an error.
            let empty = try await c.api.listSenderPools(SenderPoolQuery(startDate: stamp(afterStart: 12), endDate: stamp(afterStart: 12)))
            #expect(empty.items.isEmpty && empty.pagination.next == nil)
            #expect(
                try await c.api.listSenderPools(SenderPoolQuery(startDate: stamp(afterStart: 13), endDate: stamp(afterStart: 11))).items
                    .isEmpty)

            // Filters repeated on every page, 1 item per page.
            let filtered = try await c.api.allSenderPools(
                SenderPoolQuery(startDate: stamp(afterStart: 11), endDate: stamp(afterStart: 14), pageSize: 1)
            ).collect()
            #expect(filtered.map(\.name) == ["t11", "t12", "t13"])
            let pageTargets = sentTargets(c.log, path: "/v1/SenderPools").suffix(3)
            #expect(pageTargets.allSatisfy { $0.contains("startDate=") && $0.contains("endDate=") && $0.hasSuffix("pageSize=1") })
        }
    }

    @Test func operationDateBoundsAndStatusFilterAcrossPages() async throws {
        try await withContract { c in
            // Operations at t = 0 (create), then one Add Senders per second at t = 1 ... 4.
            let id = try await c.poolID(createdBy: c.api.createSenderPool(CreateSenderPoolRequest(name: "ops")))
            var operationIDs: [String] = []
            for sender in [s1, s2, s3, strangerID] {
                c.advance(seconds: 1)
                operationIDs.append(try #require(try await c.api.addSenders(poolID: id, senderIDs: [sender]).operationId))
            }
            // The last one is still PROCESSING.
            let window = try await c.api.listOperations(OperationQuery(startDate: stamp(afterStart: 1), endDate: stamp(afterStart: 3)))
            #expect(window.items.map(\.id) == Array(operationIDs[0..<2]))
            #expect(
                window.items.allSatisfy {
                    $0.status == .completed && $0.stats == OperationStats(total: 1, queued: 0, created: 1, failed: 0)
                })
            let completed = try await c.api.allOperations(OperationQuery(status: .completed, startDate: stamp(afterStart: 1), pageSize: 1))
                .collect()
            #expect(completed.map(\.id) == Array(operationIDs[0..<3]))
            #expect(
                sentTargets(c.log, path: "/v1/SenderPools/Operations").suffix(3).allSatisfy {
                    $0.contains("startDate=") && $0.contains("status=COMPLETED")
                })
            let processing = try await c.api.listOperations(OperationQuery(status: .processing))
            #expect(processing.items.map(\.id) == [operationIDs[3]])
            c.advance(seconds: 1)
            let last = try await c.api.fetchOperation(id: operationIDs[3])
            #expect(last.stats == OperationStats(total: 1, queued: 0, created: 0, failed: 1), "a stranger fails")
            let all = try await c.api.allOperations().collect()
            #expect(all.count == 5)
            #expect(all.map(\.createdAt) == (0...4).map { stamp(afterStart: $0) })
            all.forEach { expectConsistent($0) }
        }
    }
}

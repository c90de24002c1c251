import Foundation
import Hummingbird
import HummingbirdTesting
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

/// `filters`, `timestamps`, `date-header` and `noop-patch`: other answers
/// to questions the docs leave open.
@Suite("Other answers")
struct AnswerTests {
    static func configuration(_ items: String...) throws -> EmulatorConfiguration {
        EmulatorConfiguration(accountSID: "AC123", authToken: "secret", behaviors: try EmulatorBehaviors(parsing: items))
    }

    @Test func theNewNamesParseAndBadValuesAreRefused() throws {
        let parsed = try EmulatorBehaviors(parsing: [
            "paging=offset", "max-page-size=7", "filters=ignored", "timestamps=fractional", "date-header=absent", "noop-patch=unchanged",
        ])
        #expect(parsed.paging == .offset && parsed.maxPageSize == 7 && parsed.filters == .ignored)
        #expect(parsed.timestamps == .fractional && parsed.dateHeader == .absent && parsed.noopPatch == .unchanged)
        // The defaults are today's answers.
        let defaults = EmulatorBehaviors()
        #expect(defaults.paging == .keyset && defaults.maxPageSize == 1000 && defaults.filters == .honoured)
        #expect(defaults.timestamps == .whole && defaults.dateHeader == .present && defaults.noopPatch == .bump)
        for (item, valid) in [
            ("paging=cursor", "keyset|offset"), ("max-page-size=0", "1..1000"), ("max-page-size=1001", "1..1000"),
            ("filters=honored", "honoured|ignored"), ("timestamps=micro", "whole|fractional"),
            ("date-header=off", "present|absent"), ("noop-patch=skip", "bump|unchanged"),
        ] {
            let message = Self.message([item])
            #expect(message.hasSuffix("valid: \(valid)"), "\(item): \(message)")
        }
        // Help lists every name.
        let names = EmulatorBehaviors.names.map(\.name)
        for name in ["paging", "max-page-size", "filters", "timestamps", "date-header", "noop-patch"] { #expect(names.contains(name)) }

        // --background-writes: 0..100.
        #expect(EmulatorConfiguration(backgroundWrites: 2.5).problems().isEmpty)
        for rate in [-1, 101, .nan, .infinity] {
            #expect(EmulatorConfiguration(backgroundWrites: rate).problems() == ["--background-writes must be between 0 and 100"])
        }
        var capped = EmulatorConfiguration()
        capped.behaviors.maxPageSize = 0
        #expect(capped.problems() == ["--behavior max-page-size must be between 1 and 1000"])
    }

    static func message(_ items: [String]) -> String {
        do {
            _ = try EmulatorBehaviors(parsing: items)
            return ""
        } catch {
            return error.message
        }
    }

    @Test func ignoredFiltersReturnFullLists() async throws {
        let clock = ManualClock()
        let store = try makeStore(configuration: try Self.configuration("filters=ignored"), clock: clock)
        // Each pool found by its name: the operationId filter is what is not applied.
        var ids: [String] = []
        for i in 0..<3 {
            _ = try await store.createSenderPool(CreateSenderPoolRequest(name: "p\(i)"))
            clock.advance(seconds: 1)
            ids.append(try #require(await store.state().pools.first { $0.name == "p\(i)" }?.id))
        }
        let add = try #require(try await store.addSenders(poolID: ids[0], senderIDs: [s1]).operationId)
        clock.advance(milliseconds: 200)

        // operationId, startDate and endDate change nothing, and are not even checked.
        let byOperation = try await store.listSenderPools(SenderPoolQuery(operationId: add))
        #expect(byOperation.items.map(\.id) == ids)
        let future = try await store.listSenderPools(SenderPoolQuery(startDate: "2030-01-01T00:00:00Z", endDate: "2030-01-02T00:00:00Z"))
        #expect(future.items.map(\.id) == ids)
        #expect(try await store.listSenderPools(SenderPoolQuery(startDate: "yesterday", operationId: "x")).items.map(\.id) == ids)
        let operations = try await store.listOperations(OperationQuery(startDate: "2030-01-01T00:00:00Z", endDate: "2020-01-01T00:00:00Z"))
        #expect(operations.items.count == 4)
        // Paging and the status filter still work.
        #expect(try await store.listSenderPools(SenderPoolQuery(operationId: add, pageSize: 2)).pagination.next != nil)
        #expect(try await store.listOperations(OperationQuery(status: .processing)).items.isEmpty)
        // Member lists keep their date bounds.
        #expect(try await store.listPoolSenders(poolID: ids[0], SenderQuery(startDate: "2030-01-01T00:00:00Z")).items.isEmpty)
    }

    static func isFractional(_ stamp: String) -> Bool {
        stamp.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00/#) != nil
    }

    @Test func fractionalTimestampsCarryMicrosecondsAndUTCOffsetEverywhere() async throws {
        // 2025-01-01T00:00:00.123Z
        let clock = ManualClock(milliseconds: 1_735_689_600_123)
        let store = try makeStore(configuration: try Self.configuration("timestamps=fractional"), clock: clock)
        let firstOp = try #require(
            try await store.createSenderPool(CreateSenderPoolRequest(name: "a", senders: [.init(senderId: s1)])).operationId)
        // Two writes in one millisecond get their own microseconds.
        let secondOp = try #require(try await store.createSenderPool(CreateSenderPoolRequest(name: "b")).operationId)
        let first = try #require(try await store.listSenderPools(SenderPoolQuery(operationId: firstOp)).items.first)
        let second = try #require(try await store.listSenderPools(SenderPoolQuery(operationId: secondOp)).items.first)
        #expect(first.createdAt == "2025-01-01T00:00:00.123000+00:00")
        #expect(first.updatedAt == first.createdAt)
        #expect(second.createdAt == "2025-01-01T00:00:00.123002+00:00")
        #expect(try await store.fetchOperation(id: firstOp).createdAt == "2025-01-01T00:00:00.123001+00:00")

        clock.advance(milliseconds: 1_234)
        let operation = try await store.fetchOperation(id: firstOp)
        #expect(operation.status == .completed)
        #expect(operation.updatedAt == "2025-01-01T00:00:00.323000+00:00")  // its deadline
        _ = try await store.updateSenderPool(id: first.id, UpdateSenderPoolRequest(name: "a2"))
        #expect(try await store.fetchSenderPool(id: first.id).updatedAt == "2025-01-01T00:00:01.357000+00:00")

        // Every timestamp of every list has the shape, and is RFC 3339 (Foundation agrees).
        var stamps: [String] = []
        for pool in try await store.listSenderPools(SenderPoolQuery()).items { stamps += [pool.createdAt, pool.updatedAt] }
        for operation in try await store.listOperations(OperationQuery()).items { stamps += [operation.createdAt, operation.updatedAt] }
        for sender in try await store.allSenders() { stamps += [sender.createdAt, sender.updatedAt] }
        for sender in try await store.listPoolSenders(poolID: first.id, SenderQuery()).items {
            stamps += [sender.createdAt, sender.updatedAt]
        }
        #expect(stamps.count > 50)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for stamp in stamps {
            #expect(Self.isFractional(stamp), "\(stamp)")
            #expect(formatter.date(from: stamp) != nil, "\(stamp)")
        }
        #expect(knownSenders[0].createdAt == "2024-01-01T00:00:00Z")
        #expect(try await store.allSenders().first { $0.id == s1 }?.createdAt == "2024-01-01T00:00:00.000000+00:00")

        // Date bounds compare to the microsecond: startDate inclusive, endDate exclusive.
        let from = try await store.listSenderPools(SenderPoolQuery(startDate: first.createdAt)).items.map(\.id)
        #expect(from == [first.id, second.id])
        let after = try await store.listSenderPools(SenderPoolQuery(startDate: "2025-01-01T00:00:00.123001+00:00")).items.map(\.id)
        #expect(after == [second.id])
        let before = try await store.listSenderPools(SenderPoolQuery(endDate: "2025-01-01T00:00:00.1230015Z")).items.map(\.id)
        #expect(before == [first.id])
        // Keyset tokens carry the microseconds, so one page per pool walks both.
        let page = try await store.listSenderPools(SenderPoolQuery(pageSize: 1))
        #expect(page.items.map(\.id) == [first.id])
        let next = try await store.listSenderPools(SenderPoolQuery(pageSize: 1, pageToken: page.pagination.next))
        #expect(next.items.map(\.id) == [second.id])
        #expect(next.pagination.next == nil)
    }

    @Test func fractionalTimestampsOnTheWire() async throws {
        let clock = ManualClock(milliseconds: 1_735_689_600_987)
        try await withEmulator(try Self.configuration("timestamps=fractional"), clock: clock) { client, _ in
            let created = try await client.execute(
                uri: "/v1/SenderPools", method: .post, headers: jsonHeaders, body: body(#"{"name":"x","senders":[{"senderId":"\#(s1)"}]}"#))
            #expect(created.status == .accepted)
            clock.advance(milliseconds: 500)
            var texts: [String] = []
            for uri in ["/v1/SenderPools", "/v1/SenderPools/Operations", "/v1/Senders?pageSize=3"] {
                texts.append(try await client.execute(uri: uri, method: .get, headers: authHeaders).text)
            }
            let all = texts.joined()
            let stamps = all.matches(of: #/"(createdAt|updatedAt)":"([^"]*)"/#).map { String($0.output.2) }
            #expect(stamps.count == 2 + 2 + 6)
            for stamp in stamps { #expect(Self.isFractional(stamp), "\(stamp)") }
            #expect(all.contains(#""createdAt":"2025-01-01T00:00:00.987000+00:00""#))
        }
    }

    @Test func dateHeaderIsPresentByDefaultAndAbsentOnRequest() async throws {
        for absent in [false, true] {
            var configuration = EmulatorConfiguration(port: 0)
            if absent { configuration.behaviors.dateHeader = .absent }
            let store = try EmulatorStore(configuration: configuration)
            let (url, task) = try await startServer(configuration, store: store)
            defer { task.cancel() }
            let port = try #require(Int(url.split(separator: ":").last!))
            for request in [
                "GET /v1/SenderPools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(basic("u", "p"))\r\nConnection: close\r\n\r\n",
                "GET /v1/SenderPools HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",  // 401
                "GET /_emulator/state HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            ] {
                let text = String(decoding: try await rawExchange(port: port, request), as: UTF8.self)
                let head = text.components(separatedBy: "\r\n\r\n")[0].lowercased()
                #expect(head.hasPrefix("http/1.1 "), "\(text)")
                #expect(head.contains("\r\ndate: ") == !absent, "\(head)")
            }
            task.cancel()
            _ = await task.result
        }
    }

    @Test func unchangedNoopPatchKeepsUpdatedAt() async throws {
        let clock = ManualClock()
        let store = try makeStore(configuration: try Self.configuration("noop-patch=unchanged"), clock: clock)
        let id = try await createCompletedPool(store, clock: clock, name: "a", tags: ["x": "1"])
        clock.advance(seconds: 5)
        _ = try await store.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "a", tags: ["x": "1"]))
        _ = try await store.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "a"))
        _ = try await store.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: ["x": "1"]))
        #expect(try await store.fetchSenderPool(id: id).updatedAt == "2025-01-01T00:00:00Z")
        // Still writes that took effect.
        #expect(await store.writes().writes.filter { $0.method == "PATCH" }.count == 3)
        // A real change bumps it.
        _ = try await store.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: ["x": "2"]))
        #expect(try await store.fetchSenderPool(id: id).updatedAt == "2025-01-01T00:00:06Z")
        clock.advance(seconds: 1)
        _ = try await store.updateSenderPool(id: id, UpdateSenderPoolRequest(name: "b"))
        #expect(try await store.fetchSenderPool(id: id).updatedAt == "2025-01-01T00:00:07Z")

        // Under patch-tags=merge a PATCH that sets tags to what they are is unchanged too.
        let merging = try makeStore(configuration: try Self.configuration("noop-patch=unchanged", "patch-tags=merge"), clock: clock)
        let merged = try await createCompletedPool(merging, clock: clock, name: "m", tags: ["x": "1", "y": "2"])
        clock.advance(seconds: 3)
        _ = try await merging.updateSenderPool(id: merged, UpdateSenderPoolRequest(tags: ["y": "2"]))
        _ = try await merging.updateSenderPool(id: merged, UpdateSenderPoolRequest(tags: [:]))
        #expect(try await merging.fetchSenderPool(id: merged).updatedAt == "2025-01-01T00:00:07Z")

        // The default bumps on every PATCH.
        let bumping = try makeStore(clock: clock)
        let bumped = try await createCompletedPool(bumping, clock: clock, name: "a")
        clock.advance(seconds: 2)
        _ = try await bumping.updateSenderPool(id: bumped, UpdateSenderPoolRequest(name: "a"))
        #expect(try await bumping.fetchSenderPool(id: bumped).updatedAt == "2025-01-01T00:00:14Z")
    }
}

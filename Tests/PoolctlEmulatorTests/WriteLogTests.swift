import Foundation
import Hummingbird
import HummingbirdTesting
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

/// `GET /_emulator/writes`: every write that took effect, who made it, and
/// the target pool's tags before and after.
@Suite("Write log")
struct WriteLogTests {
    static let legacyID = "comms_senderpool_01h9krwprkeee8fzqspvwy6aa1"

    @Test func everyWriteIsLoggedWithItsActorAndTheTagsAroundIt() async throws {
        let seed = EmulatorSeed(
            senders: knownSenders, generatedSenders: 20,
            pools: [EmulatorSeed.Pool(id: Self.legacyID, name: "Legacy", tags: ["team": "ops"], senders: [s1, s2])])
        let clock = ManualClock()
        let headers: HTTPFields = {
            var headers = jsonHeaders
            headers[.userAgent] = "poolctl-test/1"
            return headers
        }()
        try await withEmulator(seed: seed, clock: clock) { client, store in
            let created = try await client.execute(
                uri: "/v1/SenderPools", method: .post, headers: headers, body: body(#"{"name":"new","tags":{"a":"1"}}"#))
            #expect(created.status == .accepted)
            clock.advance(milliseconds: 200)
            let newID = try #require(await store.state().pools.first { $0.name == "new" }?.id)
            let legacy = "/v1/SenderPools/\(Self.legacyID)"
            #expect(
                try await client.execute(uri: legacy, method: .patch, headers: headers, body: body(#"{"tags":{"team":"ops","b":"2"}}"#))
                    .status == .accepted)
            #expect(
                try await client.execute(uri: legacy + "/Senders", method: .post, headers: headers, body: body(#"[{"senderId":"\#(s3)"}]"#))
                    .status
                    == .accepted)
            // Writes that did not take effect are not logged: 409, 400, 404, 401.
            try await client.execute(uri: legacy, method: .patch, headers: headers, body: body(#"{"name":"x"}"#)).expectError(409)
            clock.advance(milliseconds: 200)
            try await client.execute(uri: legacy, method: .patch, headers: headers, body: body("{}")).expectError(400)
            try await client.execute(uri: "/v1/SenderPools/\(unknownPoolID)", method: .delete, headers: headers).expectError(404)
            try await client.execute(uri: "/v1/SenderPools/\(newID)", method: .delete).expectError(401)
            #expect(try await client.execute(uri: legacy + "/Senders/\(s1)", method: .delete, headers: headers).status == .accepted)
            #expect(try await client.execute(uri: "/v1/SenderPools/\(newID)", method: .delete, headers: authHeaders).status == .accepted)
            // The background writer and in-process calls are logged too.
            await store.performBackgroundWrites(1)
            _ = try await store.updateSenderPool(id: Self.legacyID, UpdateSenderPoolRequest(name: "Renamed"))

            let response = try await client.execute(uri: "/_emulator/writes", method: .get)
            #expect(response.status == .ok)
            let json = response.json
            #expect(Set(json.keys) == ["writes"])
            let entries = try #require(json["writes"] as? [[String: Any]])
            #expect(entries.count == 7)
            let common: Set<String> = [
                "seq", "time", "actor", "method", "endpoint", "poolId", "status", "tagsBefore", "tagsAfter", "userAgent",
            ]
            for (i, entry) in entries.enumerated() {
                let keys = Set(entry.keys)
                let members = [2, 3].contains(i)
                #expect(keys == (members ? common.union(["senderIds"]) : common), "\(entry)")
                #expect(entry["seq"] as? Int == i + 1)
                let time = try #require(entry["time"] as? String)
                #expect(time.wholeMatch(of: #/2025-01-01T00:00:00\.\d{3}Z/#) != nil, "\(time)")
            }
            // Nulls are written out, not omitted.
            #expect(entries[0]["tagsBefore"] is NSNull && entries[4]["tagsAfter"] is NSNull && entries[4]["userAgent"] is NSNull)

            let log = try JSONDecoder().decode(EmulatorWriteLog.self, from: Data(response.body.readableBytesView)).writes
            let view = log.map { ($0.actor, $0.endpoint, $0.poolId, $0.status) }
            let expected: [(EmulatorWriteActor, String, String?, Int)] = [
                (.client, "POST /v1/SenderPools", newID, 202),
                (.client, "PATCH /v1/SenderPools/{senderPoolId}", Self.legacyID, 202),
                (.client, "POST /v1/SenderPools/{senderPoolId}/Senders", Self.legacyID, 202),
                (.client, "DELETE /v1/SenderPools/{senderPoolId}/Senders/{senderId}", Self.legacyID, 202),
                (.client, "DELETE /v1/SenderPools/{senderPoolId}", newID, 202),
                (.background, "POST /v1/SenderPools", log[5].poolId, 202),
                (.client, "PATCH /v1/SenderPools/{senderPoolId}", Self.legacyID, 202),
            ]
            #expect(view.count == expected.count)
            for (got, want) in zip(view, expected) {
                #expect(got.0 == want.0 && got.1 == want.1 && got.2 == want.2 && got.3 == want.3, "\(got) != \(want)")
            }
            #expect(log.map(\.method) == ["POST", "PATCH", "POST", "DELETE", "DELETE", "POST", "PATCH"])
            #expect(
                log.map(\.tagsBefore) == [
                    nil, ["team": "ops"], ["team": "ops", "b": "2"], ["team": "ops", "b": "2"], ["a": "1"], nil, ["team": "ops", "b": "2"],
                ])
            #expect(
                log.map(\.tagsAfter) == [
                    ["a": "1"], ["team": "ops", "b": "2"], ["team": "ops", "b": "2"], ["team": "ops", "b": "2"], nil,
                    ["team": "background"], ["team": "ops", "b": "2"],
                ])
            #expect(log.map(\.senderIds) == [nil, nil, [s3], [s1], nil, nil, nil])
            #expect(log.map(\.userAgent) == ["poolctl-test/1", "poolctl-test/1", "poolctl-test/1", "poolctl-test/1", nil, nil, nil])
            #expect(log[5].poolId?.hasPrefix("comms_senderpool_") == true)

            // A reset clears it.
            #expect(try await client.execute(uri: "/_emulator/reset", method: .post).status == .ok)
            #expect(try await client.execute(uri: "/_emulator/writes", method: .get).text == #"{"writes":[]}"#)
            try await client.execute(uri: "/_emulator/writes", method: .post).expectError(405)
        }
    }

    @Test func tagsAfterFollowMergeAndStatusFollowsDeleteStatus() async throws {
        var configuration = credentials
        configuration.behaviors = try EmulatorBehaviors(parsing: ["patch-tags=merge", "delete-status=204", "writes=async"])
        let clock = ManualClock()
        let store = try makeStore(configuration: configuration, clock: clock)
        let id = try await createCompletedPool(store, clock: clock, tags: ["x": "1"], senders: [s1])
        _ = try await store.updateSenderPool(id: id, UpdateSenderPoolRequest(tags: ["y": "2"]))
        _ = try await store.removeSender(poolID: id, senderID: s1)
        _ = try await store.deleteSenderPool(id: id)
        let log = await store.writes().writes
        #expect(log.map(\.status) == [202, 202, 204, 204])
        #expect(log[1].tagsBefore == ["x": "1"] && log[1].tagsAfter == ["x": "1", "y": "2"])
        // Under writes=async a write is logged when accepted, before it lands.
        #expect(log[3].tagsBefore == ["x": "1"] && log[3].tagsAfter == nil)
        #expect(log.allSatisfy { $0.actor == .client && $0.userAgent == nil })
    }

    @Test func theLogKeepsTheLatestEntriesAndCountsOn() {
        var log = WriteLog()
        let template = EmulatorWrite(
            seq: 0, time: "", actor: .admin, method: "POST", endpoint: "POST /v1/SenderPools", poolId: nil, senderIds: nil, status: 202,
            tagsBefore: nil, tagsAfter: nil, userAgent: nil)
        for _ in 0..<(WriteLog.capacity + 5) {
            log.append { seq in
                var entry = template
                entry.seq = seq
                return entry
            }
        }
        #expect(log.entries.count == WriteLog.capacity)
        #expect(log.entries.first?.seq == 6)
        #expect(log.entries.last?.seq == WriteLog.capacity + 5)
    }

    @Test func aWriteFollowedByAnInjectedResetIsLogged() async throws {
        var configuration = EmulatorConfiguration(port: 0)
        configuration.resetAfterWriteRate = 1
        let store = try EmulatorStore(configuration: configuration)
        let (url, task) = try await startServer(configuration, store: store)
        defer { task.cancel() }
        let port = try #require(Int(url.split(separator: ":").last!))
        let payload = #"{"name":"dropped","tags":{"k":"v"}}"#
        let answer = try await rawExchange(
            port: port,
            "POST /v1/SenderPools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(basic("u", "p"))\r\nUser-Agent: ua/2\r\nContent-Type: application/json\r\nContent-Length: \(payload.utf8.count)\r\n\r\n\(payload)"
        )
        #expect(answer.isEmpty)
        let text = String(
            decoding: try await rawExchange(port: port, "GET /_emulator/writes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
            as: UTF8.self)
        let bodyText = try #require(text.components(separatedBy: "\r\n\r\n").last)
        let log = try JSONDecoder().decode(EmulatorWriteLog.self, from: Data(bodyText.utf8)).writes
        #expect(log.count == 1)
        #expect(log.first?.status == 202 && log.first?.tagsAfter == ["k": "v"] && log.first?.userAgent == "ua/2")
        task.cancel()
        _ = await task.result
    }
}

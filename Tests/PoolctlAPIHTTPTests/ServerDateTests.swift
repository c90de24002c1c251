import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlAPIHTTP

@Suite struct ServerDateTests {
    let emptyList = #"{"senderPools":[],"pagination":{"next":null,"self":"a"}}"#

    @Test func theServersTimeIsItsLatestDatePlusLocalElapsedTime() async throws {
        let h = try Harness([
            .respond(200, headers: [("Date", "Sat, 01 Mar 2025 12:00:00 GMT")], body: emptyList),
            .respond(200, headers: [("Date", "Sat, 01 Mar 2025 12:00:00 GMT")], body: emptyList),
            .respond(503, headers: [("Date", "Sat, 01 Mar 2025 12:00:09 GMT")]),
            .respond(200, body: emptyList),
        ])
        let api: any CommsAPI = h.api
        #expect((api as? ServerClock)?.estimatedServerTime() == nil)
        _ = try await h.api.listSenderPools(SenderPoolQuery())
        h.clock.advance(by: .seconds(3))
        // The same Date again keeps its first arrival: the closer estimate.
        _ = try await h.api.listSenderPools(SenderPoolQuery())
        let base = try #require(WireTime.parseRFC3339("2025-03-01T12:00:00Z"))
        let estimate = try #require((api as? ServerClock)?.estimatedServerTime())
        #expect(abs(estimate.timeIntervalSince(base) - 3.012) < 0.0005)
        // An error response's Date counts too; a response without one changes nothing.
        _ = try await h.api.listSenderPools(SenderPoolQuery())
        h.clock.advance(by: .seconds(1))
        let later = try #require(h.api.estimatedServerTime())
        let expected = base.addingTimeInterval(9 + 1 + 0.012 + (h.clock.sleeps.last ?? .zero).inSeconds)
        #expect(abs(later.timeIntervalSince(expected)) < 0.0005)
    }

    @Test func timestampsAreReadWithFoundation() throws {
        let date = try #require(WireTime.parseRFC3339("2024-01-15T09:30:00Z"))
        #expect(WireTime.parseRFC3339("2024-01-15T10:30:00+01:00") == date)
        #expect(WireTime.parseRFC3339("2024-01-15T09:30:00.000Z") == date)
        #expect(WireTime.parseHTTPDate("Mon, 15 Jan 2024 09:30:00 GMT") == date)
        #expect(WireTime.formatRFC3339(date) == "2024-01-15T09:30:00Z")
        #expect(WireTime.parseRFC3339("2024-01-15 09:30:00") == nil)
        #expect(WireTime.parseHTTPDate("yesterday") == nil)
    }
}

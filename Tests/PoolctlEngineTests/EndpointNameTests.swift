import PoolctlAPI
import PoolctlModel
import PoolctlPlan
import Testing

/// A plan's estimate is keyed by endpoint names, which the client's call
/// counts and the emulator's request log also use.
@Suite struct EndpointNameTests {
    @Test func everyEstimatedCallIsAnEndpoint() {
        let endpoints = Set(Endpoint.allCases.map(\.rawValue))
        let live = LiveState(pools: [
            LivePool(
                id: "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8", name: "old", tags: [Ownership.tagKey: "v1~s~gone"],
                createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z",
                members: [LiveMember(id: "comms_sender_01h9krwprkeee8fzqspvwy6nq8", address: "+1", channel: "SMS")]),
            LivePool(
                id: "comms_senderpool_01h9krwprkeee8fzqspvwy6nq9", name: "keep", tags: [Ownership.tagKey: "v1~s~keep"],
                createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-01T00:00:00Z",
                members: [LiveMember(id: "comms_sender_01h9krwprkeee8fzqspvwy6nq8", address: "+1", channel: "SMS")]),
        ])
        let desired = DesiredState(
            stack: "s", prune: true,
            pools: [
                DesiredPool(key: "new", name: "new", tags: [:], senders: ["comms_sender_01h9krwprkeee8fzqspvwy6nq9"]),
                DesiredPool(key: "keep", name: "renamed", tags: [:], senders: ["comms_sender_01h9krwprkeee8fzqspvwy6nqa"]),
            ])
        let plan = Planner().plan(desired: desired, live: live)
        #expect(plan.estimate.byEndpoint.count >= 6)
        for name in plan.estimate.byEndpoint.keys.sorted() {
            #expect(endpoints.contains(name), "\(name) is not an API endpoint name")
        }
    }

    @Test func limitsHaveOneHome() {
        #expect(Planner.maxSendersPerCreate == APIFormat.maxSendersPerRequest)
        #expect(Planner.maxSendersPerAdd == APIFormat.maxSendersPerRequest)
        #expect(Paginated<SenderPool>.maxPageSize == APIFormat.maxPageSize)
        // Code points, not grapheme clusters: "é" as e + U+0301 is 2.
        #expect(APIFormat.poolNameLength("e\u{301}") == 2)
        #expect(APIFormat.isTagKey(String(repeating: "k", count: 128)))
        #expect(!APIFormat.isTagKey(String(repeating: "k", count: 129)))
        #expect(APIFormat.isTagValue(String(repeating: "v", count: 256)))
        #expect(!APIFormat.isTagValue(String(repeating: "v", count: 257)))
    }
}

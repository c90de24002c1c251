import Foundation
import NIOCore
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

/// The sender lists' spliced bodies are byte for byte what encoding the
/// whole page (`Wire.page`) gives, under every behaviour that reshapes bodies.
@Suite("Sender list bodies")
struct SenderBodiesTests {
    static let behaviourSets: [[String]] = [
        [], ["unknown-fields=on"], ["nulls=on"], ["unknown-fields=on", "nulls=on"], ["timestamps=fractional"],
        ["paging=offset"], ["paging=offset", "nulls=on", "unknown-fields=on", "timestamps=fractional"],
    ]

    @Test(arguments: behaviourSets)
    func splicedPagesEqualEncodedPages(_ items: [String]) async throws {
        let configuration = EmulatorConfiguration(behaviors: try EmulatorBehaviors(parsing: items))
        var seed = EmulatorSeed(generatedSenders: 60)
        // Odd text: escapes, slashes, non-ASCII, an empty tag map and a full one.
        seed.senders = [
            Sender(
                id: "comms_sender_01h9krwprkeee8fzqspvwy6nq8", displayName: "Quote \" slash / back \\ tab \t é 🚀",
                address: "a/b@example.com", channel: .email, status: .activated, tags: ["k": "v.1", "z": "x~y"],
                createdAt: "2023-05-01T00:00:00Z", updatedAt: "2023-05-02T00:00:00Z")
        ]
        let members = ["comms_sender_01h9krwprkeee8fzqspvwy6nq8"] + EmulatorSeed.syntheticSenders(count: 60).map(\.id).prefix(40)
        seed.pools = [EmulatorSeed.Pool(name: "p", senders: members)]
        let store = try EmulatorStore(seed: seed, configuration: configuration)
        let encoding = ResponseEncoding(behaviors: configuration.behaviors)
        let bodies = SenderBodies(inventory: store.inventory, encoding: encoding)
        let pools = try await store.listSenderPools(SenderPoolQuery())
        let poolID = try #require(pools.items.first?.id)
        for size in [1, 7, 1000] {
            var token: String?
            repeat {
                let query = SenderQuery(pageSize: size, pageToken: token)
                let inventory = store.inventory
                for indices in [try await store.listPoolSenderIndices(poolID: poolID, query), try store.listSenderIndices(query)] {
                    let spliced = Array(bodies.body(indices).readableBytesView)
                    let whole = Array(encoding.body(indices.map { Wire.sender(inventory[Int($0)]) }.body(.senders)))
                    #expect(spliced == whole, "\(items) pageSize \(size)")
                }
                token = try await store.listPoolSenders(poolID: poolID, query).pagination.next
            } while token != nil
        }
    }
}

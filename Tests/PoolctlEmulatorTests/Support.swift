import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

/// Three explicit senders plus 20 synthetic ones; no pools.
let knownSenders: [Sender] = [
    Sender(
        id: "comms_sender_01h9krwprkeee8fzqspvwy6nq1", displayName: "One", address: "+14155550101", channel: .sms,
        status: .activated, tags: [:], createdAt: "2024-01-01T00:00:00Z", updatedAt: "2024-01-01T00:00:00Z"),
    Sender(
        id: "comms_sender_01h9krwprkeee8fzqspvwy6nq2", displayName: nil, address: "two@example.com", channel: .email,
        status: .activated, tags: ["team": "mail"], createdAt: "2024-01-01T00:00:00Z", updatedAt: "2024-01-01T00:00:00Z"),
    Sender(
        id: "comms_sender_01h9krwprkeee8fzqspvwy6nq3", displayName: "Three", address: "+14155550103", channel: .sms,
        status: .deactivated, tags: [:], createdAt: "2024-01-01T00:00:00Z", updatedAt: "2024-01-01T00:00:00Z"),
]

let s1 = knownSenders[0].id
let s2 = knownSenders[1].id
let s3 = knownSenders[2].id
/// Well-formed but not in any inventory.
let strangerID = "comms_sender_01h9krwprkeee8fzqspvwy6zzz"
let unknownPoolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
let unknownOperationID = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"

func makeStore(
    seed: EmulatorSeed = EmulatorSeed(senders: knownSenders, generatedSenders: 20),
    configuration: EmulatorConfiguration = EmulatorConfiguration(),
    clock: ManualClock = ManualClock()
) throws -> EmulatorStore {
    try EmulatorStore(seed: seed, configuration: configuration, clock: clock.clock)
}

/// The HTTP status of an APIError thrown by `body`, or nil when it succeeds.
func status(_ body: () async throws -> Void) async -> Int? {
    do {
        try await body()
        return nil
    } catch let error as APIError {
        return error.status
    } catch {
        Issue.record("unexpected error \(error)")
        return -1
    }
}

/// Creates a pool and completes its operation; returns the pool id.
func createCompletedPool(_ store: EmulatorStore, clock: ManualClock, name: String = "p", tags: Tags = [:], senders: [String] = [])
    async throws -> String
{
    let accepted = try await store.createSenderPool(
        CreateSenderPoolRequest(name: name, tags: tags, senders: senders.map(SenderReference.init)))
    let page = try await store.listSenderPools(SenderPoolQuery(operationId: accepted.operationId))
    clock.advance(milliseconds: 1000)
    return try #require(page.items.first?.id)
}

func jsonObject(_ bytes: some Sequence<UInt8>) throws -> [String: Any] {
    let any = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    return try #require(any as? [String: Any])
}

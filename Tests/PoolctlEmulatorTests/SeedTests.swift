import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

@Suite("Seed files")
struct SeedTests {
    @Test func theQuickstartSeedLoads() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/seeds/quickstart.yaml").path
        let store = try EmulatorStore(configuration: EmulatorConfiguration(seedPath: path), clock: ManualClock().clock)
        #expect(store.summary.senders == 8)
        #expect(store.summary.pools == 1)
        let state = await store.state()
        #expect(state.pools.map(\.name) == ["Legacy"])
        #expect(state.pools[0].tags == ["team": "ops"])
        #expect(state.pools[0].senders == ["comms_sender_01jd8a7k2m3n4p5q6r7s8t9v14"])
        let whatsapp = try await store.listSenders(SenderQuery(channel: .whatsapp))
        #expect(whatsapp.items.map(\.displayName) == ["APAC WhatsApp"])
        #expect(whatsapp.items[0].address == "+61255550103")
    }

    @Test func generateAddsSyntheticSendersThatPoolsMayReference() throws {
        let synthetic = EmulatorSeed.syntheticSenders(count: 3)
        let yaml = """
            generate: {senders: 3}
            pools:
              - {name: Bench, senders: [\(synthetic[2].id)]}
            """
        let seed = try EmulatorSeed.parse(Array(yaml.utf8))
        #expect(seed.generatedSenders == 3)
        #expect(seed.pools == [EmulatorSeed.Pool(name: "Bench", senders: [synthetic[2].id])])
    }

    @Test func errorsPointAtTheLineAndColumn() throws {
        let yaml = """
            senders:
              - {id: comms_sender_01h9krwprkeee8fzqspvwy6nq8, address: "+1"}
              - {id: not-an-id, address: x, channel: FAX}
              - {id: comms_sender_01h9krwprkeee8fzqspvwy6nq8, address: "+2"}
            pools:
              - name: P
                tag: {a: b}
                senders: [comms_sender_01h9krwprkeee8fzqspvwy6nq9]
            generate: {senders: many}
            """
        do {
            _ = try EmulatorSeed.parse(Array(yaml.utf8), file: "seed.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.description.split(separator: "\n").map(String.init)
            #expect(
                lines == [
                    "seed.yaml:3:10: error: sender id 'not-an-id' is not a valid Sender id (expected comms_sender_ followed by 26-35 lowercase base32 characters)",
                    "seed.yaml:3:42: error: unknown channel 'FAX'; expected one of: SMS, RCS, EMAIL, WHATSAPP, PUSH",
                    "seed.yaml:4:5: error: sender 'comms_sender_01h9krwprkeee8fzqspvwy6nq8' is already declared at line 2",
                    "seed.yaml:7:5: error: unknown key 'tag' in a pool; expected one of: id, name, tags, senders, senderRange",
                    "seed.yaml:8:15: error: sender 'comms_sender_01h9krwprkeee8fzqspvwy6nq9' is not in the inventory (declare it under 'senders')",
                    "seed.yaml:9:21: error: generate.senders must be an integer between 0 and 1000000",
                ])
        }
    }

    @Test func syntaxErrorsAreLocated() throws {
        do {
            _ = try EmulatorSeed.parse(Array("senders: [\n".utf8), file: "s.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("s.yaml:"))
            #expect(error.problems.first?.line != nil)
        }
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: EmulatorSeedError.self) { try EmulatorSeed.load(path: "/nonexistent/seed.yaml") }
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlEmulator

/// `senderRange`: a pool's members by position in the seed's `senders`.
@Suite("Seed sender ranges")
struct SeedRangeTests {
    static func ids(_ count: Int) -> [String] {
        (0..<count).map { n in
            let digits = Array("0123456789abcdefghjkmnpqrstvwxyz")
            var text = ""
            var value = n
            for _ in 0..<4 {
                text = String(digits[value % 32]) + text
                value /= 32
            }
            return "comms_sender_01jd000000000000000000" + text
        }
    }

    static func yaml(_ count: Int, pools: String) -> String {
        "senders:\n" + ids(count).map { "  - {id: \($0), address: \"+1\"}\n" }.joined() + "pools:\n" + pools
    }

    @Test func aRangeWrapsAroundTheDeclaredSenders() async throws {
        let ids = Self.ids(5)
        let seed = try EmulatorSeed.parse(
            Array(
                Self.yaml(
                    5,
                    pools:
                        "  - {name: A, senderRange: {start: 3, count: 4}}\n  - {name: B, senders: [\(ids[0])], senderRange: {start: 0, count: 2}}\n"
                ).utf8))
        #expect(seed.pools[0].senderRange == EmulatorSeed.SenderRange(start: 3, count: 4))
        let store = try EmulatorStore(seed: seed, clock: ManualClock().clock)
        let state = await store.state()
        let byName = Dictionary(uniqueKeysWithValues: state.pools.map { ($0.name, $0.senders) })
        #expect(byName["A"] == [ids[0], ids[1], ids[3], ids[4]])
        #expect(byName["B"] == [ids[0], ids[1]])
    }

    @Test func aRangeLongerThanTheListIsAnErrorWithItsPosition() throws {
        do {
            _ = try EmulatorSeed.parse(Array(Self.yaml(2, pools: "  - {name: A, senderRange: {start: 0, count: 3}}\n").utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "seed.yaml:5:28: error: senderRange.count 3 exceeds the 2 senders declared under 'senders'")
        }
        do {
            _ = try EmulatorSeed.parse(Array(Self.yaml(2, pools: "  - {name: A, senderRange: {start: -1, count: 1}}\n").utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "seed.yaml:5:36: error: senderRange.start must be a whole number, 0 or more")
        }
    }
}

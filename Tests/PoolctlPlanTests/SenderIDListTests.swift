import PoolctlModel
import Testing

/// Packed sender ids read back as the same strings, in the same order.
@Suite struct SenderIDListTests {
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    static func randomID(_ rng: inout SystemRandomNumberGenerator) -> String {
        "comms_sender_" + String(alphabet[Int.random(in: 0..<8, using: &rng)])
            + String((0..<25).map { _ in alphabet[Int.random(in: 0..<32, using: &rng)] })
    }

    @Test func packedIDsRoundTripAndKeepTheirOrder() {
        var rng = SystemRandomNumberGenerator()
        let ids = ((0..<2000).map { _ in Self.randomID(&rng) } + [
            "comms_sender_00000000000000000000000000", "comms_sender_7zzzzzzzzzzzzzzzzzzzzzzzzz",
        ]).sorted()
        let list = SenderIDList(ids)
        #expect(list.strings == ids)
        #expect(list.count == ids.count)
        let pool = DesiredPool(key: "a", name: "A", senders: ids.reversed())
        #expect(pool.senders == Array(Set(ids)).sorted())
    }

    @Test func otherIDsStayStrings() {
        for odd in [
            "comms_sender_8zzzzzzzzzzzzzzzzzzzzzzzzz", "comms_sender_01H9KRWPRKEEE8FZQSPVWY6NQ8", "comms_sender_01h9krwprkeee8fzqspvwy6nq",
            "comms_sender_01h9krwprkeee8fzqspvwy6nqu", "MG123", "", "comms_sender_01h9krwprkeee8fzqspvwy6nq8é",
        ] {
            let ids = ["comms_sender_01h9krwprkeee8fzqspvwy6nq8", odd].sorted()
            #expect(SenderIDList(ids).strings == ids, "\(odd)")
        }
        #expect(SenderIDList([]).strings.isEmpty)
    }
}

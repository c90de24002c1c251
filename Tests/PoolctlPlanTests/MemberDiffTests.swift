import Testing

@testable import PoolctlModel

/// The planner's one-pass merge of live members and declared senders, and the
/// id alphabet every member read checks.
@Suite struct MemberDiffTests {
    /// SplitMix64: the same ids every run.
    struct Numbers {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    /// Ids with long shared prefixes and a few characters, so that equal ids
    /// and ids that are prefixes of each other occur.
    static func ids(_ count: Int, seed: UInt64) -> [String] {
        var numbers = Numbers(state: seed)
        let alphabet = Array("0a7z_")
        return (0..<count).map { _ in
            let head = ["comms_sender_", "comms_sender_0", "", "c"][numbers.next(4)]
            let tail = String((0..<numbers.next(20)).map { _ in alphabet[numbers.next(alphabet.count)] })
            return head + tail
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func oneMergeFindsWhatSetsFind(seed: UInt64) {
        let live = Array(Set(Self.ids(300, seed: seed))).sorted()
        let declared = Array(Set(Self.ids(300, seed: seed + 100))).sorted()
        let members = live.map { LiveMember(id: $0) }
        let diff = MemberDiff.both(members, declared)
        let declaredSet = Set(declared)
        let liveSet = Set(live)
        #expect(diff.outside.map(\.id) == live.filter { !declaredSet.contains($0) })
        #expect(diff.missing == declared.filter { !liveSet.contains($0) })
        #expect(!diff.outside.isEmpty && !diff.missing.isEmpty && diff.outside.count < live.count)
        // The one-sided forms walk the same merge.
        #expect(MemberDiff.outside(members, declared) == diff.outside)
        #expect(MemberDiff.missing(declared, members) == diff.missing)
    }

    @Test func crockfordLowerIsExactlyItsAlphabet() {
        let alphabet = Set("0123456789abcdefghjkmnpqrstvwxyz".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(APIFormat.isCrockfordLower(byte) == alphabet.contains(byte), "byte \(byte)")
        }
    }
}

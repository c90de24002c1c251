import Foundation
import PoolctlModel
import Testing

@testable import PoolctlAPI

/// `MemberPageScanner` must agree with `JSONDecoder` (`PoolMemberList`) on
/// every page it accepts, and must refuse (nil, never crash) what is not
/// JSON of the right shape: the client then falls back to `JSONDecoder`.
@Suite struct MemberPageScannerTests {
    static let sample = """
        {"senders":[{"id":"comms_sender_01h9krwprkeee8fzqspvwy6nq8","displayName":null,"address":"+14155550100",\
        "channel":"SMS","status":"ACTIVATED","tags":{"a":"1","b":null,"n":{"x":[1,2.5e-3,-0,true,false,null]}},\
        "createdAt":"2024-01-01T00:00:00Z","updatedAt":"2024-01-01T00:00:00Z"},
        {"id":"comms_sender_01h9krwprkeee8fzqspvwy6nq9","address":null},
        {"channel":"WHATSAPP","id":"x\\u00e9\\ud83d\\ude00\\/\\n","address":"a\\"b"}],
        "pagination":{"next":"eyJhIjoxfQ==","self":null},"meta":{"key":"senders"}}
        """

    static func reference(_ bytes: [UInt8]) -> MemberPageScanner.Result? {
        guard let list = try? JSONDecoder().decode(PoolMemberList.self, from: Data(bytes)) else { return nil }
        return MemberPageScanner.Result(members: list.members, pagination: list.pagination)
    }

    @Test func readsOnlyIdAddressAndChannelLikeJSONDecoder() throws {
        let bytes = Array(Self.sample.utf8)
        let scanned = try #require(MemberPageScanner.scan(bytes))
        #expect(scanned == Self.reference(bytes))
        #expect(
            scanned.members.map(\.id) == ["comms_sender_01h9krwprkeee8fzqspvwy6nq8", "comms_sender_01h9krwprkeee8fzqspvwy6nq9", "xé😀/\n"])
        #expect(scanned.members.map(\.address) == ["+14155550100", "", "a\"b"])
        #expect(scanned.members.map(\.channel) == ["SMS", "", "WHATSAPP"])
        #expect(scanned.pagination == Pagination(next: "eyJhIjoxfQ==", current: ""))
    }

    @Test func emptyNullAndMissingListsArePages() throws {
        for body in [#"{"senders":null}"#, #"{"senders":[],"pagination":null}"#, #" {"pagination":{"next":null}} "#] {
            let bytes = Array(body.utf8)
            let scanned = try #require(MemberPageScanner.scan(bytes), "\(body)")
            #expect(scanned.members.isEmpty)
            #expect(scanned == Self.reference(bytes), "\(body)")
        }
    }

    @Test func refusesWhatJSONDecoderRefuses() {
        let bad = [
            // Neither the array nor pagination: an error body, not an empty page.
            "{}", #"{"code":20003,"message":"Authenticate","status":401}"#,
            "", "[]", "null", #"{"senders":[{"address":"+1"}]}"#, #"{"senders":[{"id":1}]}"#, #"{"senders":[{"id":"a","address":5}]}"#,
            #"{"senders":{}}"#, #"{"senders":[{"id":"a"}],}"#, #"{"senders":[{"id":"a"}]} x"#, #"{"senders":[{"id":"a\q"}]}"#,
            #"{"senders":[{"id":"\ud800"}]}"#, #"{"x":01}"#, #"{"x":1.}"#, #"{"x":tru}"#, #"{"pagination":{"next":3}}"#,
            String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
            #"{"x":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}",
        ]
        for body in bad {
            #expect(MemberPageScanner.scan(Array(body.utf8)) == nil, "\(body)")
        }
        // Invalid UTF-8 in a kept string.
        #expect(MemberPageScanner.scan(Array(#"{"senders":[{"id":""#.utf8) + [0xFF, 0xFE] + Array(#""}]}"#.utf8)) == nil)
    }

    /// Random mutations of valid pages (bytes flipped, dropped, repeated,
    /// swapped for JSON punctuation, cut short): the scanner never crashes,
    /// and whenever it accepts a mutant, JSONDecoder reads the same thing.
    @Test func fuzzedPagesNeverDisagreeWithJSONDecoder() {
        var rng = SplitMix(seed: 20)
        let seeds = [
            Array(Self.sample.utf8), Array(#"{"senders":[{"id":"a","address":"b","channel":"c"}],"pagination":{"next":null}}"#.utf8),
        ]
        let alphabet = Array(#"{}[]":,\ntrufalsn0123456789-+.eE\u"#.utf8) + [0x00, 0x80, 0xC3, 0xFF]
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                guard !bytes.isEmpty else { break }
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 5 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 3: bytes.removeSubrange(at...)
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 8)], at: at)
                }
            }
            guard let scanned = MemberPageScanner.scan(bytes) else { continue }
            accepted += 1
            // Duplicate keys are left to each decoder's choice.
            if let text = String(bytes: bytes, encoding: .utf8), text.components(separatedBy: #""id""#).count > 4 { continue }
            #expect(scanned == Self.reference(bytes), "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(accepted > 100)
    }

    /// The eight-bytes-at-a-time string scan stops at exactly the bytes the
    /// byte loop must see: every byte value, at every position of a word.
    @Test func theWordScanStopsAtEverySpecialByte() {
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                let special = value == 0x22 || value == 0x5C || value < 0x20 || value > 0x7F
                #expect(MemberPageScanner.Scanner.hasSpecialByte(word) == special, "byte \(value) at \(position)")
            }
        }
        // Several at once, and a quote right after a zero-like byte.
        let mixed: [UInt8] = [0x41, 0x00, 0x22, 0x7F, 0x5C, 0x20, 0x80, 0x21]
        #expect(MemberPageScanner.Scanner.hasSpecialByte(mixed.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
        let plain = Array("0123456789abcdefghijklmnopqrstuvwxyz ~!#$%&'()*+,-./:;<=>?@[]^_`{|}".utf8)
        for start in 0...(plain.count - 8) {
            let word = Array(plain[start..<start + 8]).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(!MemberPageScanner.Scanner.hasSpecialByte(word))
        }
    }

    /// The scan jumps to the lowest marked byte, so that mark must be the
    /// first special byte even when later bytes are special too, or are
    /// bytes the SWAR borrow could mark falsely (just above a special one).
    @Test func theWordScanFindsTheFirstSpecialByte() {
        let specials: [UInt8] = [0x00, 0x01, 0x1F, 0x22, 0x5C, 0x80, 0xC3, 0xFF]
        let tricky: [UInt8] = [0x01, 0x21, 0x23, 0x5D, 0x20, 0x7F, 0x02, 0x5B, UInt8(ascii: "a")]
        for position in 0..<8 {
            for first in specials {
                for after in tricky + specials {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                    bytes[position] = first
                    for later in (position + 1)..<8 { bytes[later] = after }
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let marks = MemberPageScanner.Scanner.specialBytes(UInt64(littleEndian: word))
                    #expect(marks.trailingZeroBitCount >> 3 == position, "byte \(first) at \(position), then \(after)")
                }
            }
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

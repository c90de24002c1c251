import Testing

@testable import PoolctlYAML

/// The manifest's UTF-8 check: a fast pass that skips ASCII in 8-byte
/// words, and a counting pass that places the first invalid byte. Both must
/// agree with the standard library's validation on every input.
struct UTF8CheckTests {
    /// Bytes that make valid and invalid sequences: ASCII, continuation
    /// bytes, lead bytes (including the overlong, surrogate and out-of-range
    /// ones), placed across word boundaries at every length up to 40.
    @Test func agreesWithTheStandardLibraryOnRandomText() {
        let alphabet: [UInt8] = [
            0x61, 0x0A, 0x20, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xA0,
            0x9F, 0x90, 0x8F,
        ]
        var state: UInt64 = 20_261_205
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var invalid = 0
        for round in 0..<50_000 {
            let count = round % 41
            // Mostly ASCII, so invalid bytes land late as well as early.
            let bytes = (0..<count).map { _ in next() % 4 == 0 ? alphabet[next() % alphabet.count] : UInt8(0x61 + next() % 26) }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            let fast = bytes.withUnsafeBufferPointer(UTF8Check.isValid)
            #expect(fast == expected, "\(bytes)")
            #expect((UTF8Check.locate(in: bytes) == nil) == expected, "\(bytes)")
            #expect((UTF8Check.firstInvalid(in: bytes) == nil) == expected, "\(bytes)")
            if !expected { invalid += 1 }
        }
        #expect(invalid > 5_000 && invalid < 45_000, "the inputs must mix valid and invalid text: \(invalid)")
    }

    @Test func placesTheFirstInvalidByteAfterAWordOfASCII() throws {
        let bytes = Array("abcdefgh\nijklmnop é".utf8) + [0xE9, 0x41]
        let problem = try #require(UTF8Check.firstInvalid(in: bytes))
        #expect(problem.mark.line == 2 && problem.mark.column == 11, "\(problem)")
        #expect(problem.message == "invalid UTF-8 (byte 0xE9); manifests must be UTF-8 text")
    }
}

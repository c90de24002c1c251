import Foundation
import PoolctlManifest
import PoolctlModel
import PoolctlRender
import Testing

@testable import PoolctlYAML

/// Issue 20: a large manifest set's memory. Repeated scalars share one
/// string, sender references are stored compactly, and a file's text is kept
/// only when a diagnostic needs it.
struct CompactManifestTests {
    private static func storage(_ text: String) -> UnsafeRawPointer? {
        var text = text
        return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func repeatedScalarsShareOneStringAndDistinctOnesStayDistinct() {
        var interner = ScalarInterner(capacity: 1)
        let id = "comms_sender_01jd8a7k2m3n4p5q6r00000001"
        var made: [String] = []
        // Enough distinct texts to grow the table several times.
        for n in 0..<5_000 {
            let text = n % 2 == 0 ? id : "comms_sender_01jd8a7k2m3n4p5q6r\(n)"
            made.append(Array(text.utf8).withUnsafeBufferPointer { interner.string($0) })
        }
        #expect(made.enumerated().allSatisfy { n, text in text == (n % 2 == 0 ? id : "comms_sender_01jd8a7k2m3n4p5q6r\(n)") })
        let first = Self.storage(made[0])
        #expect(made.indices.filter { $0 % 2 == 0 }.allSatisfy { Self.storage(made[$0]) == first })
        #expect(Set(made.indices.filter { $0 % 2 == 1 }.map { Self.storage(made[$0]) }).count == 2_500)
        // Prefixes, the empty text and non-ASCII text are told apart.
        for text in ["", "c", "comms_sender_01jd8a7k2m3n4p5q6r0000000", "é", "e\u{301}"] {
            #expect(Array(text.utf8).withUnsafeBufferPointer { interner.string($0) } == text)
        }
        // Texts longer than the bound are not shared, but still exact.
        let long = String(repeating: "x", count: ScalarInterner.maxLength + 1)
        let a = Array(long.utf8).withUnsafeBufferPointer { interner.string($0) }
        let b = Array(long.utf8).withUnsafeBufferPointer { interner.string($0) }
        #expect(a == long && b == long && Self.storage(a) != Self.storage(b))
    }

    @Test func theParserSharesARepeatedSenderIdAcrossPools() throws {
        let id = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v0w1x"
        let result = load(
            """
            apiVersion: poolctl/v1
            stack: web
            pools:
              a: {senders: [\(id)]}
              b:
                senders:
                  - \(id)
            """)
        let desired = try #require(result.desired)
        #expect(desired.pools.map(\.senders) == [[id], [id]])
        #expect(Self.storage(desired.pools[0].senders[0]) == Self.storage(desired.pools[1].senders[0]))
    }

    @Test func senderReferencesKeepEachPosition() throws {
        let marked = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            senders: {s1: comms_sender_01jd8a7k2m3n4p5q6r7s8t9v0w1x}
            pools:
              a:
                senders:
                  - s1
                  - ⟨1⟩s1
                  - ⟨2⟩nope
            """)
        let result = load(marked.text)
        #expect(
            lines(result.diagnostics) == [
                "m.yaml:\(marked.marks[1]!.line):\(marked.marks[1]!.column): error: sender comms_sender_01jd8a7k2m3n4p5q6r7s8t9v0w1x (alias 's1') is listed twice in pool 'a'; first listed at line 7, column 9",
                "m.yaml:\(marked.marks[2]!.line):\(marked.marks[2]!.column): error: unknown sender alias 'nope': define it in a top-level 'senders' table, or use a sender id",
            ])
        let spec = try #require(result.manifest.documents.first?.pools.first)
        #expect(spec.senders.map(\.value) == ["s1", "s1", "nope"])
        #expect(spec.senders.map(\.location.line) == [7, 8, 9])
        #expect(spec.senders.allSatisfy { $0.location.file == "m.yaml" && $0.location.column == 9 })
    }

    @Test func aFilesTextIsKeptOnlyWhenADiagnosticShowsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-compact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let header = "apiVersion: poolctl/v1\nstack: web\npools:\n"
        let files = [
            ("a.yaml", header + "  one: {}\n"),
            ("b.yaml", header + "  two: {}\n"),
            // Only the resolver finds this duplicate, after every file was decoded.
            ("c.yaml", header + "  one: {}\n"),
        ]
        for (name, text) in files { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let result = ManifestLoader().load(paths: [directory.path])
        let a = directory.appendingPathComponent("a.yaml").path
        let b = directory.appendingPathComponent("b.yaml").path
        let c = directory.appendingPathComponent("c.yaml").path
        #expect(result.desired == nil)
        #expect(result.diagnostics.first?.location?.file == c)
        // The duplicate and the note on its first declaration show their lines.
        #expect(result.sources.line(4, in: c) == "  one: {}")
        #expect(result.sources.line(4, in: a) == "  one: {}")
        #expect(!result.sources.contains(b))
        #expect(DiagnosticRenderer.text(result.diagnostics, sources: result.sources).contains("  one: {}"))
    }
}

import PoolctlManifest
import PoolctlModel
import PoolctlRender
import Testing

/// A diagnostic's source line is cut to a window around its column: a
/// generated file may hold megabytes on one line.
@Suite struct DiagnosticExcerptTests {
    private static func rendered(_ line: String, column: Int) -> [String] {
        var sources = SourceFiles()
        sources.add("m.yaml", Array((line + "\n").utf8))
        let diagnostic = Diagnostic.error("bad", at: SourceLocation(file: "m.yaml", line: 1, column: column))
        return DiagnosticRenderer.text([diagnostic], sources: sources).split(separator: "\n").map(String.init)
    }

    @Test func aShortLineIsShownWhole() {
        #expect(Self.rendered("name: 7", column: 7) == ["m.yaml:1:7: error: bad", "    name: 7", "          ^"])
    }

    @Test func aLongLineIsCutAroundTheColumnAndTheCaretStillPointsAtIt() throws {
        let line = String(repeating: "a", count: 5_000) + "X" + String(repeating: "b", count: 5_000)
        let lines = Self.rendered(line, column: 5_001)
        let shown = Array(lines[1].dropFirst(4))
        let caret = try #require(lines[2].dropFirst(4).firstIndex(of: "^"))
        let offset = lines[2].dropFirst(4).distance(from: lines[2].dropFirst(4).startIndex, to: caret)
        #expect(shown.count == DiagnosticRenderer.excerptWidth + 2)
        #expect(shown.first == "…" && shown.last == "…")
        #expect(shown[offset] == "X")
    }

    @Test func theStartOfALongLineIsCutOnlyAtItsEnd() {
        let line = "X" + String(repeating: "b", count: 1_000)
        let lines = Self.rendered(line, column: 1)
        #expect(lines[1] == "    X" + String(repeating: "b", count: DiagnosticRenderer.excerptWidth - 1) + "…")
        #expect(lines[2] == "    ^")
    }
}

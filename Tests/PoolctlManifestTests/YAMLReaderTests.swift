import PoolctlYAML
import Testing

/// What libyaml's reader makes of the stream's bytes.
@Suite struct YAMLReaderTests {
    /// A UTF-8 byte order mark may start a YAML stream (1.2 §5.2); PyYAML
    /// and editors on Windows write one. Positions count from after it.
    @Test func aByteOrderMarkAtTheStartIsAllowed() throws {
        let result = YAMLParser().parse([0xEF, 0xBB, 0xBF] + Array("a: 1\nb: [x, 2]\n".utf8))
        #expect(result.problems.isEmpty, "\(result.problems)")
        let root = try #require(result.documents.first?.root)
        guard case .mapping(let pairs, _) = root else {
            Issue.record("not a mapping: \(root)")
            return
        }
        #expect(pairs.map(\.key.mark) == [Mark(line: 1, column: 1), Mark(line: 2, column: 1)])
    }

    /// libyaml gives a reader error (a NUL, a control character) only as a
    /// byte offset: the line and column are counted from it.
    @Test(arguments: [
        ("a: 1\nb: x\u{0}y\n", Mark(line: 2, column: 5)),
        ("\u{0}", Mark(line: 1, column: 1)),
        ("n: \u{E9}\u{E9}\u{1}\n", Mark(line: 1, column: 6)),
    ])
    func aControlCharacterIsReportedWhereItIs(text: String, mark: Mark) throws {
        let result = YAMLParser().parse(Array(text.utf8))
        let problem = try #require(result.problems.first)
        #expect(problem.message.contains("control characters are not allowed"), "\(problem)")
        #expect(problem.mark == mark)
    }

    /// A lone `---` (a generator's trailing separator) is an empty document:
    /// no root, so no "must be a mapping, not null" past the end of the file.
    @Test func aLoneDocumentSeparatorIsAnEmptyDocument() {
        let result = YAMLParser().parse(Array("a: 1\n---\n".utf8))
        #expect(result.problems.isEmpty)
        #expect(result.documents.count == 2)
        #expect(result.documents.last?.root == nil)
        // An explicit null is content.
        #expect(YAMLParser().parse(Array("--- null\n".utf8)).documents.first?.root != nil)
    }
}

import PoolctlYAML
import Testing

/// Every string that YAML would read as something else, or that needs
/// quoting or escapes, comes back from emit -> parse as the same string, and
/// no parsed scalar resolves to null, a boolean or a number.
@Suite struct YAMLEmitterTests {
    static let tricky: [String] = [
        // Booleans and null in YAML 1.1 or 1.2, in several cases.
        "yes", "Yes", "YES", "no", "No", "on", "On", "off", "OFF", "y", "n", "true", "True", "TRUE", "false", "False",
        "null", "Null", "NULL", "~", "",
        // Numbers, dates and sexagesimals.
        "1.0", "007", "0", "42", "0x1f", "0o17", "1e3", "1_000", ".5", "+1", "-1", "-0.5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN",
        "2024-01-01", "12:30", "1:20:30", "<<", "=",
        // Leading indicators.
        "-", "- dash", "-dash", "--", "---", "...", "#hash", "# comment", "&anchor", "*alias", "!tag", "!!str", "|pipe", ">fold",
        "%directive", "@at", "`tick", "?question", "? q", ":colon", ",comma", "[flow", "]", "{flow}", "}",
        // Syntax inside or at the end.
        "key: value", "a #not a comment", "trailing:", "a,b", "a, b", "[a, b]", "x: y: z", "a:b", "a#b",
        // Spaces.
        "trailing ", " leading", "  both  ", " ", "two  spaces", "tab\there", "\t",
        // Quotes and backslashes.
        "it's", "'single'", "\"double\"", "it's \"both\"", "back\\slash", "\\", "''", "\"\"",
        // Line breaks and control characters.
        "line\nbreak", "trailing newline\n", "\n", "crlf\r\n", "cr\r", "bell\u{7}", "nul\u{0}", "del\u{7F}", "nel\u{85}",
        "ls\u{2028}", "ps\u{2029}", "\u{FEFF}bom", "esc\u{1B}[0m",
        // Non-ASCII text.
        "Café", "e\u{301}", "日本語のプール", "Ünïcödé – dash", "emoji 🎉", "\u{A0}nbsp", "right-to-left עברית", "\u{10FFFF}",
        // Long: never folded across lines.
        String(repeating: "long name ", count: 40) + "end",
        // Ordinary text stays plain.
        "Sales Leads - APAC", "comms_sender_01h9krwprkeee8fzqspvwy6nq8", "poolctl/v1",
    ]

    @Test(arguments: tricky)
    func roundTripsAsTheSameString(_ text: String) throws {
        let document = YAMLValue.mapping([
            YAMLValuePair(text, .string(text)),
            YAMLValuePair("list", .sequence([.string(text), .string(text)])),
        ])
        let bytes = try YAMLEmitter().emit([document])
        let result = YAMLParser().parse(bytes)
        let yaml = String(decoding: bytes, as: UTF8.self)
        #expect(result.problems.isEmpty, "\(result.problems)\n\(yaml)")
        guard result.documents.count == 1, case .mapping(let pairs, _)? = result.documents[0].root, pairs.count == 2,
            case .scalar(let key) = pairs[0].key, case .scalar(let value) = pairs[0].value,
            case .sequence(let items, _) = pairs[1].value, items.count == 2
        else {
            Issue.record("unexpected shape:\n\(yaml)")
            return
        }
        for scalar in [key, value] + items.compactMap({ if case .scalar(let s) = $0 { s } else { nil } }) {
            // Scalar by scalar: String's == would equate "e" + U+0301 with "é".
            #expect(Array(scalar.text.unicodeScalars) == Array(text.unicodeScalars), "\(yaml)")
            #expect(!scalar.isNull && scalar.bool == nil && scalar.int == nil, "resolves to a non-string:\n\(yaml)")
            if ScalarStyleChoice.choose(for: text) != .plain { #expect(scalar.style != .plain, "\(yaml)") }
        }
        // Nothing is folded: at most one extra line, for a key too long or
        // multi-line to be a simple key (`? key` then `: value`).
        #expect(yaml.split(separator: "\n", omittingEmptySubsequences: false).count <= 6, "\(yaml)")
    }

    @Test func quotesOnlyWhatNeedsIt() throws {
        func line(_ text: String) throws -> String {
            let bytes = try YAMLEmitter().emit([.mapping([YAMLValuePair("k", .string(text))])])
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(try line("yes") == "k: 'yes'\n")
        #expect(try line("007") == "k: '007'\n")
        #expect(try line("1.0") == "k: '1.0'\n")
        #expect(try line("null") == "k: 'null'\n")
        #expect(try line("-dash") == "k: '-dash'\n")
        #expect(try line("#hash") == "k: '#hash'\n")
        #expect(try line("trailing ") == "k: 'trailing '\n")
        #expect(try line("it's") == "k: it's\n")
        #expect(try line("'q'") == "k: '''q'''\n")
        #expect(try line("line\nbreak") == "k: \"line\\nbreak\"\n")
        #expect(try line("Café 日本") == "k: Café 日本\n")
        #expect(try line("Sales Leads - APAC") == "k: Sales Leads - APAC\n")
    }

    @Test func writesBooleansCollectionsAndDocumentsInOrder() throws {
        let bytes = try YAMLEmitter().emit([
            .mapping([
                YAMLValuePair("b", .bool(true)), YAMLValuePair("a", .bool(false)), YAMLValuePair("e", .sequence([])),
                YAMLValuePair("m", .mapping([])),
            ]),
            .mapping([YAMLValuePair("s", .sequence([.string("x"), .string("y")]))]),
        ])
        // `y` is a YAML 1.1 boolean, so it is quoted.
        #expect(String(decoding: bytes, as: UTF8.self) == "b: true\na: false\ne: []\nm: {}\n---\ns:\n- x\n- 'y'\n")
    }
}

import Foundation
import PoolctlCLI
import Testing

/// The README's "Exit codes" table is `ExitCode`, row for row.
@Suite struct ReadmeExitCodeTests {
    @Test func theReadmeTableListsExactlyTheExitCodes() throws {
        let readme = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section =
            try #require(text.components(separatedBy: "\n## Exit codes\n").dropFirst().first)
            .components(separatedBy: "\n## ").first ?? ""
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| code") && !$0.hasPrefix("| ---") }
        let table = rows.map { row in
            row.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let expected = PoolctlCLI.ExitCode.allCases.map { ["\($0.rawValue)", $0.meaning] }
        #expect(table == expected)
    }
}

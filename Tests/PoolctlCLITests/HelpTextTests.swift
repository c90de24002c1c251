import ArgumentParser
import Foundation
import Testing

@testable import PoolctlCLI

/// Option help is shown by `--help` and copied into the shell completions,
/// where nothing is "above" or "below": it must stand on its own, and be
/// true for every command that shares it.
@Suite struct HelpTextTests {
    static let logFormatHelp = "see README, Machine-readable logs"

    @Test func applysLogFormatHelpPointsAtTheReadme() async {
        let outcome = await poolctl(["apply", "--help"])
        #expect(outcome.code == .success, "\(outcome)")
        let text = outcome.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains(Self.logFormatHelp), "\(outcome.stdout)")
        #expect(!outcome.stdout.contains("see below"), "\(outcome.stdout)")
    }

    @Test(arguments: [CompletionShell.zsh, .fish])
    func completionsCarryNoPointerToTheHelpPage(shell: CompletionShell) {
        let script = Poolctl.completionScript(for: shell)
        #expect(script.contains(Self.logFormatHelp))
        for phrase in ["see below", "see above", "discussion above"] {
            #expect(!script.contains(phrase), "\(shell): \(phrase)")
        }
    }

    /// `--parallelism` is shared by plan, export, unlock and apply: only
    /// apply has operations.
    @Test(arguments: ["plan", "export", "apply"])
    func parallelismHelpIsTrueForEachCommand(command: String) async {
        let outcome = await poolctl([command, "--help"])
        #expect(outcome.code == .success, "\(outcome)")
        let text = outcome.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        // The last mention: the first is the usage line.
        let start = text.range(of: "--parallelism <parallelism>", options: .backwards)
        let help = start.map { String(text[$0.upperBound...].prefix(220)) } ?? ""
        #expect(help.hasPrefix(" API requests in flight at most (plan and export: pools' member lists read at once;"), "\(help)")
    }
}

import ArgumentParser
import Foundation
import PoolctlManifest
import PoolctlRender

/// How `validate` prints its findings.
enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests offline: no network, no credentials.",
        discussion: """
            PATH is a manifest file or a directory; a directory means every *.yaml and *.yml \
            file directly inside it, read in sorted order. All files form one set.

            Every problem in the set is reported in one run, as path:line:column: error: message. \
            When GITHUB_ACTIONS=true, GitHub ::error annotations are printed as well.

            Exit codes:
              0  the manifests are valid (warnings allowed)
              1  invalid or unreadable manifests, or a usage error
            """
    )

    @Argument(help: "Manifest files or directories.")
    var paths: [String]

    @Option(help: "Output format: text or json.")
    var format: DiagnosticFormat = .text

    mutating func run() async throws {
        let result = ManifestLoader().load(paths: paths)
        let report = ValidationReport(result: result)
        let out = Console.standardOutput
        let err = Console.standardError
        if ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" {
            out.write(DiagnosticRenderer.githubAnnotations(result.diagnostics))
        }
        switch format {
        case .json:
            out.write(report.json())
        case .text:
            err.write(DiagnosticRenderer.text(result.diagnostics, sources: result.sources))
            if report.valid {
                out.write(report.summaryLine + "\n")
            }
        }
        if !report.valid {
            let count = report.summary.errors
            let message = format == .text ? "poolctl: \(count) error\(count == 1 ? "" : "s") in the manifest set" : ""
            throw CommandFailure(message: message, exitCode: 1)
        }
    }
}

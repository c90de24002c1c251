import ArgumentParser
import Foundation
import PoolctlManifest
import PoolctlModel
import PoolctlPlan
import PoolctlRender

/// How `validate` prints its findings.
enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

struct ValidateCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests offline: no network, no credentials.",
        discussion: """
            PATH is a manifest file or a directory; a directory means every *.yaml and *.yml \
            file directly inside it, read in sorted order. All files form one set.

            Every problem in the set is reported in one run, as path:line:column: error: message. \
            When GITHUB_ACTIONS=true, GitHub ::error annotations are printed to stderr as well.

            Rules across the set are checked too: one stack, unique pool keys and adoptions, \
            and unambiguous moves (movedFrom names neither the pool's own key nor a key still \
            declared, and no two pools move from one key).

            --policy FILE|DIR (repeatable) reads policy files (kind: Policy) and checks their \
            require rules against the set; a violation of an error rule is an error, of a \
            warning rule a warning. A policy file with problems is an error. Their limit rules \
            need a plan, so validate only checks that they are well formed.
            """ + "\n\n" + ExitCode.help([.success, .error])
    )

    @Argument(help: "Manifest files or directories.")
    var paths: [String]

    @Option(help: "Output format: text, json, or sarif (SARIF 2.1.0, for code scanning).")
    var format: DiagnosticFormat = .text

    @Option(name: .customLong("policy"), help: "A policy file or directory; repeatable.")
    var policies: [String] = []

    func run(in context: CommandContext) async throws {
        var result = ManifestLoader().load(paths: paths)
        var policy: Policy?
        if !policies.isEmpty {
            let loaded = PolicyLoader().load(paths: policies)
            policy = loaded.policy
            var found = loaded.diagnostics
            if let policy = loaded.policy, let desired = result.desired {
                found += PolicyCheck.require(policy, desired: desired)
            }
            result.diagnostics = (result.diagnostics + found).sorted()
            result.sources.add(loaded.sources)
            result.sources.addFiles(of: found)
        }
        // A million references are a million objects to free: a background
        // thread frees them while this one reports, or the process exits first.
        defer { FreeInBackground.hand(result) }
        let report = ValidationReport(result: result)
        let out = context.stdout
        let err = context.stderr
        context.annotate(result.diagnostics, ndjson: false)
        switch format {
        case .json:
            out.write(report.json())
        case .sarif:
            out.write(SARIFRenderer.render(result.diagnostics, policy: policy, toolVersion: PoolctlVersion.current))
        case .text:
            err.write(DiagnosticRenderer.text(result.diagnostics, sources: result.sources))
            if report.valid {
                out.write(report.summaryLine + "\n")
            }
        }
        if !report.valid {
            let count = report.summary.errors
            let scope = policies.isEmpty ? "the manifest set" : "the manifest set and its policy"
            let message = format == .text ? "poolctl: \(count) error\(count == 1 ? "" : "s") in \(scope)" : ""
            throw CommandFailure(message: message, exitCode: .error)
        }
    }
}

/// Frees a large value on a background thread: the caller drops its own
/// reference, and the last one (the thread's) goes when the thread runs.
enum FreeInBackground {
    private final class Box<Value>: @unchecked Sendable {
        var value: Value?
        init(_ value: Value) { self.value = value }
    }

    static func hand<Value>(_ value: Value) {
        let box = Box(value)
        Thread.detachNewThread { box.value = nil }
    }
}

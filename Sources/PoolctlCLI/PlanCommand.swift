import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlManifest
import PoolctlModel
import PoolctlPlan
import PoolctlRender

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compare the manifests with the live pools and show what apply would change.",
        discussion: """
            Reads every pool (pages of 1,000), then the members of only the pools this stack \
            owns or adopts, and diffs them against the manifests. Nothing is changed.

            Credentials come from the environment: TWILIO_API_KEY and TWILIO_API_SECRET, or \
            else TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.

            Exit codes:
              0  success (with --detailed-exitcode: success and no changes)
              1  error: invalid manifests, API failure, or conflicts in the plan
              2  with --detailed-exitcode: success, and there are changes
            """
    )

    @Argument(help: "Manifest files or directories.")
    var paths: [String]

    @OptionGroup var api: APIOptions

    @Option(help: "Output format: text, json or markdown (a pull-request comment).")
    var format: PlanFormat = .text

    @Option(help: ArgumentHelp("Also save the plan to this file, for 'poolctl apply FILE' and 'poolctl show FILE'.", valueName: "file"))
    var out: String?

    @Flag(help: "Exit 2 when the plan has changes, 0 when it has none.")
    var detailedExitcode = false

    @Flag(help: "Show sender addresses in Markdown instead of masking them.")
    var showAddresses = false

    mutating func run() async throws {
        let desired = try loadDesired(paths)
        let counter = CallCounter()
        let plan = try await withClient(api, counter: counter) { client in
            let live = try await Refresher(api: client, parallelism: api.parallelism).read(for: desired)
            return Planner().plan(desired: desired, live: live)
        }
        Console.standardError.write("Read the live state with \(counter.total) API call\(counter.total == 1 ? "" : "s").\n")
        try emit(plan, format: format, showAddresses: showAddresses, out: out)
        if plan.hasConflicts {
            let count = plan.summary.conflicts
            throw CommandFailure(message: "poolctl: the plan has \(count) conflict\(count == 1 ? "" : "s"); no change is planned for \(count == 1 ? "that pool" : "those pools")", exitCode: 1)
        }
        if detailedExitcode, plan.hasChanges {
            throw CommandFailure(message: "", exitCode: 2)
        }
    }
}

/// Loads manifests, printing every diagnostic; throws exit 1 when invalid.
func loadDesired(_ paths: [String]) throws -> DesiredState {
    let result = ManifestLoader().load(paths: paths)
    Console.standardError.write(DiagnosticRenderer.text(result.diagnostics, sources: result.sources))
    if ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" {
        Console.standardOutput.write(DiagnosticRenderer.githubAnnotations(result.diagnostics))
    }
    guard let desired = result.desired else {
        let count = result.diagnostics.filter { $0.severity == .error }.count
        throw CommandFailure(message: "poolctl: \(count) error\(count == 1 ? "" : "s") in the manifest set; nothing was read or changed", exitCode: 1)
    }
    return desired
}

/// Prints a plan in a format and optionally saves it.
func emit(_ plan: Plan, format: PlanFormat, showAddresses: Bool, out: String?) throws {
    let document = PlanFile(plan: plan, poolctlVersion: PoolctlVersion.current)
    switch format {
    case .text: Console.standardOutput.write(PlanRenderer.text(plan, color: Console.standardOutput.wantsColor))
    case .json: Console.standardOutput.write(document.json())
    case .markdown: Console.standardOutput.write(PlanRenderer.markdown(plan, showAddresses: showAddresses))
    }
    if let out {
        do {
            try document.write(to: out)
        } catch {
            throw CommandFailure(message: "poolctl: \(error)", exitCode: 1)
        }
        Console.standardError.write("Saved the plan to \(out). Apply exactly this plan with: poolctl apply \(out)\n")
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Render a saved plan, with no API access.",
        discussion: """
            Exit codes:
              0  success
              1  the file is missing, not a poolctl plan, or of an unknown formatVersion
            """
    )

    @Argument(help: "A plan saved with 'poolctl plan --out FILE'.")
    var file: String

    @Option(help: "Output format: text, json or markdown.")
    var format: PlanFormat = .text

    @Flag(help: "Show sender addresses in Markdown instead of masking them.")
    var showAddresses = false

    mutating func run() async throws {
        let document = try readPlanFile(file)
        try emit(document.plan, format: format, showAddresses: showAddresses, out: nil)
    }
}

func readPlanFile(_ path: String) throws -> PlanFile {
    do {
        return try PlanFile.read(path: path)
    } catch {
        throw CommandFailure(message: "poolctl: \(error)", exitCode: 1)
    }
}

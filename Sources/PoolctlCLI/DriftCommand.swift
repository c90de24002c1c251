import ArgumentParser
import PoolctlPlan
import PoolctlRender

/// `poolctl drift`: what changed outside poolctl since the last apply, for
/// scheduled jobs. Reads like `plan`, writes nothing.
struct DriftCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Report pools changed outside poolctl since the last apply; nothing is written.",
        discussion: """
            Reads the live state as plan does and compares each declared pool with the \
            poolctl-applied fingerprint that apply recorded on it: a field (name, tags, members) \
            is drift when the live pool moved away from it. A change made only in the manifests \
            is not drift. A declared pool with no live pool is listed as missing: it was never \
            applied, or it was deleted outside poolctl; without a state file the two cannot be \
            told apart. Pools without a fingerprint yet (never applied by this version) cannot \
            be judged: 'poolctl apply --baseline' records one.

            For additive pools, drift is a declared sender gone missing; senders added outside \
            poolctl are theirs to keep.

            Exit codes:
              0  no drift
              1  error: invalid manifests or usage, API failure, conflicts
              2  drift found
            """
    )

    @Argument(help: "Manifest files or directories.")
    var paths: [String]

    @OptionGroup var api: APIOptions

    @Option(help: "Output format: text, json or markdown.")
    var format: PlanFormat = .text

    func run(in context: CommandContext) async throws {
        let desired = try loadDesired(paths, context: context)
        let planned = try await api.withWorkflow(context: context) { try await $0.plan(desired: desired) }
        let plan = planned.plan
        context.stderr.write("Read the live state with \(planned.calls) API call\(planned.calls == 1 ? "" : "s").\n")
        // A pool adopted once and deleted since is `missing`, not a conflict that stops the report:
        // only that conflict (its key's, naming its adopt id alone) is set aside.
        let conflicts = plan.diagnostics.filter { $0.severity == .error && plan.missingAdoptions[$0.key ?? ""].map { [$0] } != $0.poolIDs }
        if !conflicts.isEmpty {
            for item in conflicts {
                context.stderr.write("poolctl: conflict: \(item.message)\n")
            }
            throw CommandFailure(
                message: "poolctl: the live state has conflicts, so drift cannot be told for every pool; 'poolctl plan' shows them",
                exitCode: .error)
        }
        let report = DriftReport(plan: plan)
        switch format {
        case .text: context.stdout.write(DriftRenderer.text(report))
        case .json: context.stdout.write(DriftRenderer.json(report))
        case .markdown: context.stdout.write(DriftRenderer.markdown(report))
        }
        if report.hasDrift {
            throw CommandFailure(message: "", exitCode: .changes)
        }
    }
}

import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlModel
import PoolctlRender

struct PlanCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Compare the manifests with the live pools and show what apply would change.",
        discussion: """
            Reads every pool (pages of 1,000), then the members of only the pools this stack \
            owns or adopts, and diffs them against the manifests. Nothing is changed.

            Markers: + create, ~ update, ⇐ adopt, → move (a key renamed with movedFrom: the \
            old key's pool is re-tagged, never deleted and created again), - delete. Tags named \
            in ignoreTags are not diffed after create; a PATCH keeps their live values.

            The destructive-change guard blocks a plan that deletes more than half of the \
            stack's owned pools (when it owns at least 2) or removes more than half of the \
            members of a pool of at least 10; tune it with guard: in the manifests. A blocked \
            plan is shown in full (and saved with --out) and exits 1; --allow-destructive \
            lifts the guard for one run.

            --target and --exclude make a partial plan, which says so at the top and keeps its \
            targets when saved.

            --policy FILE|DIR checks the plan against policy files: require rules against the \
            manifests, limit rules against what the plan does. A violation of an error rule \
            shows the plan and exits 1; --allow-policy RULE lifts one limit rule for this run. \
            A saved plan records the policy and its verdict, and apply re-checks them.

            Each changed field says why it differs: the manifests moved (manifest), the live \
            pool was changed outside poolctl since the last apply (drift), both, or unknown \
            (no poolctl-applied fingerprint yet). Drift is shown apart, under "Changed outside \
            poolctl".

            Credentials come from the environment: TWILIO_API_KEY and TWILIO_API_SECRET, or \
            else TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.
            """ + "\n\n" + ExitCode.help([.success, .error, .changes])
    )

    @Argument(help: "Manifest files or directories.")
    var paths: [String]

    @OptionGroup var api: APIOptions

    @Option(help: "Output format: text, json or markdown (a pull-request comment).")
    var format: PlanFormat = .text

    @Option(help: ArgumentHelp("Also save the plan to this file, for 'poolctl apply FILE' and 'poolctl show FILE'.", valueName: "file"))
    var out: String?

    @Flag(help: "Exit \(ExitCode.changes.rawValue) when the plan has changes, \(ExitCode.success.rawValue) when it has none.")
    var detailedExitcode = false

    @Flag(help: "Show sender addresses in Markdown instead of masking them.")
    var showAddresses = false

    @OptionGroup(title: "Targeting") var target: TargetOptions

    @Flag(help: "Lift the destructive-change guard for this plan; a saved plan records it, and apply then applies it.")
    var allowDestructive = false

    @Flag(help: "Plan to record the poolctl-applied fingerprint of converged pools that lack one (see apply --baseline).")
    var baseline = false

    @OptionGroup(title: "Policy") var policyOptions: PolicyOptions

    @Option(help: ArgumentHelp("Also write the policy's violations as SARIF 2.1.0 to this file, for code scanning.", valueName: "file"))
    var sarif: String?

    func run(in context: CommandContext) async throws {
        try refuseOverwritingInputs([("--out", out), ("--sarif", sarif)], inputs: paths + policyOptions.paths)
        let desired = try loadDesired(paths, context: context)
        let policy = try policyOptions.load(context: context)
        let selection = target.selection
        let allowDestructive = allowDestructive
        let baseline = baseline
        let planned = try await api.withWorkflow(context: context) {
            try await $0.plan(desired: desired, selection: selection, allowDestructive: allowDestructive, baseline: baseline)
        }
        var plan = planned.plan
        context.stderr.write("Read the live state with \(planned.calls) API call\(planned.calls == 1 ? "" : "s").\n")
        for lease in planned.leases {
            let since = lease.createdAt.map(WireTime.formatRFC3339) ?? "an unknown time"
            context.stderr.write("Note: an apply by \(lease.holder) has been running since \(since); this plan may change under it.\n")
        }
        if let policy {
            plan.policy = policyOptions.check(policy, desired: desired, plan: plan, context: context)
        }
        if let sarif {
            let text = SARIFRenderer.render(plan.policy?.verdict.diagnostics ?? [], policy: policy, toolVersion: PoolctlVersion.current)
            do {
                try OutputFile.write(Array(text.utf8), to: sarif)
            } catch {
                throw CommandFailure(message: "poolctl: cannot write SARIF to \(sarif): \(FileProblem.reason(error))", exitCode: .error)
            }
        }
        try emit(plan, format: format, showAddresses: showAddresses, out: out, context: context)
        if plan.hasConflicts {
            let count = plan.summary.conflicts
            throw CommandFailure(
                message:
                    "poolctl: the plan has \(count) conflict\(count == 1 ? "" : "s"); no change is planned for \(count == 1 ? "that pool" : "those pools")",
                exitCode: .error)
        }
        if plan.destructiveGuard.blocks {
            throw guardFailure(plan, action: "plan exits 1 and apply will refuse it")
        }
        if let outcome = plan.policy, outcome.blocks {
            throw PolicyOptions.failure(outcome.verdict, action: "plan exits 1 and apply will refuse it")
        }
        if detailedExitcode, plan.hasChanges {
            throw CommandFailure(message: "", exitCode: .changes)
        }
    }
}

import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Synchronization

enum ApplyFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct ApplyCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the live pools match the manifests, or apply a saved plan exactly.",
        discussion: """
            poolctl apply PATH...   plans, shows the plan and asks for 'yes' (on a terminal; \
            elsewhere --auto-approve is required).
            poolctl apply PLANFILE  applies a plan saved with 'plan --out' (a file named *.json, or \
            whose text starts with '{'), with no prompt: the saved plan is the reviewed artifact, as with Terraform. It first re-reads every pool the plan \
            depends on and refuses, changing nothing, if any of them changed.

            apply holds the stack's lease (a pool tagged poolctl-lease) from before its first read \
            until after its last write, so two applies of one stack never run at once; see \
            --lock-timeout, --lock-ttl and 'poolctl unlock'.

            Creates, patches and additions run first, then removals, then deletions, so a sender \
            moving between pools never leaves service. Every create carries the ownership tag; \
            when a create's outcome is unknown, poolctl looks for the pool before it retries, so \
            a pool is never duplicated. Killing apply and running it again converges.

            A plan blocked by the destructive-change guard (see 'poolctl plan --help') is refused \
            before any pool is changed, exit 1; --allow-destructive lifts the guard, also for a \
            saved plan. --target and --exclude work with PATH only: a saved plan keeps its own.

            --log-format ndjson writes one JSON event per line to stderr and nothing else (plan, \
            lease, request, retry, operation-poll, step, pool-result, diagnostic, warning, error, \
            apply-result; each with "v":1, "time" and "event"); see README.md, "Machine-readable logs".
            """ + "\n\n" + ExitCode.help([.success, .error, .partial, .stalePlan, .stackLocked, .leaseLost])
    )

    @Argument(help: "Manifest files or directories, or one saved plan file.")
    var paths: [String]

    @OptionGroup var api: APIOptions

    @OptionGroup(title: "Stack lease") var lock: LockOptions

    @Flag(help: "Apply PATH without asking for confirmation (required without a terminal). A saved plan never asks.")
    var autoApprove = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Time limit of the changes, from the first write through verification, e.g. 90s, 15m, 1h30m.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "15m")!

    @OptionGroup(title: "Targeting (apply PATH only)") var target: TargetOptions

    @Flag(help: "Lift the destructive-change guard for this run, also for a saved plan it blocked.")
    var allowDestructive = false

    @Flag(
        help: """
            Also record the poolctl-applied fingerprint of converged pools that lack one (or carry \
            a stale one), one PATCH each, so that drift can be told for them (apply PATH only).
            """)
    var baseline = false

    @OptionGroup(title: "Policy") var policyOptions: PolicyOptions

    @Option(help: "Output format of the final report: text or json.")
    var format: ApplyFormat = .text

    @OptionGroup var logging: LogOptions

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Senders per Create or Add Senders request at most (default: the API's 10,000). A batch the API refuses with 400 is halved for the rest of the run anyway.",
            valueName: "n"))
    var maxBatch: Int?

    @Option(
        help: ArgumentHelp(
            "changed: re-read members only where operations leave doubt or senders were removed; full: re-read every touched pool.",
            valueName: "mode"))
    var verify: VerifyMode = .changed

    enum VerifyMode: String, ExpressibleByArgument, CaseIterable {
        case changed, full
    }

    func validate() throws {
        if logging.format == .ndjson, api.debug {
            // Debug lines are raw HTTP (paths, queries, header names): not a format to parse, nor safe to promise.
            throw ValidationError("--debug cannot be combined with --log-format ndjson, whose request and retry events log each call")
        }
        if timeout.duration <= .zero {
            throw ValidationError("--timeout must be more than 0s: an apply with no time writes nothing and ends partial")
        }
        if let maxBatch, !(1...10_000).contains(maxBatch) {
            throw ValidationError("--max-batch must be between 1 and 10000")
        }
    }

    func run(in context: CommandContext) async throws {
        guard logging.format == .ndjson else {
            return try await run(in: context, log: nil)
        }
        // stderr stays parseable to the end: the error and the exit code are events too.
        let log = ApplyLog(console: context.stderr)
        do {
            try await run(in: context, log: log)
        } catch {
            let code = log.failed(error, context: context)
            throw CommandFailure(message: "", exitCode: code)
        }
    }

    private func run(in context: CommandContext, log: ApplyLog?) async throws {
        let inputs = try readInputs(context: context, log: log)
        // With no terminal to ask on, a plan with changes is refused at the prompt: it is made
        // without the lease (reads only, as `plan` makes it), so that refusing writes nothing.
        let cannotAsk = !autoApprove && inputs.savedPlan == nil && context.readAnswer == nil
        let outcome = try await api.withWorkflow(
            context: context, timeout: timeout.duration, attempts: APIOptions.applyAttempts, maxBatch: maxBatch, observer: log?.observer
        ) { base in
            var workflow = base
            workflow.verifyFull = verify == .full
            if let log { workflow.onOperationPoll = { log.emit(.operationPoll($0)) } }
            if cannotAsk {
                return Outcome(report: try await applyHoldingLease(nil, workflow: workflow, inputs: inputs, context: context, log: log))
            }
            return try await applyUnderLease(inputs, workflow: workflow, context: context, log: log)
        }
        try finish(outcome.report, lost: outcome.lost, renewalFailure: outcome.lease?.renewalFailure, context: context, log: log)
    }

    /// What apply works from, all read before the lease: a typo never takes the lock.
    struct Inputs: Sendable {
        var savedPlan: Plan?
        var desired: DesiredState?
        var policy: Policy?
        var stack: String
    }

    /// The saved plan or the manifests, and the policy. A saved plan that
    /// the guard or the policy blocked is refused here: no read, no write.
    private func readInputs(context: CommandContext, log: ApplyLog?) throws -> Inputs {
        let pipes = readPipes(paths)
        var savedPlan = try savedPlanArgument(pipes: pipes)?.plan
        if savedPlan != nil, !target.selection.isEmpty {
            throw CommandFailure(
                message:
                    "poolctl: --target and --exclude select pools from manifests; a saved plan keeps the targets it was made with. Nothing was read or changed.",
                exitCode: .error)
        }
        if savedPlan != nil, baseline {
            throw CommandFailure(
                message:
                    "poolctl: --baseline plans fingerprint writes from manifests; a saved plan holds the ones it was made with ('poolctl plan --baseline --out FILE'). Nothing was read or changed.",
                exitCode: .error)
        }
        let desired = savedPlan == nil ? try loadDesired(paths, alreadyRead: pipes, context: context, log: log) : nil
        // With a saved plan, --allow-policy alone lifts a rule the plan records.
        let policy = savedPlan != nil && policyOptions.paths.isEmpty ? nil : try policyOptions.load(context: context, log: log)
        if let saved = savedPlan {
            savedPlan?.policy = try policyOptions.recheck(saved, policy: policy, context: context, log: log)
        }
        let stack = savedPlan?.stack ?? desired?.stack ?? ""
        // Before the refusals below, so that their ndjson result names the stack.
        log?.stack = stack
        if allowDestructive { savedPlan?.destructiveGuard.lifted = true }
        let stdout = context.stdout
        if let saved = savedPlan, saved.destructiveGuard.blocks {
            if format == .text { stdout.write(PlanRenderer.text(saved, color: context.wantsColor(stdout))) }
            throw guardFailure(saved, action: "nothing was read or written")
        }
        if let saved = savedPlan, let outcome = saved.policy, outcome.blocks {
            if format == .text { stdout.write(PlanRenderer.text(saved, color: context.wantsColor(stdout))) }
            throw PolicyOptions.failure(outcome.verdict, action: "nothing was read or written")
        }
        return Inputs(savedPlan: savedPlan, desired: desired, policy: policy, stack: stack)
    }

    /// Prints the report and maps it to the exit code: 6 when the lease was lost, 3 when partial.
    /// `renewalFailure`: why the lease's latest renewal failed, said with an expired lease.
    private func finish(
        _ report: ApplyReport?, lost: LeaseLost?, renewalFailure: String?, context: CommandContext, log: ApplyLog?
    ) throws {
        let stdout = context.stdout
        if let lost {
            if let report { show(report, context: context) }
            // An API that stopped answering is the usual reason a lease expires: say so.
            let cause = lost.reason == .expired ? renewalFailure.map { " (its last renewal failed: \($0))" } ?? "" : ""
            let message =
                lost.reason == .goneAtRelease
                ? "poolctl: \(lost). Run 'poolctl plan' to see whether the pools are as declared."
                : "poolctl: \(lost)\(cause). Writes stopped; run 'poolctl plan' to see what is left."
            if let log {
                log.emit(.error(message, exitCode: ExitCode.leaseLost.rawValue))
                log.finished(report, exitCode: .leaseLost, outcome: "lease-lost")
                throw CommandFailure(message: "", exitCode: .leaseLost)
            }
            throw CommandFailure(message: message, exitCode: .leaseLost)
        }
        log?.finished(report)
        guard let report else {
            if format == .text { stdout.write("Nothing to apply.\n") }
            return
        }
        show(report, context: context)
        if report.outcome == .partial {
            throw CommandFailure(message: "", exitCode: .partial)
        }
    }

    /// The report on stdout, as `--format` says.
    func show(_ report: ApplyReport, context: CommandContext) {
        let stdout = context.stdout
        switch format {
        case .text: stdout.write("\n" + ApplyRenderer.text(report, color: context.wantsColor(stdout)))
        case .json: stdout.write(ApplyRenderer.json(report))
        }
    }

    /// Plans (or checks the saved plan), asks, and applies: everything after
    /// the lease is held, so the plan reflects what no other apply is changing.
    func applyHoldingLease(
        _ lease: HeldLease?, workflow: Workflow, inputs: Inputs, context: CommandContext, log: ApplyLog?
    ) async throws -> ApplyReport? {
        guard var plan = try await plan(lease, workflow: workflow, inputs: inputs) else { return nil }
        let stdout = context.stdout
        // Checked before the plan is shown, so that the printed plan and the
        // log's plan event carry the verdict, as `plan` shows it.
        if let policy = inputs.policy, let desired = inputs.desired {
            plan.policy = policyOptions.check(policy, desired: desired, plan: plan, context: context, log: log)
        }
        if format == .text {
            stdout.write(PlanRenderer.text(plan, color: context.wantsColor(stdout)))
        }
        log?.emit(.plan(plan, source: inputs.savedPlan == nil ? "manifests" : "saved-plan"))
        if plan.hasConflicts {
            throw CommandFailure(
                message: "poolctl: the plan has conflicts; resolve them and plan again. Nothing was written.", exitCode: .error)
        }
        if plan.destructiveGuard.blocks {
            throw guardFailure(plan, action: "no pool was changed")
        }
        if let outcome = plan.policy, outcome.blocks {
            throw PolicyOptions.failure(outcome.verdict, action: "no pool was changed")
        }
        guard plan.hasChanges else {
            if format == .json {
                stdout.write(ApplyRenderer.json(await workflow.apply(plan)))
            }
            return nil
        }
        // A saved plan was reviewed when it was made: only `apply PATH` asks.
        if !autoApprove, inputs.savedPlan == nil {
            try Self.confirm(context)
        }
        if context.ownsProcess { InterruptCleanup.shared.startedApplying() }
        if let log {
            let report = await workflow.apply(plan, lease: lease) { log.emit(.step($0)) }
            for pool in report.pools { log.emit(.poolResult(pool)) }
            return report
        }
        let progress = ProgressPrinter(console: context.stderr)
        let report = await workflow.apply(plan, lease: lease) { progress.handle($0) }
        progress.finish()
        return report
    }

    /// The saved plan, checked against the live state, or a plan from the manifests.
    private func plan(_ lease: HeldLease?, workflow: Workflow, inputs: Inputs) async throws -> Plan? {
        let plan: Plan
        if let saved = inputs.savedPlan {
            plan = saved
            // The lease's own listings, taken once it was visible, confirm absence for free (issue 19).
            let check = try await workflow.checkSavedPlan(plan, prior: PoolSightings(lease?.listings ?? []))
            if check.isStale {
                throw CommandFailure(
                    message: "poolctl: the saved plan is stale; nothing was written. Changed since it was made:\n"
                        + check.differences.map { "  - \($0)" }.joined(separator: "\n")
                        + "\nRun 'poolctl plan' again and review the new plan.",
                    exitCode: .stalePlan)
            }
        } else if let desired = inputs.desired {
            plan = try await workflow.plan(
                desired: desired, selection: target.selection, allowDestructive: allowDestructive,
                prior: PoolSightings(lease?.listings ?? []), baseline: baseline
            ).plan
        } else {
            return nil
        }
        return plan
    }

    private static let cannotAsk = CommandFailure(
        message:
            "poolctl: apply needs confirmation, and there is no terminal to ask on; pass --auto-approve to apply unattended, or apply a saved plan. No pool was changed, and no lease was taken.",
        exitCode: .error)

    private static func confirm(_ context: CommandContext) throws {
        guard let readAnswer = context.readAnswer else { throw cannotAsk }
        context.stdout.write("\nDo you want to apply these changes? Only 'yes' is accepted: ")
        let answer = readAnswer()?.trimmingCharacters(in: .whitespaces)
        guard answer == "yes" else {
            throw CommandFailure(
                message: "poolctl: apply cancelled. No pool was changed.", exitCode: .error)
        }
    }
}

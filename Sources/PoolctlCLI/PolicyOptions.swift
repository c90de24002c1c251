import ArgumentParser
import PoolctlManifest
import PoolctlModel
import PoolctlPlan
import PoolctlRender

/// `--policy` and `--allow-policy` of plan and apply (issue 21).
struct PolicyOptions: ParsableArguments {
    @Option(name: .customLong("policy"), help: ArgumentHelp("A policy file or directory; repeatable.", valueName: "path"))
    var paths: [String] = []

    @Option(
        name: .customLong("allow-policy"),
        help: ArgumentHelp("Lift one limit rule for this run; repeatable. Require rules cannot be lifted.", valueName: "rule-id"))
    var allowed: [String] = []

    /// The policy, or nil without `--policy`. A policy with any problem, or
    /// an `--allow-policy` that names no limit rule, is exit 1 before any
    /// API call: a policy is never skipped because it could not be read.
    func load(context: CommandContext, log: ApplyLog? = nil) throws -> Policy? {
        guard !paths.isEmpty else {
            if let first = allowed.first {
                throw CommandFailure(message: "poolctl: --allow-policy \(first) names a rule, but no --policy was given", exitCode: .error)
            }
            return nil
        }
        let result = PolicyLoader().load(paths: paths)
        report(result.diagnostics, sources: result.sources, context: context, log: log)
        guard let policy = result.policy else {
            let count = result.diagnostics.filter { $0.severity == .error }.count
            throw CommandFailure(
                message: "poolctl: \(count) error\(count == 1 ? "" : "s") in the policy; nothing was read or changed", exitCode: .error)
        }
        try checkAllowed(against: policy)
        return policy
    }

    /// Every `--allow-policy` id must name a limit rule of `policy`.
    func checkAllowed(against policy: Policy) throws {
        try Self.checkAllowed(allowed, against: policy)
    }

    static func checkAllowed(_ allowed: [String], against policy: Policy) throws {
        for id in allowed {
            guard let rule = policy.rules.first(where: { $0.id == id }) else {
                let known = policy.rules.filter { if case .limit = $0.check { true } else { false } }.map(\.id)
                let hint = known.isEmpty ? "the policy has no limit rules" : "its limit rules are \(known.joined(separator: ", "))"
                throw CommandFailure(message: "poolctl: --allow-policy \(id): no such rule in the policy; \(hint)", exitCode: .error)
            }
            if case .require = rule.check {
                throw CommandFailure(
                    message:
                        "poolctl: --allow-policy \(id): '\(id)' is a require rule, and require rules cannot be lifted; change the manifests",
                    exitCode: .error)
            }
        }
    }

    /// Checks the plan, prints every violation (as events with `log`), and
    /// returns the outcome to keep on the plan.
    func check(_ policy: Policy, desired: DesiredState, plan: Plan, context: CommandContext, log: ApplyLog? = nil) -> PolicyOutcome {
        let verdict = PolicyCheck.evaluate(policy, desired: desired, plan: plan, allowed: Set(allowed))
        print(verdict, context: context, log: log)
        return PolicyOutcome(policy: policy, allowed: allowed, verdict: verdict)
    }

    /// A saved plan's policy, checked again with the rules it records.
    /// `policy` (from `--policy`) must be those rules; a plan saved without
    /// a policy is refused with one, so the file says what it was checked
    /// against. Nil for a plan saved without a policy.
    func recheck(_ saved: Plan, policy: Policy?, context: CommandContext, log: ApplyLog?) throws -> PolicyOutcome? {
        guard let recorded = saved.policy else {
            if policy != nil || !allowed.isEmpty {
                throw CommandFailure(
                    message:
                        "poolctl: the saved plan was made without --policy, so it was not checked against one; plan again with --policy. Nothing was read or changed.",
                    exitCode: .error)
            }
            return nil
        }
        if let policy, Self.unlocated(policy.rules) != Self.unlocated(recorded.policy.rules) {
            throw CommandFailure(
                message:
                    "poolctl: the policy given is not the one the saved plan was checked against (\(recorded.policy.files.joined(separator: ", "))); plan again with this policy. Nothing was read or changed.",
                exitCode: .error)
        }
        try checkAllowed(against: recorded.policy)
        // The overrides a saved file records are checked like this run's: an
        // edited file cannot lift a require rule.
        try Self.checkAllowed(recorded.allowed, against: recorded.policy)
        let outcome = PolicyCheck.recheck(recorded, plan: saved, allowed: Set(recorded.allowed + allowed))
        print(outcome.verdict, context: context, log: log)
        return outcome
    }

    static func unlocated(_ rules: [PolicyRule]) -> [PolicyRule] {
        rules.map { rule in
            var rule = rule
            rule.location = nil
            return rule
        }
    }

    private func print(_ verdict: PolicyVerdict, context: CommandContext, log: ApplyLog?) {
        var sources = SourceFiles()
        sources.addFiles(of: verdict.diagnostics)
        report(verdict.diagnostics, sources: sources, context: context, log: log)
    }

    private func report(_ diagnostics: [Diagnostic], sources: SourceFiles, context: CommandContext, log: ApplyLog?) {
        if let log {
            for diagnostic in diagnostics { log.emit(.diagnostic(diagnostic)) }
        } else {
            context.stderr.write(DiagnosticRenderer.text(diagnostics, sources: sources))
        }
        context.annotate(diagnostics, ndjson: log != nil)
    }

    static func failure(_ verdict: PolicyVerdict, action: String) -> CommandFailure {
        let count = verdict.errors
        return CommandFailure(
            message:
                "poolctl: the policy blocked this plan: \(count) violation\(count == 1 ? "" : "s") of error rules; \(action). "
                + "--allow-policy RULE lifts a limit rule for one run.",
            exitCode: .error)
    }
}

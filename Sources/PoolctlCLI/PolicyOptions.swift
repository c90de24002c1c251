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
        return policy
    }

    /// Checks the plan, prints every violation (as events with `log`), and
    /// returns the verdict.
    func check(_ policy: Policy, desired: DesiredState, plan: Plan, context: CommandContext, log: ApplyLog? = nil) -> PolicyVerdict {
        let verdict = PolicyCheck.evaluate(policy, desired: desired, plan: plan, allowed: Set(allowed))
        var sources = SourceFiles()
        sources.addFiles(of: verdict.diagnostics)
        report(verdict.diagnostics, sources: sources, context: context, log: log)
        return verdict
    }

    private func report(_ diagnostics: [Diagnostic], sources: SourceFiles, context: CommandContext, log: ApplyLog?) {
        if let log {
            for diagnostic in diagnostics { log.emit(.diagnostic(diagnostic)) }
        } else {
            context.stderr.write(DiagnosticRenderer.text(diagnostics, sources: sources))
        }
        if context.onGitHubActions {
            context.stdout.write(DiagnosticRenderer.githubAnnotations(diagnostics))
        }
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

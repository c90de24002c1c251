import ArgumentParser
import PoolctlPlan
import PoolctlRender

/// `--target` and `--exclude` of plan and `apply PATH`.
struct TargetOptions: ParsableArguments {
    @Option(
        name: .customLong("target"),
        help: ArgumentHelp(
            "Plan only this pool key (repeatable). Prune then deletes only among the targeted keys.", valueName: "key"))
    var targets: [String] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp("Leave this pool key out of the plan (repeatable).", valueName: "key"))
    var excludes: [String] = []

    var selection: KeySelection { KeySelection(targets: targets, excludes: excludes) }
}

/// Why a plan is refused: the guard's sentences and what to do, for stderr.
func guardFailure(_ plan: Plan, action: String) -> CommandFailure {
    let violations = plan.destructiveGuard.violations
    return CommandFailure(
        message: "poolctl: the destructive-change guard blocked this plan; \(action).\n"
            + violations.map { "  - \($0.message)\n" }.joined() + PlanRenderer.guardAdvice,
        exitCode: .error)
}

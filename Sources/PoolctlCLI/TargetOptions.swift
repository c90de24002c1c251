import ArgumentParser
import PoolctlPlan

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

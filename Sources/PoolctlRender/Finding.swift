import PoolctlModel
import PoolctlPlan

/// What the guard or the policy found, shown as a block in every format.
struct Finding {
    var blocks: Bool
    var lines: [String]
    /// What to do about a blocked plan.
    var advice: String

    /// Nil when no rule is broken.
    init?(_ verdict: GuardResult) {
        guard !verdict.violations.isEmpty else { return nil }
        self.init(blocks: verdict.blocks, lines: PlanRenderer.guardLines(verdict), advice: PlanRenderer.guardAdvice)
    }

    /// Nil without `--policy` or without violations.
    init?(_ outcome: PolicyOutcome?) {
        guard let outcome, !outcome.verdict.diagnostics.isEmpty else { return nil }
        self.init(blocks: outcome.blocks, lines: PlanRenderer.policyLines(outcome), advice: PlanRenderer.policyAdvice)
    }

    init(blocks: Bool, lines: [String], advice: String) {
        self.blocks = blocks
        self.lines = lines
        self.advice = advice
    }

    /// `blocked` or `passed` heads the block, by the verdict.
    func text(blocked: String, passed: String, style: Style) -> String {
        var out = "\n" + (blocks ? style.red(blocked) : style.yellow(passed)) + "\n"
        for line in lines { out += "   - \(Printable.text(line))\n" }
        if blocks { out += "   \(advice)\n" }
        return out
    }

    /// A GitHub alert: a caution when it blocks, a note otherwise.
    func markdown(blocked: String, passed: String) -> String {
        var out = blocks ? "> [!CAUTION]\n> \(blocked)\n" : "> [!NOTE]\n> \(passed)\n"
        for line in lines { out += "> - \(PlanRenderer.escape(line))\n" }
        if blocks { out += ">\n> \(PlanRenderer.escape(advice))\n" }
        return out + "\n"
    }
}

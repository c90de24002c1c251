import ArgumentParser
import PoolctlPlan
import PoolctlRender

/// Output formats of plan and show.
enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown
}

/// Prints a plan in a format and optionally saves it.
func emit(_ plan: Plan, format: PlanFormat, showAddresses: Bool, out: String?, context: CommandContext) throws {
    let file = PlanFile(plan: plan, poolctlVersion: PoolctlVersion.current)
    let stdout = context.stdout
    switch format {
    case .text: stdout.write(PlanRenderer.text(plan, color: context.wantsColor(stdout)))
    case .json: stdout.write(file.json())
    case .markdown: stdout.write(PlanRenderer.markdown(plan, showAddresses: showAddresses))
    }
    if let out {
        do {
            try file.write(to: out)
        } catch {
            throw CommandFailure(message: "poolctl: \(error)", exitCode: .error)
        }
        if plan.hasConflicts || plan.destructiveGuard.blocks || plan.policy?.blocks == true {
            // Still worth saving, for review and 'poolctl show'; applying it is what is refused.
            context.stderr.write("Saved the plan to \(out), for review: apply will refuse it as it stands (see below).\n")
        } else {
            context.stderr.write("Saved the plan to \(out). Apply exactly this plan with: poolctl apply \(out)\n")
        }
    }
}

/// Reads a saved plan; a file that cannot be read is exit 1.
func readPlanFile(_ path: String) throws -> PlanFile {
    do {
        return try PlanFile.read(path: path)
    } catch {
        throw CommandFailure(message: "poolctl: \(error)", exitCode: .error)
    }
}

/// Why a plan is refused: the guard's sentences and what to do, for stderr.
func guardFailure(_ plan: Plan, action: String) -> CommandFailure {
    CommandFailure(
        message: "poolctl: the destructive-change guard blocked this plan; \(action).\n"
            + PlanRenderer.guardLines(plan.destructiveGuard).map { "  - \($0)\n" }.joined() + PlanRenderer.guardAdvice,
        exitCode: .error)
}

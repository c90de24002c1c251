import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Synchronization

extension ApplyCommand {
    /// The report, and why the lease was lost mid-apply (the report is still printed, then exit 6).
    struct Outcome: Sendable {
        var report: ApplyReport?
        /// Lost while the run held it, read as the run ended (before release).
        var lostWhileHeld: LeaseLost?
        /// Nil when no lease was taken (`--lock=false`, or a run that refused first).
        var lease: HeldLease?
        /// Also a lease that release found deleted by someone else.
        var lost: LeaseLost? { lostWhileHeld ?? lease?.lostAtRelease }
    }

    /// Takes the stack's lease (unless `--lock=false`) and applies while holding it.
    func applyUnderLease(
        _ inputs: Inputs, workflow: Workflow, context: CommandContext, log: ApplyLog?
    ) async throws -> Outcome {
        let stderr = context.stderr
        guard lock.enabled else {
            let warning = "--lock=false: this apply holds no lease; an apply running at the same time may duplicate pools."
            if let log { log.emit(.warning(warning)) } else { stderr.write("poolctl: warning: \(warning)\n") }
            return Outcome(report: try await applyHoldingLease(nil, workflow: workflow, inputs: inputs, context: context, log: log))
        }
        if context.ownsProcess {
            InterruptCleanup.shared.install(grace: lock.signalGrace.duration)
            InterruptCleanup.shared.showReports { [self] in show($0, context: context) }
            if let log { InterruptCleanup.shared.notify { log.interrupted($0, exitCode: $1, report: $2) } }
        }
        let stack = inputs.stack
        let settings = lock.settings(context.environment)
        // Held, `hold` clears it; a signal handler waiting on it says how acquisition ended.
        if context.ownsProcess { InterruptCleanup.shared.acquiring(stack: stack) }
        // Its own task, so that a signal while it waits for a rival's lease can cancel it.
        let attempt = Task { try await applyWithLease(inputs, workflow: workflow, settings: settings, context: context, log: log) }
        if context.ownsProcess { InterruptCleanup.shared.cancelAcquisition { attempt.cancel() } }
        do {
            return try await withTaskCancellationHandler {
                try await attempt.value
            } onCancel: {
                attempt.cancel()
            }
        } catch {
            // Taking the lease failed (or the run did): after a signal, the handler's exit code and message stand.
            if context.ownsProcess {
                InterruptCleanup.shared.acquiring(stack: nil)
                await InterruptCleanup.shared.runEnded(report: nil)
            }
            throw error
        }
    }

    private func applyWithLease(
        _ inputs: Inputs, workflow: Workflow, settings: Workflow.LockSettings, context: CommandContext, log: ApplyLog?
    ) async throws -> Outcome {
        let stack = inputs.stack
        let stderr = context.stderr
        return try await workflow.withLease(
            stack: stack, settings,
            report: { event in
                if context.ownsProcess { InterruptCleanup.shared.note(event) }
                if let log {
                    log.emit(.lease(event, stack: stack))
                } else if !event.isRoutine {
                    stderr.write("poolctl: \(event)\n")
                }
            },
            onHeld: { lease in Self.leaseHeld(lease, stack: stack, holder: settings.holder.id, stderr: stderr, log: log) }
        ) { lease in
            defer { InterruptCleanup.shared.hold(nil) }
            do {
                let report = try await applyHoldingLease(lease, workflow: workflow, inputs: inputs, context: context, log: log)
                if context.ownsProcess { await InterruptCleanup.shared.runEnded(report: report) }
                return Outcome(report: report, lostWhileHeld: lease.lost, lease: lease)
            } catch {
                if context.ownsProcess { await InterruptCleanup.shared.runEnded(report: nil) }
                // A read failed because the lease is gone: that is the cause to report.
                if error is APIError, let lost = lease.lost { throw lost }
                throw error
            }
        }
    }

    static func leaseHeld(_ lease: HeldLease, stack: String, holder: String, stderr: Console, log: ApplyLog?) {
        InterruptCleanup.shared.hold(lease)
        if let log {
            log.emit(.leaseAcquired(stack: stack, poolID: lease.poolID, holder: holder))
            return
        }
        let deleted = lease.staleDeleted.map { "\($0.holder) (\($0.poolID))" }
        if !deleted.isEmpty {
            stderr.write("poolctl: deleted stale lease\(deleted.count == 1 ? "" : "s") of \(deleted.joined(separator: ", "))\n")
        }
    }
}

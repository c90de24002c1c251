import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlEngine

/// `poolctl unlock STACK`: deletes the stack's leases, like Terraform's
/// force-unlock. For a lease whose holder is known to be dead; a live holder
/// would go on writing without one.
struct UnlockCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Delete a stack's lease, left by an apply that is known to be dead.",
        discussion: """
            apply holds a per-stack lease (a pool tagged poolctl-lease) while it works, and \
            releases it at the end, after an error and on SIGINT/SIGTERM. A holder killed with \
            SIGKILL leaves its lease until the TTL runs out (--lock-ttl, default 2m); the next \
            apply then deletes it. unlock deletes it now. Only use it when the holder is known \
            to be dead: an apply still running would go on writing without a lease.
            """ + "\n\n" + ExitCode.help([.success, .error])
    )

    @Argument(help: "The stack whose leases to delete.")
    var stack: String

    @OptionGroup var api: APIOptions

    @Flag(help: "Delete without asking for confirmation (required without a terminal).")
    var autoApprove = false

    func run(in context: CommandContext) async throws {
        try await api.withWorkflow(context: context) { workflow in
            let pools = try await workflow.api.allSenderPools().collect()
            let leases = LeaseInfo.leases(of: stack, in: pools).sorted { $0.poolID < $1.poolID }
            guard !leases.isEmpty else {
                context.stdout.write("Stack '\(stack)' has no lease.\n")
                return
            }
            for lease in leases {
                let since = lease.createdAt.map(APITimestamp.formatRFC3339) ?? "unknown"
                let expires = lease.expiresAt.map(APITimestamp.formatRFC3339) ?? "unknown"
                context.stdout.write("  lease \(lease.poolID): held by \(lease.holder) since \(since), expires \(expires)\n")
            }
            if !autoApprove {
                guard let readAnswer = context.readAnswer else {
                    throw CommandFailure(
                        message:
                            "poolctl: unlock needs confirmation, and there is no terminal to ask on; pass --auto-approve. Nothing was deleted.",
                        exitCode: .error)
                }
                context.stdout.write(
                    "Delete \(leases.count == 1 ? "this lease" : "these \(leases.count) leases")? Only 'yes' is accepted: ")
                guard readAnswer()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                    throw CommandFailure(message: "poolctl: unlock cancelled. Nothing was deleted.", exitCode: .error)
                }
            }
            let deleted = try await StackLease(api: workflow.api).unlock(stack: stack)
            context.stdout.write("Deleted \(deleted.count) lease\(deleted.count == 1 ? "" : "s") of stack '\(stack)'.\n")
        }
    }
}

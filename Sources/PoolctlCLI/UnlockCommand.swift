import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlModel

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

            It finds the leases as apply's rival check does: one listing, and more with other \
            page boundaries when the first took several pages. It deletes only the \
            leases it showed, each after a read just before the delete: a lease renewed since \
            it was shown (its holder may be alive) is shown again and asked about again (with \
            --auto-approve it is left alone, exit 1), and a pool that holds senders is never \
            deleted.
            """ + "\n\n" + ExitCode.help([.success, .error])
    )

    @Argument(help: "The stack whose leases to delete.")
    var stack: String

    @OptionGroup var api: APIOptions

    @Flag(help: "Delete without asking for confirmation (required without a terminal).")
    var autoApprove = false

    func validate() throws {
        // No stack can hold a lease under a name manifests refuse: say so rather than "no lease".
        guard ResourceName.isValid(stack) else {
            throw ValidationError("invalid stack '\(stack)': use \(ResourceName.rule)")
        }
    }

    func run(in context: CommandContext) async throws {
        try await api.withWorkflow(context: context) { workflow in
            let locks = StackLease(api: workflow.api)
            var shown = try await locks.leases(of: stack).sorted { $0.poolID < $1.poolID }
            guard !shown.isEmpty else {
                context.stdout.write("Stack '\(stack)' has no lease.\n")
                return
            }
            var deleted = 0
            var refused: [String] = []
            // Only the leases shown are deleted; one renewed since it was shown
            // (its holder may be alive) is shown again and asked about again.
            while !shown.isEmpty {
                show(shown, context: context)
                try confirm(shown.count, context: context)
                var renewed: [LeaseInfo] = []
                for (_, result) in try await locks.unlock(shown) {
                    switch result {
                    case .deleted, .gone: deleted += 1
                    case .renewed(let fresh): renewed.append(fresh)
                    case .refused(let reason): refused.append(reason)
                    }
                }
                if !renewed.isEmpty {
                    let ids = renewed.map(\.poolID).joined(separator: ", ")
                    guard !autoApprove else {
                        refused.append(
                            "\(ids) \(renewed.count == 1 ? "was" : "were") renewed since shown, so \(renewed.count == 1 ? "its holder is" : "their holders are") probably alive; not deleted under --auto-approve (run unlock again to decide)"
                        )
                        break
                    }
                    context.stdout.write("Renewed since shown, so the holder may still be running:\n")
                }
                shown = renewed
            }
            context.stdout.write("Deleted \(deleted) lease\(deleted == 1 ? "" : "s") of stack '\(stack)'.\n")
            if !refused.isEmpty {
                throw CommandFailure(message: refused.map { "poolctl: \($0)" }.joined(separator: "\n"), exitCode: .error)
            }
        }
    }

    private func show(_ leases: [LeaseInfo], context: CommandContext) {
        for lease in leases {
            let since = lease.createdAt.map(WireTime.formatRFC3339) ?? "unknown"
            let expires = lease.expiresAt.map(WireTime.formatRFC3339) ?? "unknown"
            context.stdout.write("  lease \(lease.poolID): held by \(lease.holder) since \(since), expires \(expires)\n")
        }
    }

    private func confirm(_ count: Int, context: CommandContext) throws {
        guard !autoApprove else { return }
        guard let readAnswer = context.readAnswer else {
            throw CommandFailure(
                message:
                    "poolctl: unlock needs confirmation, and there is no terminal to ask on; pass --auto-approve. Nothing was deleted.",
                exitCode: .error)
        }
        context.stdout.write("Delete \(count == 1 ? "this lease" : "these \(count) leases")? Only 'yes' is accepted: ")
        guard readAnswer()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            throw CommandFailure(message: "poolctl: unlock cancelled. Nothing was deleted.", exitCode: .error)
        }
    }
}

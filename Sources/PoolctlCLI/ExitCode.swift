/// poolctl's exit codes, each with the one line that explains it in
/// `--help`, in the README's "Exit codes" table and in the error funnel.
/// (Not ArgumentParser's `ExitCode`: this module's type shadows it here.)
public enum ExitCode: Int32, CaseIterable, Sendable {
    case success = 0
    case error = 1
    /// Usage errors exit 1 too: 2 is taken by "changes" under --detailed-exitcode.
    case changes = 2
    case partial = 3
    case stalePlan = 4
    case stackLocked = 5
    case leaseLost = 6

    /// One line, short enough for an 80-column `--help`.
    public var meaning: String {
        switch self {
        case .success: return "success (plan --detailed-exitcode: success and no changes)"
        case .error: return "error: invalid manifests or usage, API failure, conflicts, not approved"
        case .changes: return "plan --detailed-exitcode: success, with changes; drift: drift found"
        case .partial: return "apply partial: some pools did not converge; each is listed"
        case .stalePlan: return "apply PLANFILE: the saved plan is stale; nothing was written"
        case .stackLocked: return "apply: another apply holds the stack's lease; nothing was written"
        case .leaseLost: return "apply: the lease was lost (expired, or deleted by someone else)"
        }
    }

    /// The "Exit codes:" block of a command's `--help` discussion.
    /// A command that never exits 2 shows 0 as plain success.
    static func help(_ codes: [ExitCode]) -> String {
        let plain = !codes.contains(.changes)
        return "Exit codes:\n"
            + codes.map { "  \($0.rawValue)  \(plain && $0 == .success ? "success" : $0.meaning)" }.joined(separator: "\n")
    }
}

import ArgumentParser
import PoolctlAPI
import PoolctlEngine
import PoolctlPlan
import PoolctlRender

/// An error the command has already explained; carries the exit code.
struct CommandFailure: Error {
    var message: String
    var exitCode: ExitCode
}

/// The error funnel: maps any error to what the user sees and the exit code.
enum ErrorReport {
    static func report(_ error: Error, to context: CommandContext) -> ExitCode {
        let (message, code) = describe(error, context: context)
        if !message.isEmpty {
            context.stderr.write(message.hasSuffix("\n") ? message : message + "\n")
        }
        return code
    }

    /// A command whose output could not all be written (a full disk, an I/O
    /// error; not a reader that stopped early) has not done its job, even when it succeeded: a
    /// truncated plan or export must not pass for a whole one. Exit codes
    /// that already say something went wrong are kept.
    /// stderr counts too: with `--log-format ndjson` it is the event log.
    static func checkOutput(of context: CommandContext, code: ExitCode) -> ExitCode {
        let stdout = context.stdout.writeFailure
        guard stdout != nil || context.stderr.writeFailure != nil else { return code }
        if let stdout {
            context.stderr.write("poolctl: the output could not all be written to stdout (\(stdout)), so it is incomplete.\n")
        }
        return code == .success || code == .changes ? .error : code
    }

    static func describe(_ error: Error, context: CommandContext) -> (message: String, code: ExitCode) {
        switch error {
        case let failure as CommandFailure:
            return (failure.message, failure.exitCode)
        case let locked as StackLocked:
            let advice =
                locked.waited.map {
                    "It was still held after waiting \(Self.seconds($0)); run apply again later or with a longer --lock-timeout"
                }
                ?? "Wait and run apply again, pass --lock-timeout to wait for it"
            return (
                """
                poolctl: \(locked); nothing was written.
                \(advice), or, if that apply is known to be dead, run 'poolctl unlock \(locked.stack)'.
                """, .stackLocked
            )
        case let targeting as TargetingError:
            // Raised after the pool listing, before any member is read or anything written.
            return (targeting.problems.map { "poolctl: \($0)" }.joined(separator: "\n") + "\nNothing was changed.", .error)
        case let lost as LeaseLost:
            return ("poolctl: \(lost). Writes stopped; run 'poolctl plan' to see what is left.", .leaseLost)
        case let error as APIError:
            // Before any write for plan and validate; apply reports its own partial state.
            // The API's own message may carry anything: keep it off the terminal's controls.
            var message = "poolctl: " + Printable.text(String(describing: error))
            if error.status == 401 {
                message += "\nCheck TWILIO_API_KEY/TWILIO_API_SECRET or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN, and --api-url."
            } else if error.status == 403 {
                message += "\nThe credentials were accepted but may not make this call: check the API key's permissions, and --api-url."
            } else if error.kind == .unreachable, error.message.contains(" through the proxy at ") {
                message += "\nCheck --api-url (or POOLCTL_API_URL), HTTPS_PROXY and NO_PROXY, and that the proxy and the API are up."
            } else if error.kind == .unreachable {
                message += "\nCheck --api-url (or POOLCTL_API_URL) and that the API is up."
            }
            return (message, .error)
        default:
            // ArgumentParser's own errors: help, version, usage mistakes.
            let message = Poolctl.fullMessage(for: error)
            if Poolctl.exitCode(for: error).isSuccess {
                context.stdout.write(message.hasSuffix("\n") || message.isEmpty ? message : message + "\n")
                return ("", .success)
            }
            return (message, .error)
        }
    }

    /// `250 ms`, `42 s`, `3 min 5 s`.
    static func seconds(_ duration: Duration) -> String {
        let total = Int(duration.components.seconds)
        if total == 0 { return "\(duration.inMilliseconds) ms" }
        return total >= 60 ? "\(total / 60) min" + (total % 60 > 0 ? " \(total % 60) s" : "") : "\(total) s"
    }
}

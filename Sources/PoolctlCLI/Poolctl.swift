import ArgumentParser
import Foundation
import PoolctlAPI

/// The `poolctl` root command.
public struct Poolctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "poolctl",
        abstract: "Manage Twilio Comms API SenderPools as code.",
        discussion: """
            poolctl reads YAML manifests that declare SenderPools, their tags and their \
            sender memberships, checks them offline (validate), compares them with the live \
            account (plan) and makes the account match (apply). The emulator is a local copy \
            of the API for CI rehearsals.

            Exit codes:
              0  success
              1  error: invalid manifests, usage error, API failure, conflicts, not approved
              2  plan --detailed-exitcode: there are changes
              3  apply: partial, some pools did not converge
              4  apply PLANFILE: the plan is stale, nothing was written
            """,
        version: PoolctlVersion.current,
        subcommands: [ValidateCommand.self, PlanCommand.self, ShowCommand.self, ApplyCommand.self, EmulatorCommand.self]
    )

    public init() {}
}

/// The version printed by `--version` and recorded in saved plans.
public enum PoolctlVersion {
    public static let current = "0.1.0"
}

/// The process entry point: parses, runs, and maps every error to a message
/// and an exit code in one place.
public enum PoolctlMain {
    public static func main(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        do {
            var command = try Poolctl.parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch {
            let (message, code) = ErrorReport.describe(error)
            if !message.isEmpty {
                Console.standardError.write(message.hasSuffix("\n") ? message : message + "\n")
            }
            exit(code)
        }
    }
}

/// Maps any error to what the user sees and the exit code.
enum ErrorReport {
    static func describe(_ error: Error) -> (message: String, code: Int32) {
        switch error {
        case let failure as CommandFailure:
            return (failure.message, failure.exitCode)
        case let error as APIError:
            // Before any write for plan and validate; apply reports its own partial state.
            var message = "poolctl: \(error)"
            if error.status == 401 {
                message += "\nCheck TWILIO_API_KEY/TWILIO_API_SECRET or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN, and --api-url."
            }
            return (message, 1)
        default:
            // ArgumentParser's own errors: help, version, usage mistakes.
            let code = Poolctl.exitCode(for: error).rawValue
            let message = Poolctl.fullMessage(for: error)
            if code == 0 {
                Console.standardOutput.write(message.hasSuffix("\n") || message.isEmpty ? message : message + "\n")
                return ("", 0)
            }
            // Usage errors exit 1: 2 means "changes" under plan --detailed-exitcode.
            return (message, 1)
        }
    }
}

/// An error the command has already explained; carries the exit code.
struct CommandFailure: Error {
    var message: String
    var exitCode: Int32
}

/// Where commands write. The only place that touches the process streams.
struct Console: Sendable {
    let handle: FileHandle

    static let standardOutput = Console(handle: .standardOutput)
    static let standardError = Console(handle: .standardError)

    func write(_ text: String) {
        handle.write(Data(text.utf8))
    }

    var isTerminal: Bool { isatty(handle.fileDescriptor) == 1 }
}

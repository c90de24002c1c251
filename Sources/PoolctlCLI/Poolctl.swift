import ArgumentParser
import Foundation

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
            """ + "\n\n" + ExitCode.help(ExitCode.allCases),
        version: PoolctlVersion.current,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, ShowCommand.self, ApplyCommand.self, DriftCommand.self, ExportCommand.self,
            UnlockCommand.self,
            EmulatorCommand.self,
        ]
    )

    public init() {}
}

/// The version printed by `--version` and recorded in saved plans.
public enum PoolctlVersion {
    public static let current = "0.2.0-dev"
}

/// The process entry point.
public enum PoolctlMain {
    /// Runs poolctl on the process's arguments and streams, then exits.
    public static func main() async -> Never {
        // `poolctl apply | head` must not kill an apply half-way (and leave
        // its lease behind): a closed reader becomes a write error, which the
        // console records, and the command runs to its end.
        signal(SIGPIPE, SIG_IGN)
        let code = await run(arguments: Array(CommandLine.arguments.dropFirst()), context: .process)
        exit(code.rawValue)
    }

    /// Parses and runs one command, writing only to `context`, and maps
    /// every error to a message and an exit code in one place. Never exits.
    public static func run(arguments: [String], context: CommandContext) async -> ExitCode {
        let code: ExitCode
        do {
            var command = try Poolctl.parseAsRoot(arguments)
            if let command = command as? ContextCommand {
                try await command.run(in: context)
            } else {
                // ArgumentParser's own: the bare root and `help`, which throw
                // a help request that the funnel prints.
                try command.run()
            }
            code = .success
        } catch {
            code = ErrorReport.report(error, to: context)
        }
        return ErrorReport.checkOutput(of: context, code: code)
    }
}

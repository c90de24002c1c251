import Foundation
import Testing

@testable import PoolctlCLI

/// Output that could not be written is a failure, not a success with
/// nothing to show: a plan posted for review, or an export, must be whole.
@Suite struct OutputFailureTests {
    /// Runs poolctl with stdout on /dev/full, where every write fails with ENOSPC.
    private static func runOnAFullDisk(_ arguments: [String]) async throws -> Outcome {
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0, "no /dev/full")
        defer { close(full) }
        let stderr = Captured()
        let context = CommandContext(stdout: Console(fileDescriptor: full), stderr: stderr.console, environment: [:])
        let code = await PoolctlMain.run(arguments: arguments, context: context)
        stderr.finish()
        return Outcome(code: code, stdout: "", stderr: stderr.value)
    }

    @Test func aCommandWhoseOutputWasLostExits1AndSaysSo() async throws {
        try await withFiles(["web.yaml": manifest(["alpha": "{name: Alpha}"])]) { directory in
            let outcome = try await Self.runOnAFullDisk(["validate", directory.path])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(
                outcome.stderr.contains(
                    "poolctl: the output could not all be written to stdout (No space left on device), so it is incomplete."),
                "\(outcome)")
        }
    }

    /// Success and "changes" become 1; a code that already says what went
    /// wrong (partial, stale, locked, lost) is kept.
    @Test(arguments: [
        (ExitCode.success, ExitCode.error), (.changes, .error), (.error, .error), (.partial, .partial), (.stalePlan, .stalePlan),
        (.stackLocked, .stackLocked), (.leaseLost, .leaseLost),
    ])
    func anExitCodeThatAlreadySaysWhatWentWrongIsKept(code: ExitCode, expected: ExitCode) throws {
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0, "no /dev/full")
        defer { close(full) }
        let context = CommandContext(stdout: Console(fileDescriptor: full), stderr: Captured().console, environment: [:])
        #expect(ErrorReport.checkOutput(of: context, code: code) == code, "nothing was lost yet")
        context.stdout.write("report\n")
        #expect(ErrorReport.checkOutput(of: context, code: code) == expected)
    }

    /// With `--log-format ndjson`, stderr is the event log: losing it fails the run too.
    @Test func aLostStderrAlsoFailsARunThatSucceeded() throws {
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0, "no /dev/full")
        defer { close(full) }
        let context = CommandContext(stdout: Captured().console, stderr: Console(fileDescriptor: full), environment: [:])
        #expect(ErrorReport.checkOutput(of: context, code: .success) == .success, "nothing was lost yet")
        context.stderr.write("{\"event\":\"apply-result\"}\n")
        #expect(ErrorReport.checkOutput(of: context, code: .success) == .error)
        #expect(ErrorReport.checkOutput(of: context, code: .partial) == .partial)
    }

    @Test func aConsoleRecordsAFailedWriteButNotAnEmptyOne() throws {
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0, "no /dev/full")
        defer { close(full) }
        let console = Console(fileDescriptor: full)
        #expect(console.writeFailure == nil)
        console.write("")
        #expect(console.writeFailure == nil, "writing nothing cannot fail")
        console.write("plan\n")
        console.write("more\n")
        #expect(console.writeFailure == "No space left on device")
    }
}

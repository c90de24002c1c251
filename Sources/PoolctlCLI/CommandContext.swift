import Foundation
import PoolctlModel
import PoolctlRender
import Synchronization

/// Everything a command reads from or writes to the outside world. The
/// process passes its own streams and environment; tests pass captured ones
/// and run commands in-process.
public struct CommandContext: Sendable {
    public var stdout: Console
    public var stderr: Console
    /// Credentials, POOLCTL_API_URL, NO_COLOR, GITHUB_ACTIONS.
    public var environment: [String: String]
    /// Reads the answer to a confirmation prompt; nil when there is no
    /// terminal to ask on.
    public var readAnswer: (@Sendable () -> String?)?
    /// Whether a command may install process-wide signal handlers (the
    /// process itself, not in-process tests).
    public var ownsProcess = false
    /// The API client's waits between attempts; in-process tests shorten them.
    public var retryBackoff = Backoff.apiRetries

    public init(stdout: Console, stderr: Console, environment: [String: String], readAnswer: (@Sendable () -> String?)? = nil) {
        self.stdout = stdout
        self.stderr = stderr
        self.environment = environment
        self.readAnswer = readAnswer
    }

    /// The process's own streams, environment and terminal.
    public static var process: CommandContext {
        var readAnswer: (@Sendable () -> String?)?
        if isatty(STDIN_FILENO) == 1 {
            readAnswer = { readLine(strippingNewline: true) }
        }
        var context = CommandContext(
            stdout: Console(fileDescriptor: STDOUT_FILENO), stderr: Console(fileDescriptor: STDERR_FILENO),
            environment: ProcessInfo.processInfo.environment, readAnswer: readAnswer)
        context.ownsProcess = true
        return context
    }

    /// Colour only on a terminal, and never with NO_COLOR set.
    func wantsColor(_ console: Console) -> Bool {
        console.isTerminal && (environment["NO_COLOR"] ?? "").isEmpty
    }

    var onGitHubActions: Bool { environment["GITHUB_ACTIONS"] == "true" }

    /// On GitHub Actions, the diagnostics as `::error`/`::warning` workflow
    /// commands. The runner reads them from stderr as well as stdout, and
    /// stdout may be a JSON, SARIF or Markdown document they would corrupt.
    /// With `--log-format ndjson` stderr is the event stream, so none are
    /// written: the events carry the same diagnostics.
    func annotate(_ diagnostics: [Diagnostic], ndjson: Bool) {
        guard onGitHubActions, !ndjson, !diagnostics.isEmpty else { return }
        stderr.write(DiagnosticRenderer.githubAnnotations(diagnostics))
    }
}

/// Where a command writes: a sink for text, whether it is a terminal, and
/// the first write that failed.
public struct Console: Sendable {
    public let isTerminal: Bool
    private let sink: @Sendable (String) -> Void
    private let failure: FirstFailure?

    public init(isTerminal: Bool = false, sink: @escaping @Sendable (String) -> Void) {
        self.isTerminal = isTerminal
        self.sink = sink
        failure = nil
    }

    /// A process stream. The only place that touches them. A write that
    /// fails (a full disk) does not stop the command, which may be in the
    /// middle of an apply: it is recorded, and the exit code then says the
    /// output is incomplete (`writeFailure`).
    init(fileDescriptor: Int32) {
        isTerminal = isatty(fileDescriptor) == 1
        let failure = FirstFailure()
        self.failure = failure
        sink = { text in
            guard let problem = Self.write(text, to: fileDescriptor) else { return }
            failure.problem.withLock { $0 = $0 ?? problem }
        }
    }

    public func write(_ text: String) {
        sink(text)
    }

    /// Why a write to this stream failed, the first time one did; nil when
    /// every write succeeded.
    public var writeFailure: String? { failure?.problem.withLock { $0 } }

    /// Writes all of `text`, or returns why it could not. A reader that
    /// stopped reading (EPIPE: `| head`, `| grep -q`) chose to: not a failure.
    private static func write(_ text: String, to fileDescriptor: Int32) -> String? {
        guard let failed = OutputFile.writeAll(Array(text.utf8), to: fileDescriptor), failed != EPIPE else { return nil }
        return String(cString: strerror(failed))
    }
}

/// A stream's first failed write, shared by every copy of its `Console`.
private final class FirstFailure: Sendable {
    let problem = Mutex<String?>(nil)
}

import Foundation
import PoolctlAPIHTTP
import PoolctlEngine
import PoolctlRender
import Synchronization

/// `apply --log-format ndjson`: every event as one JSON line on stderr, and
/// nothing else there. Events come from many tasks at once (requests, polls,
/// the lease's renewal), so each line is written whole under a lock.
final class ApplyLog: Sendable {
    private let console: Console
    private let now: @Sendable () -> Date
    private let started = ContinuousClock.now
    /// Requests and retries seen, for `apply-result`, and whether it was
    /// written; the lock also orders writes.
    private let state = Mutex<(requests: Int, retries: Int, closed: Bool)>((0, 0, false))
    private let stackName = Mutex<String?>(nil)

    /// The stack once known (nil before the manifests or plan are read).
    var stack: String? {
        get { stackName.withLock { $0 } }
        set { stackName.withLock { $0 = newValue } }
    }

    init(console: Console, now: @escaping @Sendable () -> Date = { Date() }) {
        self.console = console
        self.now = now
    }

    /// Nothing follows `apply-result`: not the partial run's exit, nor the
    /// requests of a run still going when a signal's handler ends it.
    func emit(_ event: ApplyLogEvent) {
        let line = event.line(at: now())
        state.withLock { state in
            guard !state.closed else { return }
            if event.kind == .request { state.requests += 1 }
            if event.kind == .retry { state.retries += 1 }
            if event.kind == .applyResult { state.closed = true }
            console.write(line)
        }
    }

    /// The client's hook: every attempt and retry becomes an event.
    var observer: RequestObserver { { [self] in observe($0) } }

    func observe(_ observation: RequestObservation) {
        switch observation {
        case .attempt(let attempt):
            emit(
                .request(
                    endpoint: attempt.endpoint.rawValue, poolID: attempt.poolID, attempt: attempt.attempt, status: attempt.status,
                    error: attempt.failure?.rawValue, durationMS: Int(attempt.durationMS)))
        case .retry(let retry):
            emit(
                .retry(
                    endpoint: retry.endpoint.rawValue, poolID: retry.poolID, attempt: retry.attempt, reason: retry.reason.rawValue,
                    status: retry.status, delayMS: Int(retry.delayMS), retryAfterMS: retry.retryAfterMS.map { Int($0) }))
        }
    }

    /// The last line of a run that ended without an error.
    /// `exitCode` and `outcome` override the report's (a lost lease: 6, `lease-lost`).
    func finished(_ report: ApplyReport?, exitCode: ExitCode? = nil, outcome: String? = nil) {
        let outcome = outcome ?? report.map { $0.outcome == .partial ? "partial" : "converged" } ?? "no-changes"
        let code: ExitCode = exitCode ?? (report?.outcome == .partial ? .partial : .success)
        result(outcome: outcome, exitCode: code.rawValue, report: report)
    }

    /// An error becomes an `error` line (unless the text mode would print
    /// nothing) and the last line; returns the exit code it maps to.
    func failed(_ error: Error, context: CommandContext) -> ExitCode {
        let (message, code) = ErrorReport.describe(error, context: context)
        // A partial run's exit code comes after its result line.
        if state.withLock({ $0.closed }) { return code }
        let trimmed = message.trimmingCharacters(in: .newlines)
        if !trimmed.isEmpty { emit(.error(trimmed, exitCode: code.rawValue)) }
        result(outcome: "error", exitCode: code.rawValue, report: nil)
        return code
    }

    /// SIGINT or SIGTERM: the process exits with `exitCode` right after.
    /// `report`: the run's, when it ended in time (its pools are logged already).
    func interrupted(_ message: String?, exitCode: Int32, report: ApplyReport? = nil) {
        emit(.error("poolctl: " + (message ?? "interrupted"), exitCode: exitCode))
        result(outcome: "interrupted", exitCode: exitCode, report: report)
    }

    private func result(outcome: String, exitCode: Int32, report: ApplyReport?) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Int(elapsed.inMilliseconds)
        let (requests, retries) = state.withLock { ($0.requests, $0.retries) }
        emit(
            .applyResult(
                stack: stack, outcome: outcome, exitCode: exitCode, apiCalls: requests, retries: retries, durationMS: milliseconds,
                report: report))
    }
}

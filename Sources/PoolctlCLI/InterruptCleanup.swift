import Foundation
import PoolctlEngine
import Synchronization

/// On SIGINT or SIGTERM: stops writes (the lease's guard refuses every new
/// one), waits up to `grace` (`--signal-grace`, default 30 s) for the API
/// operations in flight to finish and, once the run has begun writing, for
/// it to end (it only reads by then), then releases the lease, shows the
/// run's report (what was and was not done) and exits 128 + the signal. If
/// a create is still running when the grace period ends, the lease is kept
/// and left to expire: its pool may not be visible yet, and a rival apply
/// could duplicate it. A second signal exits at once. Installed by the
/// process entry point only, never in in-process tests.
final class InterruptCleanup: Sendable {
    static let shared = InterruptCleanup()
    /// How long a signal waits for operations in flight by default (README, "Stack lease").
    static let defaultGrace: Duration = .seconds(30)
    private let grace = Mutex(InterruptCleanup.defaultGrace)
    /// Written once, by `install()` at start-up, and kept only so the
    /// sources stay alive: never read concurrently.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// What the handler and the run share, under one lock, so that exactly
    /// one of them ends the process, and a signal sees the lease being taken
    /// or held, never neither.
    private struct Ending {
        var lease: HeldLease?
        /// The stack whose lease is being taken: a signal then waits (up to
        /// the grace) for the lease to be held and releases it, or for
        /// acquisition to end (it withdraws its own lease on failure),
        /// instead of leaving a lease that locks the stack until its TTL.
        var acquiring: String?
        /// Stops that acquisition (it withdraws its own lease): a signal
        /// need not wait out a rival's lease, up to --lock-timeout.
        var cancelAcquisition: (@Sendable () -> Void)?
        /// A signal came: the handler ends the process.
        var handling = false
        /// The run has begun writing: only then is its end waited for
        /// (before, it plans or asks for confirmation, and a prompt never ends).
        var applying = false
        /// The run ended; `report` is its report when the handler ends the process.
        var ended = false
        var report: ApplyReport?
        /// The run ended before any signal: it prints its report and releases the lease itself.
        var runOwns = false
        /// The process is being ended: one caller of `say` only.
        var saying = false
        /// Leases of this run that could not be deleted (`LeaseEvent`s):
        /// an interrupted acquisition must not say it left nothing.
        var leasesLeft: Set<String> = []
    }

    private let ending = Mutex(Ending())

    func hold(_ held: HeldLease?) {
        let handling = ending.withLock { state in
            state.lease = held
            state.acquiring = nil
            state.cancelAcquisition = nil
            return state.handling
        }
        // Taken after a signal: no write may start under it.
        if handling { held?.stopWrites() }
    }

    func acquiring(stack: String?) {
        ending.withLock { state in
            state.acquiring = stack
            if stack == nil { state.cancelAcquisition = nil }
        }
    }

    /// Keeps track of the leases of this run that could not be deleted.
    func note(_ event: LeaseEvent) {
        ending.withLock { state in
            switch event {
            case .extraLeaseNotDeleted(let poolID, _): state.leasesLeft.insert(poolID)
            case .releaseFailed(let failed): state.leasesLeft.insert(failed.poolID)
            case .extraLeaseDeleted(let poolID), .released(let poolID): state.leasesLeft.remove(poolID)
            default: break
            }
        }
    }

    /// How to stop the acquisition under way; at once when a signal came already.
    func cancelAcquisition(with cancel: @escaping @Sendable () -> Void) {
        let now = ending.withLock { state in
            guard state.acquiring != nil else { return false }
            state.cancelAcquisition = cancel
            return state.handling
        }
        if now { cancel() }
    }

    /// Says what happened instead of the plain text line (`--log-format
    /// ndjson`): the message (nil when no lease was held), the exit code, and
    /// the report shown (nil when the run had not ended, or had nothing to apply).
    typealias Notice = @Sendable (String?, Int32, ApplyReport?) -> Void
    private let notice = Mutex<Notice?>(nil)
    /// Prints the run's report on stdout, as `--format` says.
    private let printer = Mutex<(@Sendable (ApplyReport) -> Void)?>(nil)

    func notify(_ body: @escaping Notice) {
        notice.withLock { $0 = body }
    }

    func showReports(_ body: @escaping @Sendable (ApplyReport) -> Void) {
        printer.withLock { $0 = body }
    }

    func startedApplying() {
        ending.withLock { $0.applying = true }
    }

    /// The run ended, with `report` (nil when it had nothing to apply or
    /// failed). After a signal the handler owns the ending (release or keep,
    /// show the report, exit 128 + signal), and the run waits here for it.
    /// The first call decides; a later one (an error rethrown outward) is a no-op.
    func runEnded(report: ApplyReport?) async {
        let handlerOwns = ending.withLock { state in
            guard !state.ended else { return false }
            state.ended = true
            if state.handling { state.report = report } else { state.runOwns = true }
            return state.handling
        }
        guard handlerOwns else { return }
        // Never resumed: the handler exits the process. (Not a sleep loop: a
        // cancelled task's sleep throws at once, and the loop would spin.)
        await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
    }

    private let installed = Mutex(false)

    /// Idempotent: the first call installs the handlers; `grace` is the
    /// latest call's.
    func install(grace: Duration = InterruptCleanup.defaultGrace) {
        self.grace.withLock { $0 = grace }
        guard
            installed.withLock({ done in
                defer { done = true }
                return !done
            })
        else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in handle(signal: number) }
            source.resume()
            Self.sources.append(source)
        }
    }

    private func handle(signal number: Int32) {
        let (second, runOwns, held, acquiring, cancel, report) = ending.withLock { state in
            defer { state.handling = true }
            return (state.handling, state.runOwns, state.lease, state.acquiring, state.cancelAcquisition, state.report)
        }
        if second {
            let expiry = held.map { " The lease \($0.poolID) expires at \(LeaseReleaseFailed.rfc3339($0.expiresAt))." } ?? ""
            say("second signal: exiting without waiting.\(expiry)", code: 128 + number, report: report)
        }
        // The run has ended and is finishing: its report and its lease's release are its own.
        if runOwns {
            if notice.withLock({ $0 }) == nil {
                FileHandle.standardError.write(Data("\npoolctl: the apply has ended; finishing (a second signal exits at once)\n".utf8))
            }
            return
        }
        held?.stopWrites()
        let grace = self.grace.withLock { $0 }
        let taking = held == nil ? acquiring : nil
        if taking != nil { cancel?() }
        let until = ContinuousClock.now + grace
        Task {
            var message: String?
            var report: ApplyReport?
            if let held { (message, report) = await self.finish(held, grace: grace, until: until) }
            if let taking { message = await self.finishAcquiring(stack: taking, grace: grace) }
            self.say(message, code: 128 + number, report: report)
        }
    }

    /// Waits until the run has ended, or `until`; its report if it has.
    private func waitForRunToEnd(until: ContinuousClock.Instant) async -> (ended: Bool, report: ApplyReport?) {
        while true {
            let (ended, report) = ending.withLock { ($0.ended, $0.report) }
            if ended || ContinuousClock.now >= until { return (ended, report) }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// A signal while the lease is being taken: waits up to `grace` for it
    /// to be held (then releases it, nothing written) or for acquisition to
    /// end; returns what to say.
    private func finishAcquiring(stack: String, grace: Duration) async -> String {
        let clock = ContinuousClock()
        let until = clock.now + grace
        while clock.now < until {
            let (held, taking, left) = ending.withLock { ($0.lease, $0.acquiring, $0.leasesLeft.sorted()) }
            if let held {
                held.stopWrites()
                do {
                    try await held.release()
                    return "interrupted while taking the lease of stack '\(stack)'; it was taken, then released. Nothing else was written."
                } catch {
                    return "interrupted while taking the lease of stack '\(stack)'; nothing else was written, but \(error)"
                }
            }
            if taking == nil, !left.isEmpty {
                return
                    "interrupted while taking the lease of stack '\(stack)'; it was not taken, but its lease pool \(left.joined(separator: ", ")) may be left (a delete of it failed): if so, it locks the stack until it expires after --lock-ttl, and 'poolctl unlock \(stack)' removes it now. Nothing else was written."
            }
            if taking == nil {
                return
                    "interrupted while taking the lease of stack '\(stack)'; it was not taken, and no lease of this run was found left (one a lagging list did not show yet would expire after --lock-ttl). Nothing else was written."
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return
            "interrupted while taking the lease of stack '\(stack)'; it was still being taken after \(grace), so a lease pool may be left: it expires after --lock-ttl, and 'poolctl unlock \(stack)' removes it now. Nothing else was written."
    }

    /// Waits for operations in flight and, once the run has begun writing,
    /// for it to end (by `until`); then releases or keeps the lease. Returns
    /// what to say, and the run's report as it was when the wait ended.
    private func finish(_ held: HeldLease, grace: Duration, until: ContinuousClock.Instant) async -> (String, ApplyReport?) {
        let running = await held.waitForOperations(grace: grace)
        guard running.isEmpty else {
            await held.keep(for: running)
            let ids = running.map(\.reference.id).joined(separator: ", ")
            return (
                "interrupted; create operation\(running.count == 1 ? "" : "s") \(ids) still running after \(grace), so the lease \(held.poolID) of stack '\(held.stack)' is kept: another apply could otherwise duplicate a pool that is not visible yet. It expires at \(LeaseReleaseFailed.rfc3339(held.expiresAt)); run 'poolctl plan' after that.",
                nil
            )
        }
        // The run only reads now: its report tells what was and was not done.
        let waits = ending.withLock { $0.applying }
        let (ended, report) = waits ? await waitForRunToEnd(until: until) : (false, nil)
        let unreported = waits && !ended ? " The apply had not ended after \(grace), so it made no report." : ""
        do {
            try await held.release()
            if let lost = held.lost, lost.reason == .goneAtRelease {
                return (
                    "interrupted; stopped writing and waited for operations in flight, but \(lost).\(unreported) Run 'poolctl plan' to see what is left.",
                    report
                )
            }
            return (
                "interrupted; stopped writing, waited for operations in flight and released the lease of stack '\(held.stack)'.\(unreported) Run 'poolctl plan' to see what is left.",
                report
            )
        } catch {
            return ("interrupted; stopped writing, but \(error)", report)
        }
    }

    /// Shows `report`, says `message` and exits. A second caller (a second
    /// signal meanwhile) gives the first a second to finish, then exits
    /// without a word: the first may be stuck writing to a paused pipe.
    private func say(_ message: String?, code: Int32, report: ApplyReport?) -> Never {
        let first = ending.withLock { state in
            defer { state.saying = true }
            return !state.saying
        }
        if !first {
            sleep(1)
            _exit(code)
        }
        if let report { printer.withLock { $0 }?(report) }
        if let notify = notice.withLock({ $0 }) {
            notify(message, code, report)
        } else if let message {
            FileHandle.standardError.write(Data("\npoolctl: \(message)\n".utf8))
        }
        exit(code)
    }
}

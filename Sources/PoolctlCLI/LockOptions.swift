import ArgumentParser
import Foundation
import PoolctlEngine
import Synchronization

/// How `apply` holds the stack's lease: an empty pool of its own, tagged
/// `poolctl-lease`, from before its first read until after its last write.
struct LockOptions: ParsableArguments {
    @Option(
        name: .customLong("lock"),
        help: ArgumentHelp(
            "Hold the stack's lease while applying. --lock=false opts out (concurrent applies may then duplicate pools).",
            valueName: "bool"))
    var enabled = true

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("How long to wait for another apply's lease, e.g. 3m. 0s fails at once with exit 5.", valueName: "duration"))
    var lockTimeout = DurationArgument(argument: "0s")!

    @Option(
        name: .customLong("lock-ttl"), parsing: .unconditional,
        help: ArgumentHelp(
            "How long the lease outlives a holder that stops renewing it (renewed every TTL/3), e.g. 2m.", valueName: "duration"))
    var lockTTL = DurationArgument(argument: "2m")!

    @Option(
        name: .customLong("signal-grace"), parsing: .unconditional,
        help: ArgumentHelp(
            "On SIGINT/SIGTERM, how long to wait for API operations in flight and the run's report before releasing the lease, e.g. 1m. A create still running then keeps the lease until it expires.",
            valueName: "duration"))
    var signalGrace = DurationArgument(argument: "30s")!

    func validate() throws {
        guard lockTTL.duration >= .seconds(3) else { throw ValidationError("--lock-ttl must be at least 3s") }
    }

    /// The holder: host, process and a random suffix, so two applies on one
    /// machine never mistake each other's lease for their own; and the CI run
    /// when the environment names one.
    func settings(_ environment: [String: String]) -> Workflow.LockSettings {
        let host = ProcessInfo.processInfo.hostName
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let holder = LeaseHolder(id: "\(host)-\(getpid())-\(suffix)", host: host, ciRun: Self.ciRun(environment))
        return Workflow.LockSettings(holder: holder, ttl: lockTTL.duration, timeout: lockTimeout.duration)
    }

    static func ciRun(_ environment: [String: String]) -> String? {
        if let run = environment["GITHUB_RUN_ID"] {
            return "github \(run)" + (environment["GITHUB_RUN_ATTEMPT"].map { "/\($0)" } ?? "")
        }
        for (key, name) in [
            ("CI_PIPELINE_ID", "gitlab"), ("BUILDKITE_BUILD_NUMBER", "buildkite"), ("CIRCLE_BUILD_NUM", "circleci"),
            ("BUILD_ID", "jenkins"),
        ] {
            if let run = environment[key] { return "\(name) \(run)" }
        }
        return nil
    }
}

/// On SIGINT or SIGTERM: stops writes (the lease's guard refuses every new
/// one), waits up to `grace` (`--signal-grace`, default 30 s) for the API
/// operations in flight to finish and for the run to end (it only reads
/// now), then releases the lease, shows the run's report (what was and was
/// not done) and exits 128 + the signal. If a create is still
/// running when the grace period ends, the lease is kept and left to expire:
/// its pool may not be visible yet, and a rival apply could duplicate it. A
/// second signal exits at once. Installed by the process entry point only,
/// never in in-process tests.
final class InterruptCleanup: Sendable {
    static let shared = InterruptCleanup()
    /// How long a signal waits for operations in flight by default (README, "Stack lease").
    static let defaultGrace: Duration = .seconds(30)
    private let lease = Mutex<HeldLease?>(nil)
    private let grace = Mutex(InterruptCleanup.defaultGrace)
    /// Written once, by `install()` at start-up, and kept only so the
    /// sources stay alive: never read concurrently.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    func hold(_ held: HeldLease?) {
        lease.withLock { $0 = held }
        acquiring.withLock { $0 = nil }
        // Taken after a signal: no write may start under it.
        if handling.withLock({ $0 }) { held?.stopWrites() }
    }

    /// The stack whose lease is being taken: a signal then waits (up to the
    /// grace) for the lease to be held and releases it, or for acquisition
    /// to end (it withdraws its own lease on failure), instead of leaving a
    /// lease that locks the stack until its TTL without a word.
    private let acquiring = Mutex<String?>(nil)

    func acquiring(stack: String?) {
        acquiring.withLock { $0 = stack }
    }

    /// Says what happened instead of the plain text line: the message (nil
    /// when no lease was held), the exit code, and the run's report when it
    /// ended in time (nil otherwise, or when there was nothing to apply).
    typealias Notice = @Sendable (String?, Int32, ApplyReport?) -> Void
    private let notice = Mutex<Notice?>(nil)

    func notify(_ body: @escaping Notice) {
        notice.withLock { $0 = body }
    }

    /// The run's report once it ended after a signal (`yieldToSignalHandler`);
    /// `ended` tells a run that ended with nothing to report from one still going.
    private let ending = Mutex<(ended: Bool, report: ApplyReport?)>((false, nil))
    /// Whether the run has begun writing: only then is its end waited for.
    /// Before, it is planning or asking for confirmation, and a prompt
    /// waits for no grace.
    private let applying = Mutex(false)

    func startedApplying() {
        applying.withLock { $0 = true }
    }

    private let installed = Mutex(false)
    private let handling = Mutex(false)

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
            source.setEventHandler { [self] in
                let held = lease.withLock { $0 }
                let notify = notice.withLock { $0 }
                let second = handling.withLock { busy in
                    defer { busy = true }
                    return busy
                }
                if second {
                    let expiry = held.map { " The lease \($0.poolID) expires at \(LeaseReleaseFailed.rfc3339($0.expiresAt))." } ?? ""
                    Self.say(
                        "second signal: exiting without waiting.\(expiry)", code: 128 + number, notify: notify,
                        report: ending.withLock { $0.report })
                }
                held?.stopWrites()
                let grace = self.grace.withLock { $0 }
                let taking = held == nil ? acquiring.withLock { $0 } : nil
                let until = ContinuousClock.now + grace
                Task {
                    var message: String?
                    if let held { message = await self.finish(held, grace: grace, until: until) }
                    if let taking { message = await self.finishAcquiring(stack: taking, grace: grace) }
                    Self.say(message, code: 128 + number, notify: notify, report: self.ending.withLock { $0.report })
                }
            }
            source.resume()
            Self.sources.append(source)
        }
    }

    /// After a signal the handler owns the ending (release or keep, show
    /// `report`, then exit 128 + signal): a run that finishes meanwhile
    /// hands its report over and waits here.
    func yieldToSignalHandler(report: ApplyReport?) async {
        guard handling.withLock({ $0 }) else { return }
        ending.withLock { $0 = (true, report) }
        while true { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// Waits until the run has ended, or `until`; whether it has.
    private func waitForRunToEnd(until: ContinuousClock.Instant) async -> Bool {
        while ContinuousClock.now < until {
            if ending.withLock({ $0.ended }) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return ending.withLock { $0.ended }
    }

    /// A signal while the lease is being taken: waits up to `grace` for it
    /// to be held (then releases it, nothing written) or for acquisition to
    /// end; returns what to say.
    private func finishAcquiring(stack: String, grace: Duration) async -> String {
        let clock = ContinuousClock()
        let until = clock.now + grace
        while clock.now < until {
            if let held = lease.withLock({ $0 }) {
                held.stopWrites()
                do {
                    try await held.release()
                    return "interrupted while taking the lease of stack '\(stack)'; it was taken, then released. Nothing else was written."
                } catch {
                    return "interrupted while taking the lease of stack '\(stack)'; nothing else was written, but \(error)"
                }
            }
            if acquiring.withLock({ $0 }) == nil {
                return "interrupted while taking the lease of stack '\(stack)'; it was not taken, and nothing was written."
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return
            "interrupted while taking the lease of stack '\(stack)'; it was still being taken after \(grace), so a lease pool may be left: it expires after --lock-ttl, and 'poolctl unlock \(stack)' removes it now. Nothing else was written."
    }

    /// Waits for operations in flight and for the run to end (by `until`),
    /// then releases or keeps the lease; returns what to say.
    private func finish(_ held: HeldLease, grace: Duration, until: ContinuousClock.Instant) async -> String {
        let running = await held.waitForOperations(grace: grace)
        // The run only reads now: its report tells what was and was not done.
        let waits = running.isEmpty && applying.withLock { $0 }
        let ended = waits ? await waitForRunToEnd(until: until) : false
        guard running.isEmpty else {
            await held.keep(for: running)
            let ids = running.map(\.reference.id).joined(separator: ", ")
            return
                "interrupted; create operation\(running.count == 1 ? "" : "s") \(ids) still running after \(grace), so the lease \(held.poolID) of stack '\(held.stack)' is kept: another apply could otherwise duplicate a pool that is not visible yet. It expires at \(LeaseReleaseFailed.rfc3339(held.expiresAt)); run 'poolctl plan' after that."
        }
        let unreported = waits && !ended ? " The apply had not ended after \(grace), so it made no report." : ""
        do {
            try await held.release()
            return
                "interrupted; stopped writing, waited for operations in flight and released the lease of stack '\(held.stack)'.\(unreported) Run 'poolctl plan' to see what is left."
        } catch {
            return "interrupted; stopped writing, but \(error)"
        }
    }

    private static func say(_ message: String?, code: Int32, notify: Notice?, report: ApplyReport? = nil) -> Never {
        if let notify {
            notify(message, code, report)
        } else if let message {
            FileHandle.standardError.write(Data("\npoolctl: \(message)\n".utf8))
        }
        exit(code)
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization

/// A stack lease this process holds: renewed with a PATCH every TTL/3 until
/// `release()`. Writes go through `LeaseGuardedAPI`, which calls
/// `ensureHeld()` before each one.
///
/// The renewal task keeps the lease alive (and this object) until
/// `release()` or `abandon()`; call one at the end, after an error, and on a
/// signal.
public final class HeldLease: Sendable {
    public let stack: String
    public let poolID: String
    public let name: String
    public let tag: LeaseTag
    public var ttl: Duration { .seconds(tag.ttlSeconds) }
    /// Stale leases deleted while acquiring this one.
    public let staleDeleted: [LeaseInfo]
    /// The listings of all pools taken once our lease was visible (two when
    /// the first took several pages). The plan may reuse them: they were
    /// read under the lease.
    public let listings: [PoolListing]
    /// Operations that writes under this lease started and that have not
    /// been seen finished (`LeaseGuardedAPI` keeps it).
    public let operations = InFlightOperations()

    private let api: any CommsAPI
    private let clock: PoolctlClock
    private let options: LeaseOptions
    private let random: @Sendable () -> Double
    private let report: @Sendable (LeaseEvent) -> Void
    /// What acquisition left for release: after a create of unknown outcome
    /// a lease it made may become visible late, so release looks for extras
    /// once more (leftovers by id, withdrawn leases not counted as extras).
    private let acquisition: StackLease.Attempts
    /// The operations of the lease's own creates, by when each request left.
    public var createOperations: [String: Duration] { acquisition.operations }
    /// How long our lease took to show in a list once its create operation
    /// was seen to end: about how far the lists lag behind this run's writes.
    public var listLag: Duration? { acquisition.listLag }

    private struct State {
        /// Local monotonic time at which the latest acknowledged write of the
        /// lease (its create or a renewal) was sent.
        var heldFrom: Duration
        var lost: LeaseLost?
        var stopped = false
        var released = false
        var renewals = 0
        /// Why the latest renewal failed, until one succeeds.
        var renewalFailure: String?
        var renewal: Task<Void, Never>?
    }

    private let state: Mutex<State>

    init(
        api: any CommsAPI, clock: PoolctlClock, options: LeaseOptions, random: @escaping @Sendable () -> Double,
        report: @escaping @Sendable (LeaseEvent) -> Void, poolID: String, name: String, tag: LeaseTag, heldFrom: Duration,
        staleDeleted: [LeaseInfo], listings: [PoolListing], acquisition: StackLease.Attempts
    ) {
        self.api = api
        self.clock = clock
        self.options = options
        self.random = random
        self.report = report
        self.stack = tag.stack
        self.poolID = poolID
        self.name = name
        self.tag = tag
        self.staleDeleted = staleDeleted
        self.listings = listings
        self.acquisition = acquisition
        self.state = Mutex(State(heldFrom: heldFrom))
        let renewal = Task { await self.renew() }
        state.withLock { $0.renewal = renewal }
    }

    /// How often the lease is renewed: three chances per TTL.
    public var renewalInterval: Duration { ttl / 3 }
    /// The wait after a failed renewal: more chances before the TTL runs out.
    public var retryInterval: Duration { ttl / 6 }
    /// Writes stop this long before the TTL runs out without a renewal.
    public var safetyMargin: Duration { Self.safetyMargin(ttl: ttl) }

    /// max(1 s, TTL/4): a write sent just before the lease is given up must
    /// still reach the server before any contender may call the lease stale.
    /// A quarter of the TTL leaves TTL/3 → TTL*3/4 for a renewal and its
    /// retries at the smallest TTL (3 s: renewal at 1 s, writes stop at 2 s);
    /// the second bounds the time one request may take to arrive.
    public static func safetyMargin(ttl: Duration) -> Duration { max(.seconds(1), ttl / 4) }

    /// How long after its latest acknowledged write a lease allows writes:
    /// the TTL less the safety margin.
    public static func writeTime(ttl: Duration) -> Duration { ttl - safetyMargin(ttl: ttl) }

    /// Throws `LeaseLost` once the lease may be about to expire by the
    /// server's clock, is gone, or writes were stopped (a signal). The
    /// server's `updatedAt` is no earlier than the moment we sent the write
    /// that set it, so "sent + TTL" in local monotonic time is the earliest
    /// moment any contender can call the lease stale, with no wall clock
    /// involved; writes stop `safetyMargin` before it.
    public func ensureHeld() throws(LeaseLost) {
        if let lost = check(interrupting: true) { throw lost }
    }

    private func check(interrupting: Bool) -> LeaseLost? {
        let now = clock.now()
        return state.withLock { state -> LeaseLost? in
            if let lost = state.lost { return lost }
            if state.released { return LeaseLost(stack: stack, poolID: poolID, reason: .released) }
            if now - state.heldFrom >= Self.writeTime(ttl: ttl) {
                state.lost = LeaseLost(stack: stack, poolID: poolID, reason: .expired)
                return state.lost
            }
            return interrupting && state.stopped ? LeaseLost(stack: stack, poolID: poolID, reason: .interrupted) : nil
        }
    }

    /// Why the latest renewal failed, when none has succeeded since: an
    /// expired lease's cause (an API that stopped answering, say).
    public var renewalFailure: String? { state.withLock { $0.renewalFailure } }

    /// The lease, found deleted by `release()` (`goneAtRelease`), if it was.
    /// Read without checking expiry: a slow or failed release must not turn
    /// into "expired" once every write is done.
    public var lostAtRelease: LeaseLost? { state.withLock { $0.lost?.reason == .goneAtRelease ? $0.lost : nil } }

    /// Why the lease was lost while held (expired or deleted), if it was: the
    /// apply then exits 6.
    public var lost: LeaseLost? {
        _ = check(interrupting: false)
        return state.withLock { $0.lost }
    }

    /// The lease's expiry by the local clock if it is not renewed again.
    public var expiresAt: Date { Self.expiry(heldFrom: state.withLock { $0.heldFrom }, ttl: ttl, clock: clock) }

    /// When a lease last written at `heldFrom` (local monotonic time)
    /// expires, as a date by the local clock.
    static func expiry(heldFrom: Duration, ttl: Duration, clock: PoolctlClock) -> Date {
        clock.date.addingTimeInterval((heldFrom + ttl - clock.now()).inSeconds)
    }

    /// A signal: from now on `ensureHeld()` refuses every write. Renewal goes
    /// on until `release()` or `abandon()`.
    public func stopWrites() {
        state.withLock { $0.stopped = true }
    }

    /// Polls the operations still in flight until all are finished or
    /// `grace` passes; returns the creates still unfinished.
    public func waitForOperations(grace: Duration) async -> [InFlightOperations.Entry] {
        let end = clock.now() + grace
        while true {
            let pending = operations.pending
            if pending.isEmpty { return [] }
            if clock.now() >= end { return pending.filter(\.isCreate) }
            for entry in pending {
                if let operation = try? await api.fetchOperation(entry.reference) { operations.observed(operation) }
            }
            if operations.pending.isEmpty { return [] }
            try? await clock.sleep(min(.seconds(1), max(.zero, end - clock.now())))
        }
    }

    /// Stops renewing without deleting: the lease expires after its TTL.
    /// For a signal that arrives while a create is still running, whose pool
    /// a rival could otherwise not see and duplicate.
    public func abandon() async {
        let renewal = state.withLock { state in
            defer {
                state.renewal = nil
                state.released = true
            }
            return state.renewal
        }
        renewal?.cancel()
        await renewal?.value
    }

    /// A signal's grace period ended with creates still running: stops
    /// renewing, keeps the lease until it expires, and reports
    /// `.keptForRunningCreates`.
    public func keep(for running: [InFlightOperations.Entry]) async {
        await abandon()
        report(.keptForRunningCreates(poolID: poolID, operationIDs: running.map(\.reference.id), expiresAt: expiresAt))
    }

    /// Stops renewing and deletes the lease, after a GET shows it still
    /// carries our tag value; a lease already gone (404) counts as released.
    /// Transient failures and 409s are retried with backoff for `releaseDeadline`,
    /// then it throws `LeaseReleaseFailed`. Safe to call more than once, and
    /// from a cancelled task: the delete still goes out. A lease a renewal
    /// found deleted (`LeaseLost.Reason.deleted`) is not looked up again,
    /// and not reported as released: someone else removed it. Nor is one
    /// that release finds gone before it sent any DELETE: the run has lost
    /// it (`LeaseLost.Reason.goneAtRelease`), and `lost` says so.
    public func release() async throws {
        let (released, renewal) = state.withLock { state in
            defer { state.renewal = nil }
            return (state.released, state.renewal)
        }
        if released { return }
        renewal?.cancel()
        await renewal?.value
        let gone = state.withLock { $0.lost?.reason == .deleted }
        let release = Task { [self] in
            try await RequestLane.$current.withValue(.lease) { try await deleteOwn(gone: gone) }
        }
        let outcome = try await release.value
        let lost = LeaseLost(stack: stack, poolID: poolID, reason: .goneAtRelease)
        let now = clock.now()
        // Past its TTL a rival may rightly have swept it as stale: only a lease gone while
        // it was still live was deleted from under the run (unlock, say), and another apply
        // may have written meanwhile. One reported lost already (expired) is not again.
        let (goneWhileHeld, first) = state.withLock { state in
            defer { state.released = true }
            guard outcome == .gone, now < state.heldFrom + ttl else { return (false, false) }
            defer { state.lost = state.lost ?? lost }
            return (true, state.lost == nil)
        }
        if goneWhileHeld {
            if first { report(.lost(lost)) }
        } else if !gone {
            report(.released(poolID: poolID))
        }
    }

    /// The checked delete's outcome; nil when a renewal had found the lease gone.
    private func deleteOwn(gone: Bool) async throws -> StackLease.CheckedDelete? {
        let deadline = clock.now() + options.releaseDeadline
        let (api, tag) = (self.api, self.tag)
        var outcome: StackLease.CheckedDelete?
        var sent = false
        if !gone {
            do {
                // A 409 is an operation still running on the lease (a renewal
                // whose answer was lost, or a create that just completed on a
                // fast run): waited out like a transient failure, or the
                // stack stays locked for a whole TTL. A refusal is someone
                // else's pool under our id, which cannot happen: never deleted.
                outcome = try await LeaseRetry.delete(options, deadline: deadline).run(clock: clock, random: random) {
                    try await StackLease.deleteChecked(api, poolID, sent: &sent, expect: { StackLease.isExactly($0, tag: tag) })
                }
            } catch {
                throw LeaseReleaseFailed(stack: stack, poolID: poolID, expiresAt: expiresAt, error: "\(error)")
            }
        }
        guard acquisition.uncertain else { return outcome }
        // A lease of ours whose create had an unknown outcome may have
        // surfaced since: looked for on a listing newer than our delete.
        let lease = StackLease(api: api, clock: clock, options: options, random: random, report: report)
        let deleted = outcome.flatMap { $0 == .refused ? nil : poolID }
        await lease.sweepOwnLeases(
            tag: tag, keep: poolID, deleted: deleted, known: acquisition.withdrawn, leftovers: acquisition.leftovers, deadline: deadline)
        return outcome
    }

    // MARK: Renewal

    private func renew() async {
        // The lease's age counts from when its create was sent, and
        // acquisition (the create's operation, listings, stale leases) takes
        // part of it: the first renewal is due TTL/3 after the create, not
        // TTL/3 after acquisition ended, which at a short TTL is past the
        // point where writes stop.
        var wait = max(.zero, state.withLock { $0.heldFrom } + renewalInterval - clock.now())
        while true {
            do { try await clock.sleep(wait) } catch { return }
            if Task.isCancelled { return }
            // A lease past its TTL minus the margin is never renewed: a
            // contender may judge it stale before the renewal lands. Stopped
            // writes (a signal) still renew while operations finish.
            if let lost = check(interrupting: false) {
                if lost.reason != .released { report(.lost(lost)) }
                return
            }
            let sent = clock.now()
            let count = state.withLock { $0.renewals } + 1
            do {
                // A new count each time: the PATCH changes the pool, so `updatedAt` moves.
                let request = UpdateSenderPoolRequest(name: name, tags: tag.tags(renewal: count))
                _ = try await RequestLane.$current.withValue(.lease) { try await api.updateSenderPool(id: poolID, request) }
                state.withLock {
                    $0.heldFrom = max($0.heldFrom, sent)
                    $0.renewals = max($0.renewals, count)
                    $0.renewalFailure = nil
                }
                report(.renewed(poolID: poolID))
                wait = renewalInterval
            } catch {
                if Task.isCancelled { return }
                if let error = error as? APIError, error.isNotFound {
                    let lost = LeaseLost(stack: stack, poolID: poolID, reason: .deleted)
                    state.withLock { $0.lost = lost }
                    report(.lost(lost))
                    return
                }
                state.withLock { $0.renewalFailure = "\(error)" }
                report(.renewalFailed(error: "\(error)"))
                wait = retryInterval
            }
        }
    }
}

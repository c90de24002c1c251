import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization

/// A stack lease this process holds: renewed with a PATCH every TTL/3 until
/// `release()`. The applier calls `ensureHeld()` before each write.
///
/// The renewal task keeps the lease alive (and this object) until
/// `release()`; call it at the end, after an error, and on a signal.
public final class HeldLease: Sendable {
    public let stack: String
    public let poolID: String
    public let name: String
    public let tag: LeaseTag
    public var ttl: Duration { .seconds(tag.ttlSeconds) }
    /// Stale leases deleted while acquiring this one.
    public let staleDeleted: [LeaseInfo]

    private let api: any CommsAPI
    private let clock: PoolctlClock
    private let report: @Sendable (LeaseEvent) -> Void
    private let calls: CallCounter

    private struct State {
        /// Local monotonic time at which the latest acknowledged write of the
        /// lease (its create or a renewal) was sent.
        var heldFrom: Duration
        var lost: LeaseLost?
        var released = false
        var renewal: Task<Void, Never>?
    }

    private let state: Mutex<State>

    init(
        api: any CommsAPI, clock: PoolctlClock, report: @escaping @Sendable (LeaseEvent) -> Void, calls: CallCounter,
        poolID: String, name: String, tag: LeaseTag, heldFrom: Duration, staleDeleted: [LeaseInfo]
    ) {
        self.api = api
        self.clock = clock
        self.report = report
        self.calls = calls
        self.stack = tag.stack
        self.poolID = poolID
        self.name = name
        self.tag = tag
        self.staleDeleted = staleDeleted
        self.state = Mutex(State(heldFrom: heldFrom))
        let renewal = Task { await self.renew() }
        state.withLock { $0.renewal = renewal }
    }

    /// How often the lease is renewed: three chances per TTL.
    public var renewalInterval: Duration { ttl / 3 }
    /// The wait after a failed renewal: more chances before the TTL runs out.
    public var retryInterval: Duration { ttl / 6 }

    /// Throws `LeaseLost` once the lease may have expired by the server's
    /// clock or is gone. The server's `updatedAt` is no earlier than the
    /// moment we sent the write that set it, so "sent + TTL" in local
    /// monotonic time is the earliest moment any contender can call the lease
    /// stale, with no wall clock involved.
    public func ensureHeld() throws(LeaseLost) {
        let now = clock.now()
        let lost = state.withLock { state -> LeaseLost? in
            if let lost = state.lost { return lost }
            if state.released { return LeaseLost(stack: stack, poolID: poolID, reason: .released) }
            if now - state.heldFrom >= ttl {
                state.lost = LeaseLost(stack: stack, poolID: poolID, reason: .expired)
            }
            return state.lost
        }
        if let lost { throw lost }
    }

    /// Stops renewing and deletes the lease; a lease already gone (404)
    /// counts as released. Safe to call more than once, and from a cancelled
    /// task: the delete still goes out.
    public func release() async throws {
        let (released, renewal) = state.withLock { state in
            defer { state.renewal = nil }
            return (state.released, state.renewal)
        }
        if released { return }
        renewal?.cancel()
        await renewal?.value
        let api = self.api
        let calls = self.calls
        let poolID = self.poolID
        try await Task {
            calls.record(.deleteSenderPool)
            do {
                _ = try await api.deleteSenderPool(id: poolID)
            } catch let error as APIError where error.isNotFound {
                // Already gone: released.
            }
        }.value
        state.withLock { $0.released = true }
        report(.released(poolID: poolID))
    }

    // MARK: Renewal

    private func renew() async {
        var wait = renewalInterval
        while true {
            do { try await clock.sleep(wait) } catch { return }
            if Task.isCancelled { return }
            // A lease past its TTL is never renewed: a contender may already
            // have judged it stale, and renewing would let both proceed.
            if (try? ensureHeld()) == nil {
                if let lost = state.withLock({ $0.lost }) { report(.lost(lost)) }
                return
            }
            let sent = clock.now()
            do {
                calls.record(.updateSenderPool)
                _ = try await api.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: name, tags: tag.tags))
                state.withLock { $0.heldFrom = max($0.heldFrom, sent) }
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
                report(.renewalFailed(error: "\(error)"))
                wait = retryInterval
            }
        }
    }
}

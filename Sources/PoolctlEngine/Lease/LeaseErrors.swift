import Foundation
import PoolctlAPI
import PoolctlModel

/// Acquisition gave up: another live lease of the stack exists. The CLI
/// prints it and exits 5; nothing was written but our own (deleted) lease
/// and the deletion of stale leases.
public struct StackLocked: Error, Sendable, Hashable, CustomStringConvertible {
    public var stack: String
    public var holder: String
    /// The lease pool that holds the stack.
    public var poolID: String
    /// Its `createdAt`.
    public var since: Date?
    /// Its `updatedAt` + TTL; later if the holder renews it.
    public var expiresAt: Date?
    /// How long this apply waited for it (`--lock-timeout`); nil when it did not wait.
    public var waited: Duration?

    public init(stack: String, holder: String, poolID: String, since: Date?, expiresAt: Date?, waited: Duration? = nil) {
        self.stack = stack
        self.holder = holder
        self.poolID = poolID
        self.since = since
        self.expiresAt = expiresAt
        self.waited = waited
    }

    init(_ lease: LeaseInfo, waited: Duration?) {
        self.init(
            stack: lease.stack, holder: lease.holder, poolID: lease.poolID, since: lease.createdAt, expiresAt: lease.expiresAt,
            waited: waited)
    }

    public var description: String {
        let since = since.map(WireTime.formatRFC3339) ?? "an unknown time"
        let expiry = expiresAt.map(WireTime.formatRFC3339) ?? "an unknown time"
        return "the stack is locked by \(holder) since \(since); the lease expires at \(expiry)"
    }
}

/// The held lease can no longer be trusted: the holder must stop writing.
public struct LeaseLost: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// No renewal succeeded within the TTL: another apply may now take it.
        case expired
        /// The lease pool is gone (404 on renewal): unlocked, or deleted as stale.
        case deleted
        /// `release()` was called.
        case released
        /// `release()` found the lease already deleted, by someone else
        /// (`poolctl unlock`?), while the run held it: its writes may have
        /// overlapped another apply's.
        case goneAtRelease
        /// SIGINT or SIGTERM: writes stopped, the lease is released once
        /// operations in flight end.
        case interrupted
    }

    // Only a held lease finds it lost, so the memberwise init stays internal.
    public var stack: String
    public var poolID: String
    public var reason: Reason

    public var description: String {
        switch reason {
        case .expired:
            "the lease on stack '\(stack)' (\(poolID)) expired: it was not renewed within its TTL; stopped so that no other apply overlaps"
        case .deleted:
            "the lease on stack '\(stack)' (\(poolID)) was deleted by someone else (poolctl unlock?); stopped so that no other apply overlaps"
        case .released: "the lease on stack '\(stack)' (\(poolID)) was released"
        case .goneAtRelease:
            "the lease on stack '\(stack)' (\(poolID)) was gone when this run came to release it: someone else deleted it (poolctl unlock?) while the run held it, so another apply may have written at the same time"
        case .interrupted: "apply was interrupted; no further write is made"
        }
    }
}

/// `release()` gave up after its deadline. The apply's own outcome stands;
/// the lease blocks the stack until it expires or is unlocked.
public struct LeaseReleaseFailed: Error, Sendable, Hashable, CustomStringConvertible {
    public var stack: String
    public var poolID: String
    /// By the local clock, if nobody renews it.
    public var expiresAt: Date
    public var error: String

    public var expiresAtText: String { Self.rfc3339(expiresAt) }
    public static func rfc3339(_ date: Date) -> String { WireTime.formatRFC3339(date) }

    public var description: String {
        "could not release the lease \(poolID) of stack '\(stack)' (\(error)); it expires at \(WireTime.formatRFC3339(expiresAt)). Once no apply of the stack is running, 'poolctl unlock \(stack)' removes it now"
    }
}

/// What the lease tells its user as it goes. Never fatal by itself.
public enum LeaseEvent: Sendable, Hashable, CustomStringConvertible {
    /// A stale lease of the stack was deleted during acquisition.
    case staleLeaseDeleted(LeaseInfo)
    /// A stale lease could not be deleted; it is ignored (it stays stale).
    case staleLeaseNotDeleted(LeaseInfo, error: String)
    /// Another live lease exists; trying again after `retryIn`.
    case waiting(for: LeaseInfo, retryIn: Duration)
    /// A renewal PATCH failed; the lease is still held.
    case renewalFailed(error: String)
    /// The lease is lost; `ensureHeld()` throws from now on.
    case lost(LeaseLost)
    /// A renewal PATCH succeeded.
    case renewed(poolID: String)
    /// The lease was deleted at the end (or was already gone).
    case released(poolID: String)
    /// Creating our lease failed transiently (unknown outcome, 5xx, reset);
    /// it is looked up by its tag and tried again.
    case createRetried(error: String)
    /// A second lease of this run (a create whose outcome was unknown did
    /// happen) was deleted.
    case extraLeaseDeleted(poolID: String)
    /// An extra lease of this run could not be deleted: it locks the stack
    /// until its TTL runs out or `poolctl unlock` removes it.
    case extraLeaseNotDeleted(poolID: String, error: String)
    /// Release, or the withdraw of our lease during acquisition, gave up;
    /// the lease stays until it expires or is unlocked.
    case releaseFailed(LeaseReleaseFailed)
    /// A signal arrived while a create was running: the lease is kept so that
    /// no rival duplicates a pool not yet visible; it expires at its TTL.
    case keptForRunningCreates(poolID: String, operationIDs: [String], expiresAt: Date)
    /// Pages shifted so much under other writes that the listings cannot
    /// rule out a rival's lease: ours was withdrawn; trying again.
    case unconfirmed(reason: String, retryIn: Duration)
    /// Our lease's create COMPLETED, but the API's lists do not show its
    /// pool yet: waiting for them (never creating another), until `giveUpIn`.
    case notShownYet(operationID: String, giveUpIn: Duration)
    /// Our lease's create operation has not finished after `waited`:
    /// waiting for it (a lease is never created twice), until `giveUpIn`.
    case stillCreating(operationID: String, status: String, waited: Duration, giveUpIn: Duration)

    /// Renewals and the release are routine: the text progress leaves them
    /// out, machine-readable logs keep them. So is a lease kept after a
    /// signal: the signal's own closing line says so in text.
    public var isRoutine: Bool {
        switch self {
        case .renewed, .released, .createRetried, .extraLeaseDeleted, .keptForRunningCreates: true
        case .staleLeaseDeleted, .staleLeaseNotDeleted, .extraLeaseNotDeleted, .waiting, .renewalFailed, .lost, .releaseFailed,
            .unconfirmed, .notShownYet, .stillCreating:
            false
        }
    }

    public var description: String {
        func at(_ date: Date?) -> String { date.map(WireTime.formatRFC3339) ?? "an unknown time" }
        switch self {
        case .staleLeaseDeleted(let lease):
            return
                "deleted a stale lease of stack '\(lease.stack)' held by \(lease.holder) (\(lease.poolID)); it expired at \(at(lease.expiresAt))"
        case .staleLeaseNotDeleted(let lease, let error):
            return "could not delete the stale lease \(lease.poolID) held by \(lease.holder) (\(error)); ignoring it"
        case .waiting(let lease, let wait):
            return "the stack is locked by \(lease.holder) since \(at(lease.createdAt)); retrying in \(Self.seconds(wait))"
        case .renewalFailed(let error):
            return "renewing the lease failed (\(error)); still held, retrying"
        case .lost(let lost):
            return lost.description
        case .renewed(let poolID):
            return "renewed the lease \(poolID)"
        case .released(let poolID):
            return "released the lease \(poolID)"
        case .createRetried(let error):
            return "creating the lease failed (\(error)); looking for it by its tag and trying again"
        case .extraLeaseDeleted(let poolID):
            return
                "deleted a lease of this run that it does not hold (\(poolID)), left by a create whose outcome was unknown or whose pool was not found yet"
        case .extraLeaseNotDeleted(let poolID, let error):
            return
                "warning: could not delete a lease of this run that it does not hold (\(poolID)), left by a create whose outcome was unknown or whose pool was not found yet (\(error)); it locks the stack until it expires or 'poolctl unlock' removes it"
        case .releaseFailed(let failed):
            return "warning: \(failed)"
        case .keptForRunningCreates(_, let operations, let expiresAt):
            return
                "kept the lease: create operation\(operations.count == 1 ? "" : "s") \(operations.joined(separator: ", ")) still running, and a pool not yet visible could be duplicated by another apply; it expires at \(at(expiresAt))"
        case .unconfirmed(let reason, let wait):
            return "withdrew the lease: \(reason); retrying in \(Self.seconds(wait))"
        case .notShownYet(let operationID, let giveUpIn):
            return
                "the lease's create operation \(operationID) COMPLETED, but the API's lists do not show its pool yet (they lag behind its writes); waiting for them, at most \(Self.seconds(giveUpIn)) more"
        case .stillCreating(let operationID, let status, let waited, let giveUpIn):
            return
                "the lease's create operation \(operationID) is still \(status) after \(Self.seconds(waited)); waiting for it, at most \(Self.seconds(giveUpIn)) more"
        }
    }

    /// `1.5 s`
    static func seconds(_ duration: Duration) -> String {
        let tenths = duration.inMilliseconds / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }
}

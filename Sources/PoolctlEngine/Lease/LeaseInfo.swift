import Foundation
import PoolctlAPI
import PoolctlModel

/// Who asks for a lease: HOLDER for the tag (unique per process, e.g. host
/// and pid), and the host and CI run for the lease pool's name.
public struct LeaseHolder: Sendable, Hashable {
    public var id: String
    public var host: String
    public var ciRun: String?

    /// `id` defaults to the host made tag-safe.
    public init(id: String? = nil, host: String, ciRun: String? = nil) {
        self.id = id ?? LeaseTag.holder(from: host)
        self.host = host
        self.ciRun = ciRun
    }
}

/// A live pool that is a lease: its tag and server timestamps.
public struct LeaseInfo: Sendable, Hashable {
    /// Timestamps count whole seconds (the emulator floors them), and so does
    /// the `Date` header: a lease is called stale only a second after its
    /// expiry, so rounding can never make a live lease look stale.
    public static let grace: TimeInterval = 1

    public var poolID: String
    public var name: String
    public var tag: LeaseTag
    /// Nil when the API sent no readable RFC 3339 time.
    public var createdAt: Date?
    public var updatedAt: Date?

    public init?(pool: SenderPool) {
        guard let tag = LeaseTag(tags: pool.tags) else { return nil }
        self.poolID = pool.id
        self.name = pool.name
        self.tag = tag
        self.createdAt = WireTime.parseRFC3339(pool.createdAt)
        self.updatedAt = WireTime.parseRFC3339(pool.updatedAt)
    }

    public var stack: String { tag.stack }
    public var holder: String { tag.holder }
    /// `updatedAt` + TTL, by the server's clock.
    public var expiresAt: Date? { updatedAt?.addingTimeInterval(TimeInterval(tag.ttlSeconds)) }

    /// Stale once the server's time is past the expiry (plus `grace`). With
    /// no server time or no readable `updatedAt` a lease is never stale:
    /// `poolctl unlock` removes such a lease.
    public func isStale(serverNow: Date?) -> Bool {
        guard let serverNow, let expiresAt else { return false }
        return expiresAt.addingTimeInterval(Self.grace) <= serverNow
    }

    /// The leases of `stack` among `pools`, oldest first (`createdAt`, then id).
    public static func leases(of stack: String, in pools: [SenderPool]) -> [LeaseInfo] {
        pools.compactMap(LeaseInfo.init(pool:)).filter { $0.stack == stack }.sorted {
            ($0.createdAt ?? .distantPast, $0.poolID) < ($1.createdAt ?? .distantPast, $1.poolID)
        }
    }

    /// The live leases of `stack` among `pools`, oldest first: what `plan`
    /// reports without an extra call.
    public static func liveLeases(of stack: String, in pools: [SenderPool], serverNow: Date?) -> [LeaseInfo] {
        leases(of: stack, in: pools).filter { !$0.isStale(serverNow: serverNow) }
    }
}

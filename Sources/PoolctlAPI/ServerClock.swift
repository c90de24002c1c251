import Foundation

/// An API client that can estimate the server's current time, so a decision
/// made against server timestamps (a lease's `updatedAt` plus its TTL) does
/// not depend on the local wall clock, which may be skewed.
public protocol ServerClock: Sendable {
    /// The server's time now: the `Date` header of the latest response plus
    /// the local monotonic time elapsed since it arrived. Nil before any
    /// response carried a readable `Date`.
    func estimatedServerTime() -> Date?
}

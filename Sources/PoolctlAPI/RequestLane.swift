/// Which queue a request waits in at the live client's scheduler. The stack
/// lease renews and releases itself in `.lease`, so its PATCH and DELETE
/// never wait behind the apply's own requests (a renewal stuck behind a
/// thousand queued reads would let the lease expire mid-apply).
public enum RequestLane: Sendable, Hashable {
    case normal
    /// Served before queued requests, without waiting for a free slot, yet
    /// still inside the rate limit and any `Retry-After` pause.
    case lease

    /// The lane of requests made by the current task.
    @TaskLocal public static var current: RequestLane = .normal
}

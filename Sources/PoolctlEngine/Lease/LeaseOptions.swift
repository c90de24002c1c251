import PoolctlModel

public struct LeaseOptions: Sendable {
    /// The first wait after finding another live lease; doubles up to `maxBackoff`.
    public var initialBackoff: Duration = .seconds(1)
    public var maxBackoff: Duration = .seconds(15)
    /// An empty create finishes fast: poll it sooner than a pool with senders.
    public var poller = OperationPoller(initial: .milliseconds(100), maximum: .seconds(1), budget: .seconds(60))
    /// How long the lease's create may run before apply says it is waiting for it.
    public var slowCreateNotice: Duration = .seconds(5)
    /// Listings read for our own completed lease before we trust them; and,
    /// after a create of unknown outcome, for a listing that no longer shows
    /// our deleted lease before looking for extras of this run.
    public var listingAttempts = 4
    /// Tries of each step (create, poll, find, list, delete) when the API
    /// fails transiently (`APIError.isTransient`): a run that gives up on a
    /// 503 leaves the stack locked, or fails a pipeline, for nothing.
    public var stepAttempts = 5
    /// Attempts per call the live client may make for the lease (fewer when
    /// it is set lower): every step already retries a failed call.
    public var callAttempts = 5
    /// The first wait before trying a step again; doubles up to `stepBackoffCap`.
    public var stepBackoff: Duration = .milliseconds(250)
    public var stepBackoffCap: Duration = .seconds(4)
    /// How long `release()` keeps trying (its look for extras included)
    /// before it warns and gives up; also the bound of the look for extras
    /// when acquisition fails.
    public var releaseDeadline: Duration = .seconds(30)
    /// How long the lists may take to show our lease once its create
    /// COMPLETED (an API whose lists lag Fetch), and to show it in a full
    /// listing once found; at most 3/4 of the time its TTL leaves for writes.
    public var visibilityLimit: Duration = ApplyOptions.listVisibilityLimit

    public init() {}

    /// The waits between tries of acquiring: spread so contenders do not retry in step.
    var rivalBackoff: Backoff { Backoff(initial: initialBackoff, cap: maxBackoff, jitter: .around) }
    /// The waits between tries of one step.
    var stepBackoffs: Backoff { Backoff(initial: stepBackoff, cap: stepBackoffCap, jitter: .around) }
    /// The waits before reading again for our own lease that the API does
    /// not show yet (a listing that lags a completed create).
    var sightingBackoff: Backoff { Backoff(initial: .milliseconds(400), cap: .seconds(4)) }
}

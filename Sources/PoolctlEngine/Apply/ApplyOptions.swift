import PoolctlModel

public struct ApplyOptions: Sendable {
    /// Pools in flight at once. Work on one pool is always sequential.
    public var parallelism: Int = 8
    /// The whole apply.
    public var timeout: Duration = .seconds(15 * 60)
    /// How often a 409 (someone else's operation on the pool) is waited out.
    public var conflictRetries: Int = 10
    /// How often a create or Add Senders whose outcome is unknown is retried
    /// after checking that it did not happen. Each retry follows a fresh
    /// look, so more cost calls, never duplicates: 8 makes giving up under
    /// 20% unknown outcomes (10% 5xx, 10% resets) a one-in-a-million event.
    public var createRetries: Int = 8
    /// Senders per Create or Add Senders request at most (`--max-batch`);
    /// nil for the documented 10,000. Halved further on a 400.
    public var maxBatch: Int?
    /// How long verification re-reads a pool that is not converged yet,
    /// for APIs whose writes or listings show a change a moment later.
    public var settleBudget: Duration = .seconds(4)
    /// Re-read every touched pool's members (`--verify full`) even when
    /// the operations' stats already account for every sender.
    public var verifyFull = false
    /// Removals from one pool in flight at once.
    public var removalsAtOnce = 32
    /// Poll rounds list this run's operations (one call per 1,000); false
    /// fetches each operation on its own.
    public var pollByListing = true
    /// Called before each pool's work starts; throws when apply must stop
    /// writing (the stack lease was lost).
    public var mayWrite: @Sendable () throws -> Void = {}
    /// Called for each operation each poll sees (`--log-format ndjson`).
    public var operationPolled: @Sendable (OperationPoll) -> Void = { _ in }
    /// The pools the listing taken under the lease showed carrying the
    /// stack's ownership: apply writes to no other pool, besides the pools it
    /// creates and a declared adopt's target. Nil: the pools the plan's
    /// changes name (a caller without a listing of its own).
    public var writablePoolIDs: Set<String>?
    /// Operations this run started before apply (the lease's creates), by
    /// an instant no later than their request: a create whose outcome is
    /// unknown cannot be one of them, and they bound the operations list's lag.
    public var ownOperations: [String: Duration] = [:]
    /// How long the lease's pool took to show in a list once its create
    /// operation was seen to end (nil without a lease): about how far the
    /// lists lag, so verification waits that long, and a second more,
    /// before it calls a write missing. Measured, since the API documents
    /// no bound.
    public var listLag: Duration?
    /// How long verification waits for writes the API accepted (a create
    /// whose operation COMPLETED, a fingerprint PATCH) to show in its lists.
    public var visibilityLimit: Duration = Self.listVisibilityLimit
    /// The longest poolctl waits for the API's lists to show a write it
    /// accepted, by default: apply's writes and the lease's create alike.
    public static let listVisibilityLimit: Duration = .seconds(60)

    public init() {}

    /// `settleBudget`, or longer when the lists were measured to lag more;
    /// `visibilityLimit` at most.
    var settleWindow: Duration {
        guard let listLag else { return settleBudget }
        return max(settleBudget, min(listLag + .seconds(1), visibilityLimit))
    }
}

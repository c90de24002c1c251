import PoolctlModel
import PoolctlPlan

/// What `apply` did, pool by pool. `apply --format json` prints it as an
/// `ApplyReportDocument` (PoolctlRender), the public format: this report
/// under the keys it declares, its pools and operations likewise, and its
/// enums by raw value (actions as the plan file spells them).
public struct ApplyReport: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// Every pool matches the plan's desired state.
        case converged
        /// Some pools did not converge; each is listed with what is left.
        case partial
    }

    public var stack: String
    public var outcome: Outcome
    /// Sorted by key, then pool id.
    public var pools: [PoolResult]
    /// Actual calls made by endpoint, attempts included.
    public var apiCalls: [String: Int]
    public var retries: Int
    public var durationMS: Int
    /// What the plan estimated apply would call, to print beside the actual.
    public var estimatedCalls: Int?

    public init(stack: String, pools: [PoolResult], apiCalls: [String: Int] = [:], retries: Int = 0, durationMS: Int = 0) {
        self.stack = stack
        self.pools = pools.sorted { ($0.key, $0.poolID ?? "") < ($1.key, $1.poolID ?? "") }
        outcome = pools.allSatisfy { $0.status == .converged } ? .converged : .partial
        self.apiCalls = apiCalls
        self.retries = retries
        self.durationMS = durationMS
    }

    public var totalCalls: Int { apiCalls.values.reduce(0, +) }
    public var notConverged: [PoolResult] { pools.filter { $0.status != .converged } }

    /// The public format's keys: a renamed property keeps its key.
    enum CodingKeys: String, CodingKey {
        case stack, outcome, pools, apiCalls, retries, durationMS
        case estimatedCalls = "estimatedApiCalls"
    }
}

/// One pool's result.
public struct PoolResult: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case converged
        /// Something failed or is still different; see `remaining` and `error`.
        case failed
        /// Not started: the deadline passed first.
        case skipped
    }

    public var key: String
    public var action: PlanAction
    public var poolID: String?
    public var status: Status
    public var operations: [OperationResult]
    public var sendersAdded: Int
    public var sendersRemoved: Int
    /// Differences left after the final check, e.g. "sender X is not a member".
    public var remaining: [String]
    public var error: String?
    public var durationMS: Int

    public init(key: String, action: PlanAction, poolID: String? = nil) {
        self.key = key
        self.action = action
        self.poolID = poolID
        status = .converged
        operations = []
        sendersAdded = 0
        sendersRemoved = 0
        remaining = []
        error = nil
        durationMS = 0
    }

    /// The public format's keys (`ApplyReport.CodingKeys`).
    enum CodingKeys: String, CodingKey {
        case key, action, poolID, status, operations, sendersAdded, sendersRemoved, remaining, error, durationMS
    }
}

/// An asynchronous operation apply started and polled.
public struct OperationResult: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case create
        case addSenders = "add-senders"
    }

    public var id: String
    public var kind: Kind
    public var status: String
    public var total: Int
    public var created: Int
    public var failed: Int
    public var polls: Int

    public init(id: String, kind: Kind, status: String, total: Int, created: Int, failed: Int, polls: Int) {
        self.id = id
        self.kind = kind
        self.status = status
        self.total = total
        self.created = created
        self.failed = failed
        self.polls = polls
    }

    /// The public format's keys (`ApplyReport.CodingKeys`).
    enum CodingKeys: String, CodingKey {
        case id, kind, status, total, created, failed, polls
    }
}

/// Progress for people and CI logs, one event per finished step.
public struct ApplyEvent: Sendable, Hashable {
    public var key: String
    public var message: String
    public var poolsDone: Int
    public var poolsTotal: Int
    public var sendersAdded: Int
    public var sendersRemoved: Int

    public init(key: String, message: String, poolsDone: Int, poolsTotal: Int, sendersAdded: Int, sendersRemoved: Int) {
        self.key = key
        self.message = message
        self.poolsDone = poolsDone
        self.poolsTotal = poolsTotal
        self.sendersAdded = sendersAdded
        self.sendersRemoved = sendersRemoved
    }
}

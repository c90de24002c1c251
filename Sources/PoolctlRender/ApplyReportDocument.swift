import PoolctlEngine
import PoolctlModel
import PoolctlPlan

/// The apply report, a public format (`formatVersion: 1`): what
/// `apply --format json` prints. Its types are its own and map the engine's
/// `ApplyReport` explicitly, so an internal rename cannot change the format.
public struct ApplyReportDocument: Sendable, Hashable, Codable {
    public static let currentFormatVersion = 1

    /// The public spellings of `ApplyReport`'s enums, mapped by raw value.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        case converged, partial
    }

    public var formatVersion: Int
    public var stack: String
    public var outcome: Outcome
    /// Sorted by key, then pool id.
    public var pools: [Pool]
    /// Actual calls made by endpoint, attempts included.
    public var apiCalls: [String: Int]
    public var retries: Int
    public var durationMS: Int
    /// The plan's estimate of `apiCalls`' total, when apply had a plan.
    public var estimatedApiCalls: Int?

    public init(_ report: ApplyReport) {
        formatVersion = Self.currentFormatVersion
        stack = report.stack
        outcome = Outcome(mirroring: report.outcome)
        pools = report.pools.map(Pool.init)
        apiCalls = report.apiCalls
        retries = report.retries
        durationMS = report.durationMS
        estimatedApiCalls = report.estimatedCalls
    }

    /// One pool's result.
    public struct Pool: Sendable, Hashable, Codable {
        public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
            case converged, failed, skipped
        }

        public var key: String
        /// The plan file's action names.
        public var action: PlanFile.Action
        public var poolID: String?
        public var status: Status
        public var operations: [Operation]
        public var sendersAdded: Int
        public var sendersRemoved: Int
        public var remaining: [String]
        public var error: String?
        public var durationMS: Int

        init(_ result: PoolResult) {
            key = result.key
            action = PlanFile.Action(result.action)
            poolID = result.poolID
            status = Status(mirroring: result.status)
            operations = result.operations.map(Operation.init)
            sendersAdded = result.sendersAdded
            sendersRemoved = result.sendersRemoved
            remaining = result.remaining
            error = result.error
            durationMS = result.durationMS
        }
    }

    /// An asynchronous operation apply started and polled.
    public struct Operation: Sendable, Hashable, Codable {
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

        init(_ operation: OperationResult) {
            id = operation.id
            kind = Kind(mirroring: operation.kind)
            status = operation.status
            total = operation.total
            created = operation.created
            failed = operation.failed
            polls = operation.polls
        }
    }

    /// Deterministic, key-sorted JSON.
    public func json() -> String { JSONOutput.encode(self) }
}

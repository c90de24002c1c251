import PoolctlAPI
import PoolctlModel
import PoolctlPlan

/// The engine's one entry point: refresh and plan, check a saved plan, apply,
/// each with the API calls it made. The CLI and the end-to-end harness both
/// go through it.
///
/// It takes a `DesiredState`, not manifest paths: loading manifests prints
/// diagnostics, which is the caller's job, and the engine stays free of YAML.
public struct Workflow: Sendable {
    public var api: any CommsAPI
    /// The counter `api` records its calls into; a fresh one for an API that counts nothing.
    public var calls: CallCounter
    /// Pools read, and pools changed, at once.
    public var parallelism: Int
    /// Bounds the whole apply.
    public var timeout: Duration
    /// Senders per Create or Add Senders request at most; nil for the API's 10,000.
    public var maxBatch: Int?
    public var clock: ApplyClock

    public init(
        api: any CommsAPI, calls: CallCounter = CallCounter(), parallelism: Int = 16,
        timeout: Duration = ApplyOptions().timeout, clock: ApplyClock = .continuous
    ) {
        self.api = api
        self.calls = calls
        self.parallelism = parallelism
        self.timeout = timeout
        self.clock = clock
    }

    /// A plan, and the calls it took to read the live state.
    public struct Planned: Sendable {
        public var plan: Plan
        public var calls: Int
    }

    /// Reads the live state the manifests need and diffs it against them.
    public func plan(desired: DesiredState) async throws -> Planned {
        let before = calls.total
        let live = try await refresher.read(for: desired)
        return Planned(plan: Planner().plan(desired: desired, live: live), calls: calls.total - before)
    }

    /// Whether a saved plan still holds, and the calls it took to find out.
    public struct SavedPlanCheck: Sendable {
        /// What changed since the plan was made, one sentence each, sorted.
        public var differences: [String]
        public var calls: Int
        public var isStale: Bool { !differences.isEmpty }
    }

    /// Re-reads every pool the plan depends on and compares it with the
    /// plan's fingerprints; also catches an owned pool that appeared under a
    /// key the plan would create.
    public func checkSavedPlan(_ plan: Plan) async throws -> SavedPlanCheck {
        let before = calls.total
        let adopting = Set(plan.changes.filter { $0.action == .adopt }.compactMap(\.poolID))
        let live = try await refresher.read(stack: plan.stack, adopting: adopting)
        return SavedPlanCheck(differences: StalePlanCheck.differences(plan: plan, live: live), calls: calls.total - before)
    }

    /// Executes the plan. The report counts the calls apply made, by endpoint.
    /// A plan without changes makes no call; its report counts the calls
    /// this workflow made to find that out.
    public func apply(_ plan: Plan, progress: @escaping @Sendable (ApplyEvent) -> Void = { _ in }) async -> ApplyReport {
        guard plan.hasChanges else {
            return ApplyReport(stack: plan.stack, pools: [], apiCalls: Self.byName(calls.calls), retries: calls.retries)
        }
        var options = ApplyOptions()
        options.parallelism = parallelism
        options.timeout = timeout
        options.maxBatch = maxBatch
        let before = calls.calls
        var report = await Applier(api: api, clock: clock, options: options, progress: progress).apply(plan)
        var made = calls.calls
        for (endpoint, count) in before { made[endpoint, default: 0] -= count }
        report.apiCalls = Self.byName(made)
        report.retries = calls.retries
        return report
    }

    private var refresher: Refresher { Refresher(api: api, parallelism: parallelism) }

    /// Calls keyed by endpoint name (`POST /v1/SenderPools`), zeros left out.
    private static func byName(_ calls: [Endpoint: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: calls.filter { $0.value > 0 }.map { ($0.key.rawValue, $0.value) })
    }
}

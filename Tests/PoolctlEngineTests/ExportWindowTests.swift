import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import Testing

/// Export holds only a bounded window of pools' members: it reads at the
/// refresh's width (`--parallelism`), not the apply's pools at once.
struct ExportWindowTests {
    @Test func exportReadsAtTheRefreshWidthNotThePoolsAtOnce() async throws {
        let pools = (0..<200).map { index in
            SenderPool(
                id: "comms_senderpool_e\(index)", name: "pool \(index)", tags: [:], createdAt: "2025-01-01T00:00:00Z", updatedAt: "u")
        }
        let api = PagedAccount(pools: pools)
        var workflow = Workflow(api: api, parallelism: Workflow.poolsAtOnce, clock: ManualClock().clock)
        workflow.refreshParallelism = 4
        var exported = 0
        let result = try await workflow.export(stack: "web", filter: try ExportFilter(), protect: true) { _ in exported += 1 }
        #expect(exported == 200 && result.desired.pools.count == 200)
        let most = api.state.withLock { $0.mostMemberReads }
        #expect(most >= 2 && most <= 4, "member reads at once: \(most)")
    }
}

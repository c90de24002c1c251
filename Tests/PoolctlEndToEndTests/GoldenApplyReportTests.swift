import Foundation
import PoolctlEngine
import PoolctlRender
import Testing

/// The apply report's public format, pinned by a golden file:
/// `Tests/Fixtures/plan/create/apply-report.json`. Deterministic: the
/// emulator runs on a manual clock that only apply's waits move, and pools
/// are applied one at a time so that each pool's duration is its own.
@Suite struct GoldenApplyReportTests {
    @Test func theApplyReportMatchesItsGoldenFile() async throws {
        let directory = GoldenPlanTests.directory.appendingPathComponent("create")
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let api = CountingAPI(base: rig.store)
        let workflow = Workflow(api: api, calls: api.counter, parallelism: 1, clock: rig.applyClock)
        let planned = try await workflow.plan(desired: desired)
        // Two retries while planning (as the HTTP client records them): not apply's.
        api.counter.recordRetry()
        api.counter.recordRetry()
        let report = await workflow.apply(planned.plan)
        #expect(report.outcome == .converged)
        // The report counts apply's calls and retries only, not the refresh before it.
        #expect(report.totalCalls == api.counter.total - planned.calls)
        #expect(report.retries == 0 && api.counter.retries == 2)

        let actual = ApplyRenderer.json(report)
        let result = try checkGolden(actual, directory.appendingPathComponent("apply-report.json"))
        if result.recorded {
            Issue.record("recorded create/apply-report.json; rerun without RECORD_GOLDEN")
        } else {
            #expect(result.matches, "create/apply-report.json differs from the golden file")
            if !result.matches { print("--- expected\n\(result.expected)\n--- actual\n\(actual)") }
        }
    }
}

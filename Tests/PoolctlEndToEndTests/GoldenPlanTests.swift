import Foundation
import PoolctlEmulator
import PoolctlEngine
import PoolctlPlan
import PoolctlRender
import Testing

/// Each `Tests/Fixtures/plan/<case>/` holds manifests, an emulator seed and
/// the expected plan.txt, plan.json and plan.md. `RECORD_GOLDEN=1 swift test`
/// rewrites the expectations and fails, so a recording is never a pass.
@Suite struct GoldenPlanTests {
    static let directory = fixturesDirectory.appendingPathComponent("plan")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test func theRequiredCasesExist() {
        let required = [
            "create", "update", "membership", "additive", "adopt", "prune", "protected", "duplicates", "unmanaged-same-name",
            "markdown-cap", "move", "ignore-tags", "guard-blocked", "targeted",
        ]
        #expect(Set(required).isSubset(of: Set(Self.cases)))
    }

    @Test(arguments: cases)
    func planMatchesTheGoldenFiles(name: String) async throws {
        let directory = Self.directory.appendingPathComponent(name)
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let loaded = try await loadFixtureManifests(directory, store: rig.store)
        let desired = try #require(loaded.desired, "manifests of \(name) must be valid: \(loaded.diagnostics)")
        let plan = try await rig.plan(desired, options: try FixtureOptions.load(directory))
        let outputs = [
            ("plan.txt", PlanRenderer.text(plan)),
            ("plan.json", PlanFile(plan: plan, poolctlVersion: "test").json()),
            ("plan.md", PlanRenderer.markdown(plan)),
        ]
        for (file, actual) in outputs {
            let result = try checkGolden(actual, directory.appendingPathComponent(file))
            if result.recorded {
                Issue.record("recorded \(name)/\(file); rerun without RECORD_GOLDEN")
            } else {
                #expect(result.matches, "\(name)/\(file) differs from the golden file")
                if !result.matches { print("--- expected \(name)/\(file)\n\(result.expected)\n--- actual\n\(actual)") }
            }
        }
        #expect(PlanRenderer.markdown(plan).unicodeScalars.count < PlanRenderer.markdownLimit)
    }

    @Test(arguments: cases)
    func applyThenPlanAgainHasNoChanges(name: String) async throws {
        let directory = Self.directory.appendingPathComponent(name)
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let options = try FixtureOptions.load(directory)
        let plan = try await rig.plan(desired, options: options)
        if plan.hasConflicts {
            // Conflicts block apply; the next plan reports the same conflicts.
            let again = try await rig.plan(desired, options: options)
            #expect(again.summary.conflicts == plan.summary.conflicts)
            return
        }
        let report = await rig.apply(plan)
        #expect(report.outcome == .converged, "\(ApplyRenderer.text(report))")
        // (The guard is the CLI's to enforce; a blocked plan still applies cleanly here.)
        let after = try await rig.plan(desired)
        if let targeting = plan.targeting {
            // The targeted keys converged; the keys left out were not touched.
            let changed = Set(after.changes.filter(\.action.isChange).map(\.key))
            #expect(changed.allSatisfy { !targeting.includes($0) }, "\(PlanRenderer.text(after))")
            #expect(changed == Set(targeting.leftOut).intersection(changed) && !changed.isEmpty)
        } else {
            #expect(!after.hasChanges, "\(PlanRenderer.text(after))")
        }
        // Exactly one live pool per declared key (per targeted key for a partial plan).
        let state = await rig.store.state()
        for pool in desired.pools where plan.targeting?.includes(pool.key) ?? true {
            let owners = state.pools.filter { $0.tags["poolctl"]?.hasPrefix("v1~\(desired.stack)~\(pool.key)") == true }
            let exact = owners.filter {
                $0.tags["poolctl"] == "v1~\(desired.stack)~\(pool.key)" || $0.tags["poolctl"] == "v1~\(desired.stack)~\(pool.key)~protected"
            }
            #expect(exact.count == 1, "pool \(pool.key) has \(exact.count) live pools")
        }
    }

    @Test func theMarkdownCapCutsWithExactCounts() async throws {
        let directory = Self.directory.appendingPathComponent("markdown-cap")
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let plan = try await rig.plan(desired)
        let markdown = PlanRenderer.markdown(plan)
        #expect(markdown.unicodeScalars.count < 60_000)
        #expect(markdown.contains("<!-- poolctl-plan:big -->"))
        // Every pool is either shown as a section or counted in the cut notice.
        let pools = plan.changes.filter { $0.action.isChange }.count
        let shown = markdown.components(separatedBy: "<details>").count - 1
        #expect(pools == 150)
        #expect(shown == 31)
        #expect(markdown.contains("Cut to stay under 60,000 characters: 119 more sections (119 pools) not shown."))
        #expect(pools - shown == 119)
    }
}

import Foundation
import PoolctlModel
import PoolctlPlan
import Testing

/// The golden plan files of Tests/Fixtures/plan/*/plan.json.
private let goldenPlans: [URL] = {
    let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/plan")
    let cases = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    return cases.map { directory.appendingPathComponent($0).appendingPathComponent("plan.json") }
}()

@Suite struct PlanFileTests {
    @Test func theGoldenPlansExist() {
        #expect(goldenPlans.count >= 10)
    }

    /// Reading a golden file into a `Plan` and saving that plan again gives
    /// the same bytes: the mapping both ways loses nothing.
    @Test(arguments: goldenPlans)
    func aSavedPlanSurvivesReadingAndWriting(file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        let read = try PlanFile.decode(Array(text.utf8))
        let written = PlanFile(plan: read.plan, poolctlVersion: read.poolctlVersion).json()
        #expect(written == text, "\(file.path)")
        #expect(read.summary.hasChanges == read.plan.hasChanges)
    }

    @Test func everyActionKeepsItsPublicName() {
        let names = PlanAction.allCases.map { PlanFile.Action($0).rawValue }
        #expect(names == ["create", "update", "adopt", "move", "delete", "delete-duplicate", "delete-blocked", "conflict", "no-change"])
    }

    @Test(arguments: [
        ("[1]", "not a JSON document"),
        (#"{"formatVersion": 1, "kind": "terraform-plan"}"#, #"not a poolctl plan (expected "kind": "poolctl-plan")"#),
        // Version 1 has no guard and no targeting: applying it as a whole, allowed plan could be wrong.
        (#"{"formatVersion": 1, "kind": "poolctl-plan"}"#, "plan formatVersion 1 is not supported; this poolctl reads version 2"),
        (#"{"formatVersion": 3, "kind": "poolctl-plan"}"#, "plan formatVersion 3 is not supported; this poolctl reads version 2"),
        (#"{"kind": "poolctl-plan"}"#, "plan formatVersion missing is not supported; this poolctl reads version 2"),
    ])
    func aReaderRefusesOtherKindsAndVersions(text: String, message: String) {
        do {
            let file = try PlanFile.decode(Array(text.utf8))
            Issue.record("accepted \(file)")
        } catch {
            #expect(error.description == message)
        }
    }
}

import Foundation
import PoolctlManifest
import PoolctlModel
import PoolctlPlan
import Testing

/// Every manifest set in examples/ validates with no diagnostics at all.
@Suite struct ExampleTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    /// Directories of manifests; `seeds` holds emulator seeds, `ci` workflows
    /// and `policy` a policy (checked below).
    static var sets: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: examples.path)) ?? []
        return names.filter { name in
            var isDirectory: ObjCBool = false
            return !["seeds", "ci", "policy"].contains(name)
                && FileManager.default.fileExists(atPath: examples.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    @Test func quickstartIsAnExample() {
        #expect(Self.sets.contains("quickstart"))
    }

    @Test(arguments: sets)
    func exampleValidates(set: String) throws {
        let result = ManifestLoader().load(paths: [Self.examples.appendingPathComponent(set).path])
        #expect(lines(result.diagnostics) == [])
        let desired = try #require(result.desired)
        #expect(!desired.pools.isEmpty)
    }

    /// The example policy is well formed, and the example sets keep its
    /// require rules (issue 21).
    @Test func theExamplePolicyLoadsAndTheExamplesKeepIt() throws {
        let loaded = PolicyLoader().load(paths: [Self.examples.appendingPathComponent("policy").path])
        #expect(lines(loaded.diagnostics) == [])
        let policy = try #require(loaded.policy)
        #expect(policy.rules.map(\.id) == ["team-tag", "prod-protected", "critical-has-a-fallback-sender", "prod-removals"])
        for set in Self.sets {
            let desired = try #require(ManifestLoader().load(paths: [Self.examples.appendingPathComponent(set).path]).desired)
            #expect(lines(PolicyCheck.require(policy, desired: desired)) == [], "\(set)")
        }
    }

    @Test func quickstartResolvesToTheDocumentedState() throws {
        let result = ManifestLoader().load(paths: [Self.examples.appendingPathComponent("quickstart").path])
        let desired = try #require(result.desired)
        #expect(desired.stack == "marketing")
        #expect(desired.prune)
        #expect(desired.pools.map(\.key) == ["sales-apac", "sales-emea", "support-us"])
        let emea = desired.pools[1]
        #expect(emea.name == "Sales Leads - EMEA")
        #expect(emea.tags == ["region": "EMEA", "team": "sales", "cost-center": "4711"])
        #expect(emea.senders.count == 2)
        let support = desired.pools[2]
        #expect(support.membership == .additive)
        #expect(support.protect)
        #expect(support.tags["tier"] == "1.0")
    }
}

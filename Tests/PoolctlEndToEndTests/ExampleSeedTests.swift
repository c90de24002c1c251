import Foundation
import PoolctlEmulator
import PoolctlManifest
import Testing

/// Each example set in examples/ has an emulator seed of the same name in
/// examples/seeds/ whose inventory holds every sender the set declares, so
/// that `poolctl apply` of the set converges against `poolctl emulator --seed`.
@Suite struct ExampleSeedTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples")

    static var sets: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: examples.path)) ?? []
        return names.filter { !["seeds", "ci", "policy"].contains($0) && !$0.contains(".") }.sorted()
    }

    @Test func theSetsAreFound() {
        #expect(Self.sets.contains("quickstart") && Self.sets.contains("multi-file"))
    }

    @Test(arguments: sets)
    func everyDeclaredSenderIsInTheSeedOfTheSetsName(set: String) throws {
        let seed = try EmulatorSeed.load(path: Self.examples.appendingPathComponent("seeds/\(set).yaml").path)
        let inventory = Set(seed.senders.map(\.id))
        let desired = try #require(ManifestLoader().load(paths: [Self.examples.appendingPathComponent(set).path]).desired)
        let declared = Set(desired.pools.flatMap(\.senders))
        #expect(!declared.isEmpty)
        #expect(declared.isSubset(of: inventory), "not in seeds/\(set).yaml: \(declared.subtracting(inventory).sorted())")
    }
}

import Foundation
import PoolctlAPI
import PoolctlEmulator
import PoolctlEngine
import PoolctlManifest
import PoolctlModel
import PoolctlPlan

/// The repository's Tests/Fixtures directory.
let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// An in-process emulator on a manual clock: deterministic ids and
/// timestamps, and apply's waits advance the clock instead of sleeping.
struct Rig {
    let store: EmulatorStore
    let clock: ManualClock

    init(seedPath: String, configuration: EmulatorConfiguration = EmulatorConfiguration()) throws {
        clock = ManualClock()
        let seed = try EmulatorSeed.load(path: seedPath)
        store = try EmulatorStore(seed: seed, configuration: configuration, clock: clock.clock)
    }

    /// Apply's waits advance the emulator's clock: one timeline for both.
    var applyClock: PoolctlClock { clock.clock }

    /// The engine's entry point over the store.
    func workflow(parallelism: Int = 4) -> Workflow {
        Workflow(api: store, parallelism: parallelism, clock: applyClock)
    }

    func plan(_ desired: DesiredState, options: FixtureOptions = FixtureOptions()) async throws -> Plan {
        try await workflow().plan(desired: desired, selection: options.selection, allowDestructive: options.allowDestructive).plan
    }

    func apply(_ plan: Plan) async -> ApplyReport {
        await workflow().apply(plan)
    }
}

/// Loads a fixture's manifests, replacing `{{seed-pool-N}}` with the id of
/// the N-th seeded pool (ids are generated, so fixtures cannot spell them).
func loadFixtureManifests(_ directory: URL, store: EmulatorStore) async throws -> ManifestLoader.Result {
    let pools = try await store.allSenderPools().collect()
    let manifests = directory.appendingPathComponent("manifests")
    let names = try FileManager.default.contentsOfDirectory(atPath: manifests.path).filter { $0.hasSuffix(".yaml") }.sorted()
    var contents: [(path: String, bytes: [UInt8])] = []
    for name in names {
        var text = try String(contentsOf: manifests.appendingPathComponent(name), encoding: .utf8)
        for (index, pool) in pools.enumerated() {
            text = text.replacingOccurrences(of: "{{seed-pool-\(index)}}", with: pool.id)
        }
        contents.append(("manifests/\(name)", Array(text.utf8)))
    }
    return ManifestLoader().load(contents: contents)
}

/// A fixture's `options.json`, the flags its plan is made with:
/// `{"targets": [...], "excludes": [...], "allowDestructive": true}`, all optional.
struct FixtureOptions: Decodable {
    var targets: [String]? = nil
    var excludes: [String]? = nil
    var allowDestructive = false

    var selection: KeySelection { KeySelection(targets: targets ?? [], excludes: excludes ?? []) }

    static func load(_ directory: URL) throws -> FixtureOptions {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("options.json").path) else {
            return FixtureOptions()
        }
        return try JSONDecoder().decode(FixtureOptions.self, from: data)
    }

    enum CodingKeys: CodingKey { case targets, excludes, allowDestructive }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        targets = try container.decodeIfPresent([String].self, forKey: .targets)
        excludes = try container.decodeIfPresent([String].self, forKey: .excludes)
        allowDestructive = try container.decodeIfPresent(Bool.self, forKey: .allowDestructive) ?? false
    }
}

/// Compares with a golden file, or rewrites it under RECORD_GOLDEN=1.
func checkGolden(_ actual: String, _ file: URL) throws -> (matches: Bool, recorded: Bool, expected: String) {
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
        try actual.write(to: file, atomically: true, encoding: .utf8)
        return (true, true, actual)
    }
    let expected = (try? String(contentsOf: file, encoding: .utf8)) ?? "<missing \(file.lastPathComponent)>"
    return (expected == actual, false, expected)
}

import Foundation
import PoolctlAPI

/// `--background-writes RATE`: another user's automation in the same
/// account. Before each `/v1` request the HTTP front asks for a Poisson
/// number of writes with mean RATE (`backgroundWrites()`); each creates a
/// foreign pool or deletes one the writer made itself, keeping its
/// population between `low` and `high` (`initialPopulation` exist from the
/// start, like seeded pools). Its pools are named `bg-NNNN` and tagged
/// `team: background` only, never with a `poolctl` or `poolctl-lease` key,
/// and have no senders. It never writes to a pool it did not create, nor
/// to one of its own that has since been given a `poolctl` or
/// `poolctl-lease` tag. Its writes go through the endpoints' own code (so
/// every behaviour applies, and creates start operations) and appear in the
/// write log as actor `background`. Its dice are seeded from `--random-seed`.
struct EmulatorBackground {
    static let maxRate = 100.0
    static let initialPopulation = 20
    /// Below `low` it only creates, above `high` it only deletes.
    static let low = 10
    static let high = 30
    /// Never more live pools than this, even when none can be deleted yet.
    static let cap = 40
    static let tags: Tags = ["team": "background"]
    /// Tag keys that mark a pool as someone else's: such pools are left alone.
    static let claimedKeys = ["poolctl", "poolctl-lease"]

    static func name(_ n: Int) -> String {
        let digits = String(n)
        return "bg-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    let rate: Double
    private let seed: UInt64
    var rng: SplitMix64
    /// Pools made so far (names `bg-0001` on).
    var made: Int
    /// The pools it made that it has not deleted, oldest first.
    var live: [PoolRecord] = []

    init(configuration: EmulatorConfiguration) {
        rate = configuration.backgroundWrites
        seed = configuration.randomSeed &+ 0xB6_0B_6000_0000_0001
        rng = SplitMix64(seed: seed)
        made = 0
    }

    /// As after seeding: the dice from the start, `initial` live.
    mutating func reset(initial: [PoolRecord]) {
        rng = SplitMix64(seed: seed)
        made = initial.count
        live = initial
    }

    /// A Poisson draw with mean `rate` (Knuth's method; rate <= 100).
    mutating func count() -> Int {
        guard rate > 0 else { return 0 }
        let limit = exp(-rate)
        var k = 0
        var p = rng.nextUnit()
        while p > limit {
            k += 1
            p *= rng.nextUnit()
        }
        return k
    }
}

extension EmulatorStore {
    /// Before a `/v1` request: on average `--background-writes` foreign
    /// writes (none when it is 0).
    public func backgroundWrites() {
        guard backgroundRate > 0 else { return }
        performBackgroundWrites(background.count())
    }

    /// Exactly `count` background writes, each a create or a delete.
    public func performBackgroundWrites(_ count: Int) {
        for _ in 0..<max(0, count) { backgroundWrite() }
    }

    /// The pools the background writer has made and not deleted, ids oldest first.
    public func backgroundPoolIDs() -> [String] {
        background.live.removeAll { $0.deletedAt != nil }
        return background.live.map(\.id)
    }

    private func backgroundWrite() {
        // Pools someone else deleted are no longer the writer's to count.
        background.live.removeAll { $0.deletedAt != nil }
        let n = background.live.count
        let createChance = Double(EmulatorBackground.high - n) / Double(EmulatorBackground.high - EmulatorBackground.low)
        if background.rng.chance(createChance) || !backgroundDelete() {
            if n < EmulatorBackground.cap { backgroundCreate() }
        }
    }

    private func backgroundCreate() {
        background.made += 1
        let request = CreateSenderPoolRequest(name: EmulatorBackground.name(background.made), tags: EmulatorBackground.tags)
        // A valid request to a store that is not faulted: it cannot fail.
        if let (_, pool) = try? create(request, origin: origin, source: .background) {
            background.live.append(pool)
        }
    }

    /// Deletes one of its own idle, visible, unclaimed pools; false when there is none.
    private func backgroundDelete() -> Bool {
        let candidates = background.live.indices.filter { i in
            let pool = background.live[i]
            return pools[pool.id] === pool && pool.activeOperation == nil
                && !EmulatorBackground.claimedKeys.contains { pool.tags[$0] != nil }
        }
        guard !candidates.isEmpty else { return false }
        let index = candidates[Int(background.rng.next() % UInt64(candidates.count))]
        let pool = background.live.remove(at: index)
        _ = try? deleteSenderPool(id: pool.id, origin: origin, source: .background)
        return true
    }
}

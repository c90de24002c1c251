import PoolctlAPI

/// Seeding: the seed's pools checked against the field rules and the
/// inventory, and the records built from them (at start and on reset).
extension EmulatorStore {
    struct SeededPool {
        var id: String
        var name: String
        var tags: Tags
        var members: [Int32]
    }

    /// What `reset()` goes back to.
    struct SeededState {
        var pools: [SeededPool]
        /// The background writer's pools that exist from the start
        /// (`--background-writes` above 0).
        var background: [SeededPool] = []
        var ids: ULIDGenerator
        var rng: SplitMix64
        var now: Int64
    }

    /// The seed's pools with their ids (given or generated) and members, or
    /// every problem found.
    static func seededState(
        _ seed: EmulatorSeed, inventoryIndex index: [String: Int32], configuration: EmulatorConfiguration,
        now: Int64
    ) throws(EmulatorSeedError) -> SeededState {
        var ids = ULIDGenerator(seed: configuration.randomSeed ^ 0x1D5_0F_5EED)
        var problems: [EmulatorSeedError.Problem] = []
        var seededPools: [SeededPool] = []
        var usedIDs = Set<String>()
        // `senderRange`: a position in `seed.senders` -> an inventory index.
        let positions = seed.pools.contains { $0.senderRange != nil } ? seed.senders.map { index[$0.id] ?? -1 } : []
        for (n, pool) in seed.pools.enumerated() {
            let what = "pool \(n + 1)"
            if let id = pool.id, let problem = FieldRules.idProblem(id, kind: .senderPool, what: "\(what) id") {
                problems.append(.init(message: problem))
                continue
            }
            if let problem = FieldRules.nameProblem(pool.name) ?? FieldRules.tagsProblem(pool.tags) {
                problems.append(.init(message: "\(what): \(problem)"))
                continue
            }
            guard var members = members(of: pool, what: what, index: index, positions: positions, problems: &problems) else { continue }
            let id = pool.id ?? EmulatorIDKind.senderPool.prefix + ids.next(milliseconds: now)
            guard usedIDs.insert(id).inserted else {
                problems.append(.init(message: "\(what): pool id '\(id)' is used twice"))
                continue
            }
            members.sort()
            seededPools.append(SeededPool(id: id, name: pool.name, tags: pool.tags, members: SortedIndices.uniqued(members)))
        }
        if !problems.isEmpty { throw EmulatorSeedError(file: nil, problems: problems) }
        // The background writer's pools exist from the start (`--background-writes` above 0).
        let background =
            configuration.backgroundWrites > 0
            ? (1...EmulatorBackground.initialPopulation).map { n in
                SeededPool(
                    id: EmulatorIDKind.senderPool.prefix + ids.next(milliseconds: now), name: EmulatorBackground.name(n),
                    tags: EmulatorBackground.tags, members: [])
            } : []
        let rng = SplitMix64(seed: configuration.randomSeed &+ 0xCA9C_E15E_ED00_0001)
        return SeededState(pools: seededPools, background: background, ids: ids, rng: rng, now: now)
    }

    /// A seeded pool's members as inventory indices (its `senders`, then its
    /// `senderRange` over `positions`), unsorted; nil when a sender is not in
    /// the inventory or the range does not fit, with the problems added.
    private static func members(
        of pool: EmulatorSeed.Pool, what: String, index: [String: Int32], positions: [Int32],
        problems: inout [EmulatorSeedError.Problem]
    ) -> [Int32]? {
        var members: [Int32] = []
        var missing = false
        for sender in pool.senders {
            guard let i = index[sender] else {
                problems.append(.init(message: "\(what): sender '\(sender)' is not in the inventory"))
                missing = true
                continue
            }
            members.append(i)
        }
        if let range = pool.senderRange {
            guard range.start >= 0, range.count >= 0, range.count <= positions.count else {
                problems.append(.init(message: "\(what): senderRange must lie within the \(positions.count) declared senders"))
                return nil
            }
            members.reserveCapacity(members.count + range.count)
            var position = range.start % max(1, positions.count)
            for _ in 0..<range.count {
                members.append(positions[position])
                position += 1
                if position == positions.count { position = 0 }
            }
        }
        return missing ? nil : members
    }

    static func buildPools(_ seeded: SeededState, style: TimestampStyle) -> ([String: PoolRecord], [PoolRecord]) {
        let micros = style.micros(atMS: seeded.now)
        let stamp = style.render(micros: micros)
        var byID: [String: PoolRecord] = [:]
        var order: [PoolRecord] = []
        for pool in seeded.pools + seeded.background {
            let record = PoolRecord(
                id: pool.id, micros: micros, createdAt: stamp,
                name: pool.name, tags: pool.tags, visibleFrom: .min)
            record.members = pool.members
            byID[pool.id] = record
            order.append(record)
        }
        order.sort { $0.position < $1.position }
        return (byID, order)
    }
}

/// Counts and a few sender ids, for the CLI to print at start-up.
public struct EmulatorSeedSummary: Sendable, Hashable, CustomStringConvertible {
    public var senders: Int
    public var pools: Int
    /// Up to three ACTIVATED sender ids from the inventory.
    public var sampleSenderIDs: [String]
    /// The background writer's pools at the start (`--background-writes`).
    public var backgroundPools: Int

    public init(senders: Int, pools: Int, sampleSenderIDs: [String], backgroundPools: Int = 0) {
        self.senders = senders
        self.pools = pools
        self.sampleSenderIDs = sampleSenderIDs
        self.backgroundPools = backgroundPools
    }

    public var description: String {
        var text = "\(senders) sender\(senders == 1 ? "" : "s") in the inventory, \(pools) pool\(pools == 1 ? "" : "s")"
        if backgroundPools > 0 { text += " and \(backgroundPools) of the background writer" }
        if !sampleSenderIDs.isEmpty { text += "; e.g. " + sampleSenderIDs.joined(separator: ", ") }
        return text
    }
}

import Foundation
import PoolctlModel
import PoolctlYAML

/// The seed's `pools`: each one checked against the field rules and the
/// inventory, on all cores for large seeds.
extension SeedDecoder {
    /// The `pools` section: each pool once (by id when it gives one).
    mutating func decodePools(_ node: YAMLNode, into seed: inout EmulatorSeed, known: [String: Mark]) {
        if node.isNull { return }
        guard let items = sequence(node, what: "pools") else { return }
        var poolIDs: [String: Mark] = [:]
        for (item, decoded) in zip(items, decodeEach(items, known: known, seed: seed)) {
            guard let pool = decoded else { continue }
            if let id = pool.id {
                if let previous = poolIDs[id] {
                    fail(item.mark, "pool id '\(id)' is already used at line \(previous.line)")
                    continue
                }
                poolIDs[id] = item.mark
            }
            seed.pools.append(pool)
        }
    }

    /// `decodePool` of every item, on all cores when there are many (a
    /// seed of 10,000 pools × 1,000 senders checks 10M ids); the problems
    /// are appended in item order, as one pass would.
    private mutating func decodeEach(_ items: [YAMLNode], known: [String: Mark], seed: EmulatorSeed) -> [EmulatorSeed.Pool?] {
        let chunkSize = 256
        guard items.count > chunkSize else {
            return items.map { decodePool($0, known: known, seed: seed) }
        }
        let chunks = (items.count + chunkSize - 1) / chunkSize
        let results = ChunkResults(count: chunks)
        // The synthetic ids, computed once rather than once per chunk.
        if seed.generatedSenders > 0, generatedIDs == nil {
            generatedIDs = Set(EmulatorSeed.syntheticSenders(count: seed.generatedSenders).map(\.id))
        }
        let input = SeedChunkInput(items: items, known: known, seed: seed, generatedIDs: generatedIDs)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var decoder = SeedDecoder()
            decoder.generatedIDs = input.generatedIDs
            let range = chunk * chunkSize..<min(input.items.count, (chunk + 1) * chunkSize)
            let pools = input.items[range].map { decoder.decodePool($0, known: input.known, seed: input.seed) }
            results.set(chunk, (pools, decoder.problems))
        }
        var pools: [EmulatorSeed.Pool?] = []
        pools.reserveCapacity(items.count)
        for (chunkPools, chunkProblems) in results.all {
            pools += chunkPools
            problems += chunkProblems
        }
        return pools
    }

    mutating func decodePool(_ node: YAMLNode, known: [String: Mark], seed: EmulatorSeed) -> EmulatorSeed.Pool? {
        let count = problems.count
        guard let fields = mapping(node, what: "a pool", keys: ["id", "name", "tags", "senders", "senderRange"]) else { return nil }
        var pool = EmulatorSeed.Pool()
        for (key, _, value) in fields {
            switch key {
            case "id":
                pool.id = id(value, kind: .senderPool, what: "pool id") ?? pool.id
            case "name":
                guard let text = string(value, what: "name") else { continue }
                if let problem = FieldRules.nameProblem(text) { fail(value.mark, problem) } else { pool.name = text }
            case "tags":
                if let parsed = tags(value, what: "tags") { pool.tags = parsed }
            case "senderRange":
                pool.senderRange = senderRange(value, declared: seed.senders.count)
            default:  // senders
                pool.senders += decodeMembers(value, known: known, generated: seed.generatedSenders)
            }
        }
        return problems.count == count ? pool : nil
    }

    /// A pool's `senders`: ids of the inventory, each once.
    private mutating func decodeMembers(_ node: YAMLNode, known: [String: Mark], generated: Int) -> [String] {
        if node.isNull { return [] }
        guard let items = sequence(node, what: "senders") else { return [] }
        var seen = Set<String>(minimumCapacity: items.count)
        var members: [String] = []
        members.reserveCapacity(items.count)
        for item in items {
            guard let id = id(item, kind: .sender, field: "a sender id", what: "sender id") else { continue }
            if !seen.insert(id).inserted {
                fail(item.mark, "sender '\(id)' appears more than once in this pool")
            } else if known[id] == nil, !isGenerated(id, count: generated) {
                fail(item.mark, "sender '\(id)' is not in the inventory (declare it under 'senders')")
            } else {
                members.append(id)
            }
        }
        return members
    }
}

/// What the workers of `decodePools` share, read-only.
private struct SeedChunkInput: @unchecked Sendable {
    let items: [YAMLNode]
    let known: [String: Mark]
    let seed: EmulatorSeed
    let generatedIDs: Set<String>?
}

/// Each chunk's pools and problems, written once per chunk by `decodePools`.
private final class ChunkResults: @unchecked Sendable {
    typealias Chunk = (pools: [EmulatorSeed.Pool?], problems: [EmulatorSeedError.Problem])
    private let lock = NSLock()
    private var chunks: [Chunk?]

    init(count: Int) {
        chunks = Array(repeating: nil, count: count)
    }

    func set(_ i: Int, _ chunk: Chunk) {
        lock.lock()
        chunks[i] = chunk
        lock.unlock()
    }

    var all: [Chunk] {
        lock.lock()
        defer { lock.unlock() }
        return chunks.map { $0! }
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel
import PoolctlYAML

/// The emulator's starting state: the account's sender inventory and any
/// pre-existing pools. Read from YAML with `EmulatorSeed.load(path:)`:
///
/// ```yaml
/// senders:                       # the account's sender inventory
///   - {id: comms_sender_01h9krwprkeee8fzqspvwy6nq8, address: "+14155550100", channel: SMS,
///      status: ACTIVATED, displayName: Main line, tags: {}}
/// generate: {senders: 5000}      # plus N deterministic synthetic senders
/// pools:                         # pre-existing pools
///   - {name: Legacy, tags: {team: ops}, senders: [comms_sender_01h9krwprkeee8fzqspvwy6nq8]}
/// ```
public struct EmulatorSeed: Sendable, Hashable {
    /// A pre-existing pool.
    public struct Pool: Sendable, Hashable {
        /// A fixed id; generated when nil.
        public var id: String?
        public var name: String
        public var tags: Tags
        /// Member sender ids; each must be in the inventory.
        public var senders: [String]
        /// More members, by position in the seed's `senders` list.
        public var senderRange: SenderRange?

        public init(id: String? = nil, name: String = "", tags: Tags = [:], senders: [String] = [], senderRange: SenderRange? = nil) {
            self.id = id
            self.name = name
            self.tags = tags
            self.senders = senders
            self.senderRange = senderRange
        }
    }

    /// `senderRange: {start: S, count: N}`: the senders at positions S,
    /// S+1, … S+N-1 (0-based) of the seed's `senders` list, wrapping around
    /// at its end. The compact form of a large seed: 10,000 pools × 1,000
    /// members need no 10M ids written out and parsed.
    public struct SenderRange: Sendable, Hashable {
        public var start: Int
        public var count: Int

        public init(start: Int, count: Int) {
            self.start = start
            self.count = count
        }
    }

    /// Explicit inventory.
    public var senders: [Sender]
    /// How many synthetic senders to add to the inventory.
    public var generatedSenders: Int
    public var pools: [Pool]

    public init(senders: [Sender] = [], generatedSenders: Int = 0, pools: [Pool] = []) {
        self.senders = senders
        self.generatedSenders = generatedSenders
        self.pools = pools
    }

    /// Used when no seed file is given: 20 synthetic senders, no pools.
    public static var standard: EmulatorSeed { EmulatorSeed(generatedSenders: 20) }

    /// `createdAt`/`updatedAt` of seeded senders that do not give one.
    public static let defaultSenderCreatedAt = "2024-01-01T00:00:00Z"
    static let baseSeconds: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
    static let maxGenerated = 1_000_000

    /// Reads and checks a seed file. Errors carry `file:line:column`.
    public static func load(path: String) throws(EmulatorSeedError) -> EmulatorSeed {
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read seed file" : "seed file does not exist"
            throw EmulatorSeedError(file: path, problems: [.init(line: nil, column: nil, message: reason)])
        }
        return try parse(bytes, file: path)
    }

    /// Parses and checks seed YAML; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String = "seed.yaml") throws(EmulatorSeedError) -> EmulatorSeed {
        let result = YAMLParser().parse(bytes)
        var decoder = SeedDecoder()
        for problem in result.problems {
            decoder.fail(problem.mark, problem.message)
        }
        if !result.problems.isEmpty {
            throw EmulatorSeedError(file: file, problems: decoder.problems)
        }
        let documents = result.documents.filter { $0.root != nil }
        if documents.count > 1 {
            decoder.fail(documents[1].mark, "a seed file holds a single YAML document")
        }
        var seed = EmulatorSeed()
        if let root = documents.first?.root {
            seed = decoder.decodeSeed(root)
        }
        if !decoder.problems.isEmpty {
            throw EmulatorSeedError(
                file: file, problems: decoder.problems.sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) })
        }
        return seed
    }

    /// The inventory this seed produces, sorted by `createdAt` then `id`.
    /// Throws when ids repeat or fields are invalid (seeds built in code).
    func inventory() throws(EmulatorSeedError) -> [Sender] {
        var problems: [EmulatorSeedError.Problem] = []
        var seen = Set<String>()
        var all: [Sender] = []
        all.reserveCapacity(senders.count + generatedSenders)
        for sender in senders {
            if let problem = Self.senderProblem(sender) {
                problems.append(.init(line: nil, column: nil, message: problem))
            } else if !seen.insert(sender.id).inserted {
                problems.append(.init(line: nil, column: nil, message: "sender '\(sender.id)' appears more than once"))
            }
            all.append(sender)
        }
        if generatedSenders < 0 || generatedSenders > Self.maxGenerated {
            problems.append(.init(line: nil, column: nil, message: "generate.senders must be between 0 and \(Self.maxGenerated)"))
        }
        if !problems.isEmpty { throw EmulatorSeedError(file: nil, problems: problems) }
        all.append(contentsOf: Self.syntheticSenders(count: generatedSenders, avoiding: seen))
        let keyed = all.map { (Timestamp.parseCanonical($0.createdAt) ?? 0, $0) }
        return keyed.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1.id < $1.1.id }.map(\.1)
    }

    static func senderProblem(_ sender: Sender) -> String? {
        if let problem = FieldRules.idProblem(sender.id, kind: .sender, what: "sender id") { return problem }
        if sender.address.isEmpty { return "sender '\(sender.id)': address must not be empty" }
        if !Channel.documented.contains(sender.channel) { return "sender '\(sender.id)': unknown channel '\(sender.channel)'" }
        if !SenderStatus.documented.contains(sender.status) { return "sender '\(sender.id)': unknown status '\(sender.status)'" }
        if let problem = FieldRules.tagsProblem(sender.tags) { return "sender '\(sender.id)': \(problem)" }
        if Timestamp.parseCanonical(sender.createdAt) == nil || Timestamp.parseCanonical(sender.updatedAt) == nil {
            return "sender '\(sender.id)': createdAt and updatedAt must be YYYY-MM-DDThh:mm:ssZ"
        }
        return nil
    }

    /// Deterministic synthetic senders: the same `count` always gives the
    /// same senders, whatever the random seed.
    public static func syntheticSenders(count: Int, avoiding: Set<String> = []) -> [Sender] {
        var generator = ULIDGenerator(seed: 0x5EED_CAFE_F00D_0001)
        var result: [Sender] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let seconds = baseSeconds + Int64(i) + 1
            var suffix = generator.next(milliseconds: seconds * 1000)
            while avoiding.contains(EmulatorIDKind.sender.prefix + suffix) {
                suffix = generator.next(milliseconds: seconds * 1000)
            }
            let n = i + 1
            let channel: Channel
            let address: String
            switch i % 10 {
            case 6:
                channel = .whatsapp
                address = "whatsapp:+1556" + pad(n, 7)
            case 7:
                channel = .email
                address = "sender-\(n)@example.com"
            case 8:
                channel = .rcs
                address = "rcs-agent-\(n)"
            case 9:
                channel = .push
                address = "push-app-\(n)"
            default:
                channel = .sms
                address = "+1555" + pad(n, 7)
            }
            let stamp = Timestamp.format(seconds: seconds)
            result.append(
                Sender(
                    id: EmulatorIDKind.sender.prefix + suffix,
                    displayName: "Synthetic \(channel.rawValue) \(n)",
                    address: address,
                    channel: channel,
                    status: n % 7 == 0 ? .deactivated : .activated,
                    tags: [:],
                    createdAt: stamp,
                    updatedAt: stamp
                ))
        }
        return result
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let text = String(n % 10_000_000)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}

/// Problems in a seed, each with `file:line:column` when known.
public struct EmulatorSeedError: Error, Sendable, CustomStringConvertible {
    public struct Problem: Sendable, Hashable {
        public var line: Int?
        public var column: Int?
        public var message: String
    }

    public var file: String?
    public var problems: [Problem]

    /// One `file:line:column: error: message` line per problem.
    public var description: String {
        problems.map { problem in
            var location = file ?? ""
            if let line = problem.line, let column = problem.column {
                location += location.isEmpty ? "\(line):\(column)" : ":\(line):\(column)"
            }
            return (location.isEmpty ? "" : location + ": ") + "error: " + problem.message
        }.joined(separator: "\n")
    }
}

/// YAML nodes -> EmulatorSeed, collecting every problem with its position.
struct SeedDecoder {
    var problems: [EmulatorSeedError.Problem] = []

    mutating func fail(_ mark: Mark, _ message: String) {
        problems.append(.init(line: mark.line, column: mark.column, message: message))
    }

    /// The pairs of a mapping, with unknown keys reported.
    mutating func mapping(_ node: YAMLNode, what: String, keys: [String]) -> [(key: String, keyMark: Mark, value: YAMLNode)]? {
        guard case .mapping(let pairs, _) = node else {
            fail(node.mark, "\(what) must be a mapping, not \(node.kindDescription)")
            return nil
        }
        var out: [(String, Mark, YAMLNode)] = []
        for pair in pairs {
            guard case .scalar(let keyScalar) = pair.key else {
                fail(pair.key.mark, "keys of \(what) must be strings")
                continue
            }
            guard keys.contains(keyScalar.text) else {
                fail(keyScalar.mark, "unknown key '\(keyScalar.text)' in \(what); expected one of: \(keys.joined(separator: ", "))")
                continue
            }
            out.append((keyScalar.text, keyScalar.mark, pair.value))
        }
        return out
    }

    mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.isNull else {
            fail(node.mark, "\(what) must be a string, not \(node.kindDescription)")
            return nil
        }
        return scalar.text
    }

    mutating func sequence(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard case .sequence(let items, _) = node else {
            fail(node.mark, "\(what) must be a list, not \(node.kindDescription)")
            return nil
        }
        return items
    }

    mutating func tags(_ node: YAMLNode, what: String) -> Tags? {
        guard case .mapping(let pairs, _) = node else {
            if case .scalar(let s) = node, s.isNull { return [:] }
            fail(node.mark, "\(what) must be a mapping, not \(node.kindDescription)")
            return nil
        }
        var tags: Tags = [:]
        var ok = true
        if pairs.count > FieldRules.maxTags {
            fail(node.mark, "\(what) must have at most \(FieldRules.maxTags) pairs, got \(pairs.count)")
            ok = false
        }
        for pair in pairs {
            guard let key = string(pair.key, what: "a tag key") else {
                ok = false
                continue
            }
            guard let value = string(pair.value, what: "the value of tag '\(key)'") else {
                ok = false
                continue
            }
            if let problem = FieldRules.tagTextProblem(key, what: "tag key", max: APIFormat.maxTagKeyLength) {
                fail(pair.key.mark, problem)
                ok = false
            } else if let problem = FieldRules.tagTextProblem(value, what: "value of tag '\(key)'", max: APIFormat.maxTagValueLength) {
                fail(pair.value.mark, problem)
                ok = false
            }
            tags[key] = value
        }
        return ok ? tags : nil
    }

    mutating func decodeSeed(_ root: YAMLNode) -> EmulatorSeed {
        var seed = EmulatorSeed()
        guard let top = mapping(root, what: "the seed", keys: ["senders", "generate", "pools"]) else { return seed }
        var senderMarks: [String: Mark] = [:]
        var poolsNode: YAMLNode?
        for (key, _, value) in top {
            switch key {
            case "senders":
                if case .scalar(let s) = value, s.isNull { continue }
                guard let items = sequence(value, what: "senders") else { continue }
                for item in items {
                    guard let sender = decodeSender(item) else { continue }
                    if let previous = senderMarks[sender.id] {
                        fail(item.mark, "sender '\(sender.id)' is already declared at line \(previous.line)")
                        continue
                    }
                    senderMarks[sender.id] = item.mark
                    seed.senders.append(sender)
                }
            case "generate":
                guard let fields = mapping(value, what: "generate", keys: ["senders"]) else { continue }
                for (_, _, countNode) in fields {
                    guard case .scalar(let scalar) = countNode, let count = scalar.int,
                        count >= 0, count <= EmulatorSeed.maxGenerated
                    else {
                        fail(countNode.mark, "generate.senders must be an integer between 0 and \(EmulatorSeed.maxGenerated)")
                        continue
                    }
                    seed.generatedSenders = count
                }
            default:
                poolsNode = value
            }
        }
        if let poolsNode {
            if case .scalar(let s) = poolsNode, s.isNull { return seed }
            guard let items = sequence(poolsNode, what: "pools") else { return seed }
            var poolIDs: [String: Mark] = [:]
            for (item, decoded) in zip(items, decodePools(items, known: senderMarks, seed: seed)) {
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
        return seed
    }

    mutating func decodeSender(_ node: YAMLNode) -> Sender? {
        let count = problems.count
        guard
            let fields = mapping(node, what: "a sender", keys: ["id", "address", "channel", "status", "displayName", "tags", "createdAt"])
        else { return nil }
        var id: String?
        var address: String?
        var channel: Channel = .sms
        var status: SenderStatus = .activated
        var displayName: String?
        var tags: Tags = [:]
        var createdAt = EmulatorSeed.defaultSenderCreatedAt
        for (key, _, value) in fields {
            switch key {
            case "id":
                guard let text = string(value, what: "id") else { continue }
                if let problem = FieldRules.idProblem(text, kind: .sender, what: "sender id") {
                    fail(value.mark, problem)
                } else {
                    id = text
                }
            case "address":
                guard let text = string(value, what: "address") else { continue }
                if text.isEmpty { fail(value.mark, "address must not be empty") } else { address = text }
            case "channel":
                guard let text = string(value, what: "channel") else { continue }
                let candidate = Channel(rawValue: text)
                if Channel.documented.contains(candidate) {
                    channel = candidate
                } else {
                    fail(
                        value.mark,
                        "unknown channel '\(text)'; expected one of: \(Channel.documented.map(\.rawValue).joined(separator: ", "))")
                }
            case "status":
                guard let text = string(value, what: "status") else { continue }
                let candidate = SenderStatus(rawValue: text)
                if SenderStatus.documented.contains(candidate) {
                    status = candidate
                } else {
                    fail(value.mark, "unknown status '\(text)'; expected ACTIVATED or DEACTIVATED")
                }
            case "displayName":
                if case .scalar(let s) = value, s.isNull {
                    displayName = nil
                    continue
                }
                displayName = string(value, what: "displayName")
            case "tags":
                if let parsed = self.tags(value, what: "tags") { tags = parsed }
            default:  // createdAt
                guard let text = string(value, what: "createdAt") else { continue }
                guard let instant = Timestamp.parseRFC3339(text) else {
                    fail(value.mark, "createdAt '\(text)' is not an RFC 3339 date-time")
                    continue
                }
                createdAt = Timestamp.format(seconds: instant.seconds)
            }
        }
        if id == nil, !fields.contains(where: { $0.key == "id" }) { fail(node.mark, "a sender needs an 'id'") }
        if address == nil, !fields.contains(where: { $0.key == "address" }) { fail(node.mark, "sender needs an 'address'") }
        guard problems.count == count, let id, let address else { return nil }
        return Sender(
            id: id, displayName: displayName, address: address, channel: channel, status: status,
            tags: tags, createdAt: createdAt, updatedAt: createdAt)
    }

    /// `decodePool` of every item, on all cores when there are many (a
    /// seed of 10,000 pools × 1,000 senders checks 10M ids); the problems
    /// are appended in item order, as one pass would.
    mutating func decodePools(_ items: [YAMLNode], known: [String: Mark], seed: EmulatorSeed) -> [EmulatorSeed.Pool?] {
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
                guard let text = string(value, what: "id") else { continue }
                if let problem = FieldRules.idProblem(text, kind: .senderPool, what: "pool id") {
                    fail(value.mark, problem)
                } else {
                    pool.id = text
                }
            case "name":
                guard let text = string(value, what: "name") else { continue }
                if let problem = FieldRules.nameProblem(text) { fail(value.mark, problem) } else { pool.name = text }
            case "tags":
                if let parsed = tags(value, what: "tags") { pool.tags = parsed }
            case "senderRange":
                pool.senderRange = senderRange(value, declared: seed.senders.count)
            default:  // senders
                if case .scalar(let s) = value, s.isNull { continue }
                guard let items = sequence(value, what: "senders") else { continue }
                var seen = Set<String>(minimumCapacity: items.count)
                pool.senders.reserveCapacity(items.count)
                for item in items {
                    guard let id = string(item, what: "a sender id") else { continue }
                    if let problem = FieldRules.idProblem(id, kind: .sender, what: "sender id") {
                        fail(item.mark, problem)
                    } else if !seen.insert(id).inserted {
                        fail(item.mark, "sender '\(id)' appears more than once in this pool")
                    } else if known[id] == nil, !isGenerated(id, count: seed.generatedSenders) {
                        fail(item.mark, "sender '\(id)' is not in the inventory (declare it under 'senders')")
                    } else {
                        pool.senders.append(id)
                    }
                }
            }
        }
        return problems.count == count ? pool : nil
    }

    /// `senderRange: {start: S, count: N}` over the `declared` senders.
    mutating func senderRange(_ node: YAMLNode, declared: Int) -> EmulatorSeed.SenderRange? {
        guard let fields = mapping(node, what: "senderRange", keys: ["start", "count"]) else { return nil }
        var range = EmulatorSeed.SenderRange(start: 0, count: 0)
        var ok = true
        for (key, _, value) in fields {
            guard case .scalar(let scalar) = value, let number = scalar.int, number >= 0 else {
                fail(value.mark, "senderRange.\(key) must be a whole number, 0 or more")
                ok = false
                continue
            }
            if key == "start" { range.start = number } else { range.count = number }
        }
        guard ok else { return nil }
        if range.count > declared {
            fail(node.mark, "senderRange.count \(range.count) exceeds the \(declared) senders declared under 'senders'")
            return nil
        }
        return range
    }

    var generatedIDs: Set<String>?

    /// Whether `id` is one of the first `count` synthetic senders.
    mutating func isGenerated(_ id: String, count: Int) -> Bool {
        guard count > 0 else { return false }
        if generatedIDs == nil {
            generatedIDs = Set(EmulatorSeed.syntheticSenders(count: count).map(\.id))
        }
        return generatedIDs!.contains(id)
    }
}

extension EmulatorSeedError.Problem {
    init(message: String) {
        self.init(line: nil, column: nil, message: message)
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

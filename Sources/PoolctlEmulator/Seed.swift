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
    public var description: String { lines.joined(separator: "\n") }

    /// One `file:line:column: error: message` per problem.
    public var lines: [String] {
        problems.map { problem in
            var location = file ?? ""
            if let line = problem.line, let column = problem.column {
                location += location.isEmpty ? "\(line):\(column)" : ":\(line):\(column)"
            }
            return (location.isEmpty ? "" : location + ": ") + "error: " + problem.message
        }
    }
}

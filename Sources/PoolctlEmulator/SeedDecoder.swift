import PoolctlAPI
import PoolctlModel
import PoolctlYAML

/// YAML nodes -> EmulatorSeed, collecting every problem with its position.
/// Typed node access is PoolctlYAML's `YAMLNodeReader`, shared with the
/// manifest decoders; the pools are read in `SeedDecoder+Pools`.
struct SeedDecoder: YAMLNodeReader {
    var problems: [EmulatorSeedError.Problem] = []
    var generatedIDs: Set<String>?

    mutating func fail(_ mark: Mark, _ message: String) {
        problems.append(.init(line: mark.line, column: mark.column, message: message))
    }

    mutating func report(_ message: String, at mark: Mark) {
        fail(mark, message)
    }

    /// The pairs of a mapping, with unknown keys reported.
    mutating func mapping(_ node: YAMLNode, what: String, keys: [String]) -> [(key: String, keyMark: Mark, value: YAMLNode)]? {
        guard let pairs = mappingPairs(node, expected: "\(what) must be a mapping") else { return nil }
        var out: [(String, Mark, YAMLNode)] = []
        for pair in pairs {
            guard case .scalar(let keyScalar) = pair.key else {
                fail(pair.key.mark, "keys of \(what) must be strings")
                continue
            }
            if keyScalar.text == "<<", keyScalar.style == .plain, keyScalar.tag == nil {
                fail(keyScalar.mark, "YAML merge keys ('<<: *anchor') are not supported: write the keys out")
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
        nonNullScalar(node, what: what)?.text
    }

    mutating func sequence(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        sequenceItems(node, expected: "\(what) must be a list")
    }

    /// A well-formed id of `kind` (`field` names the node in a type
    /// error, `what` the id in a format error), or nil with the problem.
    mutating func id(_ node: YAMLNode, kind: EmulatorIDKind, field: String = "id", what: String) -> String? {
        guard let text = string(node, what: field) else { return nil }
        if let problem = FieldRules.idProblem(text, kind: kind, what: what) {
            fail(node.mark, problem)
            return nil
        }
        return text
    }

    mutating func tags(_ node: YAMLNode, what: String) -> Tags? {
        if node.isNull { return [:] }
        guard let pairs = mappingPairs(node, expected: "\(what) must be a mapping") else { return nil }
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
                decodeSenders(value, into: &seed, marks: &senderMarks)
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
        if let poolsNode { decodePools(poolsNode, into: &seed, known: senderMarks) }
        return seed
    }

    /// The seed's `senders`: each one once.
    private mutating func decodeSenders(_ node: YAMLNode, into seed: inout EmulatorSeed, marks: inout [String: Mark]) {
        if node.isNull { return }
        guard let items = sequence(node, what: "senders") else { return }
        for item in items {
            guard let sender = decodeSender(item) else { continue }
            if let previous = marks[sender.id] {
                fail(item.mark, "sender '\(sender.id)' is already declared at line \(previous.line)")
                continue
            }
            marks[sender.id] = item.mark
            seed.senders.append(sender)
        }
    }

    static let senderKeys = ["id", "address", "channel", "status", "displayName", "tags", "createdAt"]

    mutating func decodeSender(_ node: YAMLNode) -> Sender? {
        let count = problems.count
        guard let fields = mapping(node, what: "a sender", keys: Self.senderKeys) else { return nil }
        var sender = Sender(
            id: "", displayName: nil, address: "", channel: .sms, status: .activated, tags: [:],
            createdAt: EmulatorSeed.defaultSenderCreatedAt, updatedAt: "")
        for (key, _, value) in fields {
            decodeSenderField(key, value, into: &sender)
        }
        if !fields.contains(where: { $0.key == "id" }) { fail(node.mark, "a sender needs an 'id'") }
        if !fields.contains(where: { $0.key == "address" }) { fail(node.mark, "sender needs an 'address'") }
        guard problems.count == count else { return nil }
        sender.updatedAt = sender.createdAt
        return sender
    }

    /// One field of a sender; a bad value is reported and leaves it as it was.
    private mutating func decodeSenderField(_ key: String, _ value: YAMLNode, into sender: inout Sender) {
        switch key {
        case "id":
            if let id = id(value, kind: .sender, what: "sender id") { sender.id = id }
        case "address":
            guard let text = string(value, what: "address") else { return }
            if text.isEmpty { fail(value.mark, "address must not be empty") } else { sender.address = text }
        case "channel":
            sender.channel =
                documented(value, what: "channel", Channel.documented) {
                    "unknown channel '\($0)'; expected one of: \(Channel.documented.map(\.rawValue).joined(separator: ", "))"
                } ?? sender.channel
        case "status":
            sender.status =
                documented(value, what: "status", SenderStatus.documented) {
                    "unknown status '\($0)'; expected ACTIVATED or DEACTIVATED"
                } ?? sender.status
        case "displayName":
            sender.displayName = value.isNull ? nil : string(value, what: "displayName")
        case "tags":
            if let parsed = tags(value, what: "tags") { sender.tags = parsed }
        default:  // createdAt
            guard let text = string(value, what: "createdAt") else { return }
            guard let instant = Timestamp.parseRFC3339(text) else {
                fail(value.mark, "createdAt '\(text)' is not an RFC 3339 date-time")
                return
            }
            sender.createdAt = Timestamp.format(seconds: instant.seconds)
        }
    }

    /// One of the `documented` values; any other text is reported as
    /// `unknown` words it.
    private mutating func documented<Value: OpenEnum>(
        _ node: YAMLNode, what: String, _ documented: [Value], unknown: (String) -> String
    ) -> Value? {
        guard let text = string(node, what: what) else { return nil }
        let candidate = Value(rawValue: text)
        guard documented.contains(candidate) else {
            fail(node.mark, unknown(text))
            return nil
        }
        return candidate
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

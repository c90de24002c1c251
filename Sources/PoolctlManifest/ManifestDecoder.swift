import PoolctlModel
import PoolctlYAML

/// Maps located YAML nodes of one document onto a typed `ManifestDocument`,
/// collecting every problem instead of stopping at the first.
struct ManifestDecoder: NodeDecoding {
    static let topLevelKeys = ["apiVersion", "stack", "prune", "guard", "ignoreTags", "senders", "pools"]
    static let guardKeys = ["maxDeletedPools", "maxRemovedFraction"]
    static let poolKeys = ["name", "tags", "senders", "membership", "protect", "adopt", "movedFrom", "ignoreTags"]

    let file: String
    var diagnostics: [Diagnostic] = []
    /// Set when a document could not be read as a manifest at all.
    var skippedDocument = false

    init(file: String) {
        self.file = file
    }

    mutating func decode(_ document: YAMLDocument) -> ManifestDocument? {
        guard let root = document.root else { return nil }
        let result0 = ManifestDocument(location: location(root.mark))
        guard case .mapping(let pairs, _) = root else {
            error("a manifest document must be a mapping with apiVersion, stack and pools, not \(root.kindDescription)", at: root.mark)
            skippedDocument = true
            return nil
        }
        var result = result0
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            switch key.text {
            case "apiVersion":
                result.apiVersion = validated(pair.value, field: "apiVersion", { $0.value == ManifestVersion.v1 ? $0 : nil }) {
                    "unsupported apiVersion '\($0)'; this version of poolctl reads '\(ManifestVersion.v1)'"
                }
            case "stack":
                if let text = string(pair.value, field: "stack") {
                    if !ResourceName.isValid(text.value) {
                        error("invalid stack '\(text.value)': use \(ResourceName.rule)", at: pair.value.mark)
                    }
                    // Kept even when invalid, so the set is not also told it has no stack.
                    result.stack = text
                }
            case "prune":
                result.prune = bool(pair.value, field: "prune")
            case "ignoreTags":
                result.ignoreTags = Located(ignoredTagKeys(pair.value), at: location(pair.value.mark))
            case "guard":
                result.guardPolicy = guardPolicy(pair.value)
            case "senders":
                result.senderAliases = aliases(pair.value)
            case "pools":
                result.pools = pools(pair.value)
            default:
                unknownKey(key, valid: Self.topLevelKeys) { "unknown top-level key '\($0)'" }
            }
        }
        if result.apiVersion == nil, !pairs.contains(where: { scalarText($0.key) == "apiVersion" }) {
            error("missing apiVersion: every document must declare 'apiVersion: \(ManifestVersion.v1)'", at: root.mark)
        }
        return result
    }

    // MARK: - Sections

    private mutating func aliases(_ node: YAMLNode) -> [SenderAlias] {
        guard let pairs = mappingPairs(node, expected: "'senders' must be a mapping of alias to sender id", nullIsAbsent: true) else {
            return []
        }
        var result: [SenderAlias] = []
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            guard ResourceName.isValid(key.text) else {
                error("invalid sender alias '\(key.text)': use \(ResourceName.rule)", at: key.mark)
                continue
            }
            guard let id = string(pair.value, field: "sender alias '\(key.text)'") else { continue }
            guard APIFormat.isSenderID(id.value) else {
                error(SenderReference.invalidIDMessage(id.value), at: pair.value.mark)
                continue
            }
            result.append(SenderAlias(alias: Located(key.text, at: location(key.mark)), senderID: id))
        }
        return result
    }

    /// `guard: {maxDeletedPools: N, maxRemovedFraction: F}`. Nil when it has
    /// an error, so a half-read setting never loosens the guard.
    private mutating func guardPolicy(_ node: YAMLNode) -> Located<GuardPolicy>? {
        guard case .mapping(let pairs, _) = node else {
            error(
                "'guard' must be a mapping with maxDeletedPools and/or maxRemovedFraction, not \(shown(node))", at: node.mark)
            return nil
        }
        var policy = GuardPolicy()
        var valid = true
        for pair in pairs {
            guard let field = scalarKey(pair.key) else {
                valid = false
                continue
            }
            let value = pair.value
            switch field.text {
            case "maxDeletedPools":
                if case .scalar(let scalar) = value, let count = scalar.int, count >= 0 {
                    policy.maxDeletedPools = count
                } else {
                    error("'maxDeletedPools' must be a whole number of pools, 0 or more, not \(shown(value))", at: value.mark)
                    valid = false
                }
            case "maxRemovedFraction":
                if case .scalar(let scalar) = value, let fraction = number(scalar), (0...1).contains(fraction) {
                    policy.maxRemovedFraction = fraction
                } else {
                    error("'maxRemovedFraction' must be a number from 0 to 1, such as 0.25, not \(shown(value))", at: value.mark)
                    valid = false
                }
            default:
                unknownKey(field, valid: Self.guardKeys) { "unknown key '\($0)' in guard" }
                valid = false
            }
        }
        return valid ? Located(policy, at: location(node.mark)) : nil
    }

    private mutating func pools(_ node: YAMLNode) -> [PoolSpec] {
        guard let pairs = mappingPairs(node, expected: "'pools' must be a mapping of pool key to pool", nullIsAbsent: true) else {
            return []
        }
        var result: [PoolSpec] = []
        result.reserveCapacity(pairs.count)
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            guard ResourceName.isValid(key.text) else {
                error("invalid pool key '\(key.text)': use \(ResourceName.rule)", at: key.mark)
                continue
            }
            result.append(pool(Located(key.text, at: location(key.mark)), pair.value))
        }
        return result
    }

    private mutating func pool(_ key: Located<String>, _ node: YAMLNode) -> PoolSpec {
        var spec = PoolSpec(key: key)
        guard let pairs = mappingPairs(node, expected: "pool '\(key.value)' must be a mapping of its fields", nullIsAbsent: true) else {
            return spec
        }
        for pair in pairs {
            guard let field = scalarKey(pair.key) else { continue }
            let value = pair.value
            switch field.text {
            case "name":
                spec.name = validated(
                    // Empty is allowed: the API allows it (an export of such a pool must validate).
                    value, field: "name", { APIFormat.poolNameLength($0.value) <= APIFormat.maxPoolNameLength ? $0 : nil }
                ) {
                    "'name' must be at most \(APIFormat.maxPoolNameLength) characters, not \(APIFormat.poolNameLength($0))"
                }
            case "tags":
                spec.tagsLocation = location(value.mark)
                spec.tags = tags(value, pool: key.value)
            case "senders":
                spec.senders = senderList(value)
            case "membership":
                spec.membership = validated(
                    value, field: "membership", { text in Membership(rawValue: text.value).map { Located($0, at: text.location) } }
                ) {
                    "invalid membership '\($0)': use 'exact' (remove undeclared members) or 'additive' (only add)"
                }
            case "protect":
                spec.protect = bool(value, field: "protect")
            case "adopt":
                spec.adopt = validated(value, field: "adopt", { APIFormat.isSenderPoolID($0.value) ? $0 : nil }) {
                    "invalid pool id '\($0)' for adopt: expected '\(APIFormat.senderPoolPrefix)' followed by 26-35 lowercase Crockford base32 characters"
                }
            case "movedFrom":
                spec.movedFrom = validated(value, field: "movedFrom", { ResourceName.isValid($0.value) ? $0 : nil }) {
                    "invalid pool key '\($0)' for movedFrom: use \(ResourceName.rule)"
                }
            case "ignoreTags":
                spec.ignoreTags = ignoredTagKeys(value)
            default:
                unknownKey(field, valid: Self.poolKeys) { "unknown key '\($0)' in pool '\(key.value)'" }
            }
        }
        return spec
    }

    private mutating func tags(_ node: YAMLNode, pool: String) -> [(key: Located<String>, value: Located<String>)] {
        guard let pairs = mappingPairs(node, expected: "'tags' must be a mapping of tag key to value", nullIsAbsent: true) else {
            return []
        }
        let userLimit = APIFormat.maxTags - 1
        if pairs.count > userLimit {
            error(
                "pool '\(pool)' has \(pairs.count) tags; at most \(userLimit) are allowed (poolctl keeps one of the API's \(APIFormat.maxTags) for its ownership tag)",
                at: node.mark)
        } else if pairs.count == userLimit {
            diagnostics.append(
                .warning(
                    "pool '\(pool)' has \(pairs.count) tags, which leaves no slot for the \(AppliedTag.tagKey) fingerprint: drift cannot be told for it (cause unknown); declare at most \(userLimit - 1)",
                    at: location(node.mark)))
        }
        var result: [(key: Located<String>, value: Located<String>)] = []
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            if key.text == Ownership.tagKey {
                error("tag key '\(Ownership.tagKey)' is reserved for poolctl's ownership tag", at: key.mark)
                continue
            }
            if key.text == LeaseTag.tagKey {
                error("tag key '\(LeaseTag.tagKey)' is reserved for poolctl's stack lease", at: key.mark)
                continue
            }
            if key.text == AppliedTag.tagKey {
                error("tag key '\(AppliedTag.tagKey)' is reserved for poolctl's record of what apply last made a pool", at: key.mark)
                continue
            }
            var valid = true
            if !APIFormat.isTagKey(key.text) {
                error(
                    "invalid tag key '\(key.text)': use 1-\(APIFormat.maxTagKeyLength) characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
                    at: key.mark)
                valid = false
            }
            guard let value = string(pair.value, field: "tag '\(key.text)'") else { continue }
            if !APIFormat.isTagValue(value.value) {
                error(
                    "invalid value '\(value.value)' for tag '\(key.text)': use 1-\(APIFormat.maxTagValueLength) characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
                    at: pair.value.mark)
                valid = false
            }
            if valid {
                result.append((Located(key.text, at: location(key.mark)), value))
            }
        }
        return result
    }

    /// An `ignoreTags:` list: tag keys, each at most once, never the ownership key.
    private mutating func ignoredTagKeys(_ node: YAMLNode) -> [Located<String>] {
        guard let items = sequenceItems(node, expected: "'ignoreTags' must be a list of tag keys", nullIsAbsent: true) else { return [] }
        var result: [Located<String>] = []
        var seen: [String: SourceLocation] = [:]
        for item in items {
            guard case .scalar(let scalar) = item, !scalar.isNull else {
                error("each entry of 'ignoreTags' must be a tag key, not \(item.kindDescription)", at: item.mark)
                continue
            }
            let key = scalar.text
            if key == Ownership.tagKey {
                error(
                    "tag key '\(Ownership.tagKey)' cannot be ignored: it is poolctl's ownership tag, which poolctl always writes",
                    at: scalar.mark)
                continue
            }
            // A declared lease tag would make a pool look like a lease, which cleanup may delete.
            if key == LeaseTag.tagKey {
                error("tag key '\(LeaseTag.tagKey)' cannot be ignored: it is reserved for poolctl's stack lease", at: scalar.mark)
                continue
            }
            if key == AppliedTag.tagKey {
                error(
                    "tag key '\(AppliedTag.tagKey)' cannot be ignored: it is reserved for poolctl's record of what apply last made a pool",
                    at: scalar.mark)
                continue
            }
            guard APIFormat.isTagKey(key) else {
                error(
                    "invalid tag key '\(key)' in ignoreTags: use 1-\(APIFormat.maxTagKeyLength) characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
                    at: scalar.mark)
                continue
            }
            if let first = seen[key] {
                error(
                    "tag key '\(key)' is listed twice in ignoreTags; first listed at line \(first.line), column \(first.column)",
                    at: scalar.mark, notes: [.init(message: "first listed here", location: first)])
                continue
            }
            seen[key] = location(scalar.mark)
            result.append(Located(key, at: location(scalar.mark)))
        }
        return result
    }

    private mutating func senderList(_ node: YAMLNode) -> SenderReferences {
        var result = SenderReferences(file: file)
        guard let items = sequenceItems(node, expected: "'senders' must be a list of sender aliases or ids", nullIsAbsent: true) else {
            return result
        }
        result.reserveCapacity(items.count)
        for item in items {
            guard case .scalar(let scalar) = item, !scalar.isNull else {
                error("each sender must be an alias or a sender id, not \(item.kindDescription)", at: item.mark)
                continue
            }
            result.append(scalar.text, at: scalar.mark)
        }
        return result
    }

    // MARK: - Fields

    /// A string field that `valid` must accept: nil when it does not, with
    /// the error `invalid` words from the text.
    private mutating func validated<Value>(
        _ node: YAMLNode, field: String, _ valid: (Located<String>) -> Value?, invalid: (String) -> String
    ) -> Value? {
        guard let text = string(node, field: field) else { return nil }
        guard let value = valid(text) else {
            error(invalid(text.value), at: node.mark)
            return nil
        }
        return value
    }
}

/// Sender references: aliases or ids.
enum SenderReference {
    static func invalidIDMessage(_ text: String) -> String {
        "invalid sender id '\(text)': expected '\(APIFormat.senderPrefix)' followed by 26-35 lowercase Crockford base32 characters"
    }
}

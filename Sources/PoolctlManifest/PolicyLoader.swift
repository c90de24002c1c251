import Foundation
import PoolctlModel
import PoolctlYAML

/// Reads policy files (`apiVersion: poolctl/v1`, `kind: Policy`) into a
/// `Policy`, with every problem located as manifests' are. A policy with
/// errors is never used: the result's `policy` is nil then.
public struct PolicyLoader: Sendable {
    public struct Result: Sendable {
        /// Nil when there are errors.
        public var policy: Policy?
        /// Sorted by file and position.
        public var diagnostics: [Diagnostic]
        public var sources: SourceFiles
    }

    public var parser: YAMLParser

    public init(parser: YAMLParser = YAMLParser()) {
        self.parser = parser
    }

    /// Loads files and directories (every `*.yaml` and `*.yml` file directly
    /// inside), as `ManifestLoader` finds manifests.
    public func load(paths: [String]) -> Result {
        let (files, prior) = ManifestLoader.files(in: paths)
        var contents: [(path: String, bytes: [UInt8])] = []
        var diagnostics = prior
        for file in files {
            guard let bytes = ManifestLoader.readFile(file) else {
                diagnostics.append(.error("cannot read policy '\(file)': permission denied or not a regular file", file: file))
                continue
            }
            contents.append((file, bytes))
        }
        var result = load(contents: contents)
        result.diagnostics = (diagnostics + result.diagnostics).sorted()
        if result.diagnostics.hasErrors { result.policy = nil }
        return result
    }

    /// Loads policy files already in memory, in the given order.
    public func load(contents: [(path: String, bytes: [UInt8])]) -> Result {
        var diagnostics: [Diagnostic] = []
        var sources = SourceFiles()
        var rules: [PolicyRule] = []
        var ids: [(id: String, location: SourceLocation?)] = []
        for (path, bytes) in contents {
            sources.add(path, bytes)
            let (parsed, problems) = parser.parse(bytes, file: path)
            diagnostics += problems
            var decoder = PolicyDecoder(file: path)
            var documents = 0
            for document in parsed.documents where document.root != nil {
                documents += 1
                rules += decoder.decode(document)
            }
            if documents == 0, parsed.problems.isEmpty {
                decoder.diagnostics.append(
                    .error("policy file '\(path)' holds no document: it must declare kind: \(Policy.kind) and rules"))
            }
            diagnostics += decoder.diagnostics.outside(parsed.unresolvedAliases)
            ids += decoder.ruleIDs
        }
        // A rule id names the rule in every violation, override and SARIF result. Rules with
        // other errors count too: fixing those must not reveal a duplicate only then.
        var first: [String: SourceLocation?] = [:]
        for (id, location) in ids {
            if let earlier = first[id] {
                diagnostics.append(
                    .error(
                        "duplicate policy rule id '\(id)'", at: location,
                        notes: [Diagnostic.Note(message: "first defined here", location: earlier)]))
            } else {
                first[id] = location
            }
        }
        let policy = diagnostics.hasErrors ? nil : Policy(rules: rules, files: contents.map(\.path))
        return Result(policy: policy, diagnostics: diagnostics.sorted(), sources: sources)
    }
}

/// Maps the YAML of one policy file onto rules, collecting every problem.
struct PolicyDecoder: NodeDecoding {
    static let topLevelKeys = ["apiVersion", "kind", "rules"]
    static let ruleKeys = ["id", "description", "severity", "match", "require", "limit"]
    static let matchKeys = ["key", "name", "tags"]
    static let requireKeys = ["tags", "name", "protect", "minMembers", "maxMembers", "membership"]
    static let limitKeys = ["deletes", "removeSenders", "removeFraction"]

    let file: String
    var diagnostics: [Diagnostic] = []
    /// Every rule's valid id, in order, whether or not the rule has other errors.
    var ruleIDs: [(id: String, location: SourceLocation?)] = []

    init(file: String) {
        self.file = file
    }

    mutating func decode(_ document: YAMLDocument) -> [PolicyRule] {
        guard let root = document.root else { return [] }
        guard case .mapping(let pairs, _) = root else {
            error("a policy document must be a mapping with apiVersion, kind and rules, not \(root.kindDescription)", at: root.mark)
            return []
        }
        var rules: [PolicyRule] = []
        var seen = Set<String>()
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            seen.insert(key.text)
            switch key.text {
            case "apiVersion":
                if let text = string(pair.value, field: "apiVersion"), text.value != Policy.apiVersion {
                    error(
                        "unsupported apiVersion '\(text.value)'; this version of poolctl reads '\(Policy.apiVersion)'", at: pair.value.mark)
                }
            case "kind":
                if let text = string(pair.value, field: "kind"), text.value != Policy.kind {
                    error("a policy file declares 'kind: \(Policy.kind)', not '\(text.value)'", at: pair.value.mark)
                }
            case "rules":
                guard case .sequence(let items, _) = pair.value else {
                    error("'rules' must be a list of rules, not \(pair.value.kindDescription)", at: pair.value.mark)
                    continue
                }
                for item in items {
                    if let rule = self.rule(item) { rules.append(rule) }
                }
            default:
                unknownKey(key, valid: Self.topLevelKeys) { "unknown key '\($0)' in a policy" }
            }
        }
        for required in ["apiVersion", "kind", "rules"] where !seen.contains(required) {
            let example = required == "apiVersion" ? ": \(Policy.apiVersion)" : required == "kind" ? ": \(Policy.kind)" : ""
            error("missing '\(required)\(example)' in a policy document", at: root.mark)
        }
        return rules
    }

    private mutating func rule(_ node: YAMLNode) -> PolicyRule? {
        guard case .mapping(let pairs, let mark) = node else {
            error("each rule must be a mapping with id and require or limit, not \(node.kindDescription)", at: node.mark)
            return nil
        }
        var id: Located<String>?
        var description: String?
        var severity = PolicyRule.Severity.error
        var match = PolicyMatch()
        var checks: [(check: PolicyRule.Check, mark: Mark)] = []
        var valid = true
        let before = diagnostics.count
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            switch key.text {
            case "id":
                guard let text = string(pair.value, field: "id") else { continue }
                if ResourceName.isValid(text.value) {
                    id = text
                } else {
                    error("invalid rule id '\(text.value)': use \(ResourceName.rule)", at: pair.value.mark)
                }
            case "description":
                description = string(pair.value, field: "description")?.value
            case "severity":
                guard let text = string(pair.value, field: "severity") else { continue }
                if let value = PolicyRule.Severity(rawValue: text.value) {
                    severity = value
                } else {
                    error("severity must be error or warning, not '\(text.value)'", at: pair.value.mark)
                }
            case "match":
                match = self.match(pair.value)
            case "require":
                if let requirement = self.requirement(pair.value) { checks.append((.require(requirement), key.mark)) }
            case "limit":
                if let limit = self.limit(pair.value) { checks.append((.limit(limit), key.mark)) }
            default:
                unknownKey(key, valid: Self.ruleKeys) { "unknown key '\($0)' in a policy rule" }
                valid = false
            }
        }
        if let id { ruleIDs.append((id.value, location(mark))) }
        if id == nil, !pairs.contains(where: { scalarText($0.key) == "id" }) {
            error("a policy rule needs an id", at: mark)
        }
        let hasCheck = pairs.contains { ["require", "limit"].contains(scalarText($0.key)) }
        if !hasCheck {
            error("a policy rule needs require (what each matched pool must declare) or limit (what a plan may do to them)", at: mark)
        }
        if checks.count > 1 {
            error("a policy rule has either require or limit, not both: make two rules", at: checks[1].mark)
        }
        guard valid, diagnostics.count == before, let id, let check = checks.first?.check else { return nil }
        return PolicyRule(
            id: id.value, description: description, severity: severity, match: match, check: check, location: location(mark))
    }

    private mutating func match(_ node: YAMLNode) -> PolicyMatch {
        var match = PolicyMatch()
        if isNull(node) { return match }
        guard case .mapping(let pairs, _) = node else {
            error("'match' must be a mapping of key, name and tags, not \(node.kindDescription)", at: node.mark)
            return match
        }
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            switch key.text {
            case "key":
                match.key = string(pair.value, field: "match.key")?.value
            case "name":
                match.name = regex(pair.value, field: "match.name")
            case "tags":
                match.tags = tagPatterns(pair.value, field: "match.tags")
            default:
                unknownKey(key, valid: Self.matchKeys) { "unknown key '\($0)' in match" }
            }
        }
        return match
    }

    private mutating func requirement(_ node: YAMLNode) -> PolicyRequirement? {
        guard let pairs = fields(of: node, section: "require", keys: Self.requireKeys) else { return nil }
        var requirement = PolicyRequirement()
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            switch key.text {
            case "tags":
                requirement.tags = tagPatterns(pair.value, field: "require.tags")
            case "name":
                requirement.name = regex(pair.value, field: "require.name")
            case "protect":
                guard let value = bool(pair.value, field: "require.protect") else { continue }
                if !value.value {
                    error("'protect: false' requires nothing: remove it, or require 'protect: true'", at: pair.value.mark)
                }
                requirement.protect = value.value
            case "minMembers":
                requirement.minMembers = count(pair.value, field: "require.minMembers")
            case "maxMembers":
                requirement.maxMembers = count(pair.value, field: "require.maxMembers")
            case "membership":
                guard let text = string(pair.value, field: "require.membership") else { continue }
                if let value = Membership(rawValue: text.value) {
                    requirement.membership = value
                } else {
                    error("require.membership must be exact or additive, not '\(text.value)'", at: pair.value.mark)
                }
            default:
                unknownKey(key, valid: Self.requireKeys) { "unknown key '\($0)' in require" }
            }
        }
        if let low = requirement.minMembers, let high = requirement.maxMembers, low > high {
            error("require.minMembers (\(low)) is more than require.maxMembers (\(high)): no pool could pass", at: node.mark)
        }
        return requirement
    }

    private mutating func limit(_ node: YAMLNode) -> PolicyLimit? {
        guard let pairs = fields(of: node, section: "limit", keys: Self.limitKeys) else { return nil }
        var limit = PolicyLimit()
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            switch key.text {
            case "deletes":
                limit.deletes = count(pair.value, field: "limit.deletes")
            case "removeSenders":
                limit.removeSenders = count(pair.value, field: "limit.removeSenders")
            case "removeFraction":
                guard case .scalar(let scalar) = pair.value, let value = number(scalar), value >= 0, value <= 1 else {
                    error("limit.removeFraction must be a number from 0 to 1, not \(shown(pair.value))", at: pair.value.mark)
                    continue
                }
                limit.removeFraction = value
            default:
                unknownKey(key, valid: Self.limitKeys) { "unknown key '\($0)' in limit" }
            }
        }
        return limit
    }

    /// A check's fields: a mapping of some of `keys`, at least one.
    private mutating func fields(of node: YAMLNode, section: String, keys: [String]) -> [YAMLPair]? {
        guard case .mapping(let pairs, _) = node, !pairs.isEmpty else {
            var found = node.kindDescription
            if case .mapping = node { found = "an empty mapping, which checks nothing" }
            error("'\(section)' must be a mapping of \(keys.joined(separator: ", ")), not \(found)", at: node.mark)
            return nil
        }
        return pairs
    }

    /// A whole number, 0 or more.
    private mutating func count(_ node: YAMLNode, field: String) -> Int? {
        guard case .scalar(let scalar) = node, let value = number(scalar), value >= 0, value == value.rounded(),
            value <= Double(Int32.max)
        else {
            error("\(field) must be a whole number, 0 or more, not \(shown(node))", at: node.mark)
            return nil
        }
        return Int(value)
    }

    /// A regular expression, checked now so that a bad one is an error at
    /// its line rather than a rule that never matches.
    private mutating func regex(_ node: YAMLNode, field: String) -> String? {
        guard let text = string(node, field: field) else { return nil }
        guard PolicyPattern.regex(text.value) != nil else {
            error("\(field) '\(text.value)' is not a valid regular expression (ICU syntax)", at: node.mark)
            return nil
        }
        return text.value
    }

    private mutating func tagPatterns(_ node: YAMLNode, field: String) -> [String: String] {
        guard case .mapping(let pairs, _) = node else {
            error("\(field) must be a mapping of tag key to regular expression, not \(node.kindDescription)", at: node.mark)
            return [:]
        }
        var patterns: [String: String] = [:]
        for pair in pairs {
            guard let key = scalarKey(pair.key) else { continue }
            if let pattern = regex(pair.value, field: "\(field).\(key.text)") { patterns[key.text] = pattern }
        }
        return patterns
    }
}

import CYAML

/// Reads a YAML stream with Debian's libyaml into located nodes.
///
/// libyaml's event API is used rather than its document API so that
/// anchors can be expanded lazily with a budget, and so that duplicate keys
/// and foreign tags (which libyaml accepts) become problems with positions.
public struct YAMLParser: Sendable {
    /// Bounds that keep hostile input from eating memory or stack.
    public struct Limits: Sendable {
        /// How many nodes alias expansion may add to one document.
        public var aliasExpansion: Int = 2_000_000
        /// How deeply collections may nest.
        public var depth: Int = 256

        public init() {}
    }

    public var limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The documents read, and every problem found. Reading stops at the
    /// first syntax error, invalid UTF-8 or exceeded limit (there is no sane
    /// way to go on), but duplicate keys and tags are collected.
    public struct Result: Sendable {
        public var documents: [YAMLDocument]
        public var problems: [YAMLProblem]
        /// True when reading stopped before the end of the stream.
        public var stoppedEarly: Bool
        /// Where an alias named an unknown anchor: the node there is a
        /// stand-in (null), about which a decoder has nothing to add.
        public var unresolvedAliases: [Mark] = []
    }

    public func parse(_ bytes: [UInt8]) -> Result {
        if let problem = UTF8Check.firstInvalid(in: bytes) {
            return Result(documents: [], problems: [problem], stoppedEarly: true)
        }
        var builder = TreeBuilder(limits: limits)
        bytes.withUnsafeBufferPointer { buffer in
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else {
                builder.fail(YAMLProblem(message: "libyaml could not be initialised", mark: Mark(line: 1, column: 1)))
                return
            }
            defer { yaml_parser_delete(&parser) }
            // An empty buffer still needs a valid pointer.
            let empty: [UInt8] = [0]
            // A UTF-8 byte order mark is allowed at the start (YAML 1.2 §5.2); with the
            // encoding set, libyaml would read it as content. Marks count from after it.
            let skipped = bytes.starts(with: Self.byteOrderMark) ? Self.byteOrderMark.count : 0
            empty.withUnsafeBufferPointer { emptyBuffer in
                let base = buffer.count > skipped ? buffer.baseAddress! + skipped : emptyBuffer.baseAddress!
                yaml_parser_set_input_string(&parser, base, buffer.count - skipped)
                yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
                var event = yaml_event_t()
                while !builder.failed {
                    guard yaml_parser_parse(&parser, &event) == 1 else {
                        builder.fail(Self.syntaxProblem(parser, bytes[skipped...]))
                        break
                    }
                    let done = event.type == YAML_STREAM_END_EVENT
                    builder.handle(&event)
                    yaml_event_delete(&event)
                    if done { break }
                }
            }
        }
        return Result(
            documents: builder.documents, problems: builder.problems, stoppedEarly: builder.failed, unresolvedAliases: builder.unresolved)
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private static func syntaxProblem(_ parser: yaml_parser_t, _ input: ArraySlice<UInt8>) -> YAMLProblem {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let mark = parser.problem_mark
        var message = "YAML syntax error: \(problem)"
        if let context = parser.context.map({ String(cString: $0) }) {
            let contextMark = parser.context_mark
            message += " (\(context) at line \(contextMark.line + 1), column \(contextMark.column + 1))"
        }
        // Reader errors (a control character, a NUL) have only a byte offset; their marks are zero.
        if parser.error == YAML_READER_ERROR {
            return YAMLProblem(message: message, mark: Self.mark(atOffset: Int(parser.problem_offset), in: input))
        }
        return YAMLProblem(message: message, mark: Mark(line: Int(mark.line) + 1, column: Int(mark.column) + 1))
    }
}

extension YAMLParser {
    /// The line and column (in characters, as libyaml counts them) of the
    /// byte at `offset` of `input`.
    static func mark(atOffset offset: Int, in input: ArraySlice<UInt8>) -> Mark {
        var line = 1
        var column = 1
        for byte in input.prefix(max(0, offset)) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                // Not a continuation byte: a new character starts.
                column += 1
            }
        }
        return Mark(line: line, column: column)
    }
}

/// Turns libyaml events into a node tree.
private struct TreeBuilder {
    /// A collection under construction. A class, so that appending to it
    /// never copies the elements gathered so far.
    final class Frame {
        let isMapping: Bool
        let mark: Mark
        let anchor: String?
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        var seen: [String: Mark] = [:]
        var weight = 1

        init(isMapping: Bool, mark: Mark, anchor: String?) {
            self.isMapping = isMapping
            self.mark = mark
            self.anchor = anchor
        }
    }

    let limits: YAMLParser.Limits
    var documents: [YAMLDocument] = []
    var problems: [YAMLProblem] = []
    var unresolved: [Mark] = []
    var failed = false

    private var stack: [Frame] = []
    /// The items of the open sequence at each depth. Reused from one
    /// sequence to the next and copied out at its end at its exact size:
    /// growing a fresh array for each list of senders cost nine
    /// reallocations per 200 items, 5% of validate's CPU.
    private var items: [[YAMLNode]] = []
    private var interner = ScalarInterner()
    private var anchors: [String: (node: YAMLNode, weight: Int)] = [:]
    private var expanded = 0
    private var documentMark = Mark(line: 1, column: 1)
    private var root: YAMLNode?

    init(limits: YAMLParser.Limits) {
        self.limits = limits
    }

    mutating func fail(_ problem: YAMLProblem) {
        problems.append(problem)
        failed = true
    }

    mutating func handle(_ event: inout yaml_event_t) {
        let mark = Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors = [:]
            expanded = 0
            root = nil
            documentMark = mark
        case YAML_DOCUMENT_END_EVENT:
            // libyaml gives a lone `---` (a generator's trailing separator) an empty plain scalar: no content.
            if case .scalar(let scalar)? = root, scalar.text.isEmpty, scalar.style == .plain, scalar.tag == nil,
                !unresolved.contains(scalar.mark)
            {
                root = nil
            }
            documents.append(YAMLDocument(root: root, mark: documentMark))
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = interner.string(UnsafeBufferPointer(start: data.value, count: data.length))
            let tag = checkTag(data.tag, at: mark)
            let node = YAMLNode.scalar(YAMLScalar(text: text, style: Self.style(data.style), tag: tag, mark: mark))
            add(node, weight: 1, anchor: anchorName(data.anchor))
        case YAML_ALIAS_EVENT:
            alias(anchorName(event.data.alias.anchor) ?? "", at: mark)
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            _ = checkTag(data.tag, at: mark, collection: true)
            push(Frame(isMapping: false, mark: mark, anchor: anchorName(data.anchor)), at: mark)
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            _ = checkTag(data.tag, at: mark, collection: true)
            push(Frame(isMapping: true, mark: mark, anchor: anchorName(data.anchor)), at: mark)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            let node: YAMLNode
            if frame.isMapping {
                node = .mapping(frame.pairs, frame.mark)
            } else {
                node = .sequence(Array(items[stack.count]), frame.mark)
                items[stack.count].removeAll(keepingCapacity: true)
            }
            add(node, weight: frame.weight, anchor: frame.anchor)
        default:
            break
        }
    }

    private static func style(_ style: yaml_scalar_style_t) -> ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    /// `*name`: its anchor's node again, within the expansion budget.
    private mutating func alias(_ name: String, at mark: Mark) {
        guard let target = anchors[name] else {
            problems.append(
                YAMLProblem(message: "unknown anchor '*\(name)': an alias must refer to an anchor defined before it", mark: mark))
            unresolved.append(mark)
            add(.scalar(YAMLScalar(text: "", mark: mark)), weight: 1, anchor: nil)
            return
        }
        expanded += target.weight
        if expanded > limits.aliasExpansion {
            fail(
                YAMLProblem(
                    message:
                        "alias '*\(name)' expands the document beyond \(limits.aliasExpansion) nodes; refusing a possible \"billion laughs\" document",
                    mark: mark))
            return
        }
        add(target.node, weight: target.weight, anchor: nil)
    }

    private mutating func push(_ frame: Frame, at mark: Mark) {
        if stack.count >= limits.depth {
            fail(YAMLProblem(message: "nesting deeper than \(limits.depth) levels", mark: mark))
            return
        }
        stack.append(frame)
        if items.count < stack.count { items.append([]) }
    }

    private mutating func add(_ node: YAMLNode, weight: Int, anchor: String?) {
        if let anchor { anchors[anchor] = (node, weight) }
        guard let top = stack.last else {
            root = node
            return
        }
        top.weight += weight
        guard top.isMapping else {
            items[stack.count - 1].append(node)
            return
        }
        guard let key = top.pendingKey else {
            top.pendingKey = node
            return
        }
        top.pendingKey = nil
        if case .scalar(let scalar) = key {
            if let first = top.seen[scalar.text] {
                problems.append(
                    YAMLProblem(
                        message: "duplicate key '\(scalar.text)' (first defined at line \(first.line), column \(first.column))",
                        mark: scalar.mark))
                return
            }
            top.seen[scalar.text] = scalar.mark
        }
        top.pairs.append(YAMLPair(key: key, value: node))
    }

    private func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// Accepts only the core schema's scalar tags; everything else (custom
    /// tags, `!!binary`, `!!set`, tags on collections) is a problem.
    private mutating func checkTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, at mark: Mark, collection: Bool = false) -> StandardTag? {
        guard let pointer else { return nil }
        let tag = String(cString: pointer)
        let prefix = "tag:yaml.org,2002:"
        if !collection, tag.hasPrefix(prefix), let standard = StandardTag(rawValue: String(tag.dropFirst(prefix.count))) {
            return standard
        }
        if collection, tag == prefix + "map" || tag == prefix + "seq" {
            return nil
        }
        let shown = tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
        problems.append(
            YAMLProblem(
                message:
                    "unsupported YAML tag '\(shown)': only the standard scalar tags !!str, !!int, !!float, !!bool and !!null are allowed",
                mark: mark))
        return nil
    }
}

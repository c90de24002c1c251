/// A position in a YAML source, 1-based in both line and column.
///
/// Columns count Unicode scalars, as libyaml does, so a caret drawn under a
/// line of text lands on the right character even after non-ASCII text.
///
/// Stored as two 32-bit numbers: every scalar of a manifest set carries one,
/// millions of them in a large set (issue 20).
public struct Mark: Sendable, Hashable, Comparable {
    private var storedLine: Int32
    private var storedColumn: Int32

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }

    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int) {
        self.storedLine = Int32(clamping: line)
        self.storedColumn = Int32(clamping: column)
    }

    public static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// How a scalar was written. Plain scalars are the only ones YAML resolves
/// to booleans, numbers or null; quoted ones are always strings.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A scalar exactly as written: its literal text is kept, never re-formatted,
/// so `1.0` stays `1.0` and `007` stays `007`.
public struct YAMLScalar: Sendable, Hashable {
    public var text: String
    public var style: ScalarStyle
    /// The explicit standard tag (`bool`, `int`, `float`, `null`, `str`), if any.
    public var tag: StandardTag?
    public var mark: Mark

    public init(text: String, style: ScalarStyle = .plain, tag: StandardTag? = nil, mark: Mark) {
        self.text = text
        self.style = style
        self.tag = tag
        self.mark = mark
    }

    /// True for `~`, `null`, an empty plain scalar, or `!!null`.
    public var isNull: Bool {
        if let tag { return tag == .null }
        // Most scalars are longer than any null spelling; the count check
        // skips five string compares for each of them.
        guard style == .plain, text.utf8.count <= 4 else { return false }
        switch text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// The YAML 1.2 core-schema boolean this scalar denotes, if any.
    public var bool: Bool? {
        if let tag, tag != .bool { return nil }
        guard style == .plain || tag == .bool else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// The YAML 1.2 core-schema integer this scalar denotes, if any.
    public var int: Int? {
        if let tag, tag != .int { return nil }
        guard style == .plain || tag == .int else { return nil }
        return Int(text)
    }
}

/// The standard scalar tags of the YAML core schema. Any other explicit tag
/// is rejected by the parser.
public enum StandardTag: String, Sendable, Hashable {
    case str, int, float, bool, null
}

/// One key/value pair of a mapping, in source order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
}

/// A YAML node that keeps where it came from. Not `indirect`: collections
/// hold their children in arrays already, and a scalar stored inline saves
/// a heap box per node (a million of them in a large manifest set).
public enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case mapping([YAMLPair], Mark)
    case sequence([YAMLNode], Mark)

    /// Where the node starts in its source.
    public var mark: Mark {
        switch self {
        case .scalar(let scalar): return scalar.mark
        case .mapping(_, let mark), .sequence(_, let mark): return mark
        }
    }

    /// A short noun for messages: "a mapping", "a list", "a string".
    public var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if scalar.isNull { return "null" }
            if scalar.bool != nil { return "a boolean" }
            if scalar.int != nil { return "a number" }
            return "a string"
        }
    }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable {
    /// Nil for an empty document (a lone `---`).
    public var root: YAMLNode?
    public var mark: Mark
}

/// A problem found while reading YAML: a syntax error from libyaml, invalid
/// UTF-8, a duplicate key, an unsupported tag, or an alias bomb.
public struct YAMLProblem: Sendable, Hashable, Error {
    public var message: String
    public var mark: Mark

    public init(message: String, mark: Mark) {
        self.message = message
        self.mark = mark
    }
}

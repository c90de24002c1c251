/// Where something is in a manifest: a file and a 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Comparable, Codable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    /// `path:line:column`, the form compilers and editors understand.
    public var description: String { "\(file):\(line):\(column)" }
}

/// The one diagnostic type of poolctl: manifest problems, plan conflicts and
/// warnings all use it, so every renderer handles them alike.
public struct Diagnostic: Sendable, Hashable, Codable {
    public enum Severity: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
        case error, warning, note

        private var rank: Int {
            switch self {
            case .error: return 0
            case .warning: return 1
            case .note: return 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// A secondary location that explains the main one, such as the first
    /// definition of a duplicate.
    public struct Note: Sendable, Hashable, Codable {
        public var message: String
        public var location: SourceLocation?

        public init(message: String, location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation?
    /// The file a problem with no position in it is about, such as a file
    /// that cannot be read; nil when `location` names the file.
    public var file: String?
    public var notes: [Note]
    /// The policy rule a violation breaks; nil for every other diagnostic.
    /// SARIF reports it as the result's `ruleId`.
    public var rule: String?

    public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil, notes: [Note] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
    }

    public static func error(_ message: String, at location: SourceLocation? = nil, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    public static func warning(_ message: String, at location: SourceLocation? = nil, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: location, notes: notes)
    }

    /// An error about a whole file, with no position in it: machine-readable
    /// output still names the file, so CI can annotate it.
    public static func error(_ message: String, file: String) -> Diagnostic {
        var diagnostic = Diagnostic(.error, message)
        diagnostic.file = file
        return diagnostic
    }

    /// The file this diagnostic is about, with or without a position.
    public var path: String? { location?.file ?? file }
}

extension Diagnostic: Comparable {
    /// Sorted by file and position; unlocated diagnostics come last.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        switch (lhs.location, rhs.location) {
        case let (l?, r?):
            if l != r { return l < r }
        case (nil, _?): return false
        case (_?, nil): return true
        case (nil, nil): break
        }
        if lhs.severity != rhs.severity { return lhs.severity < rhs.severity }
        return lhs.message < rhs.message
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}

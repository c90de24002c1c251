import PoolctlModel
import PoolctlYAML

/// A value together with where it was written.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}

/// A manifest set as written: every document of every file, typed, with the
/// location of each field. Cross-document rules are not checked yet; see
/// `ManifestResolver`.
public struct Manifest: Sendable {
    /// The files read, in the order they were read.
    public var files: [String]
    public var documents: [ManifestDocument]

    public init(files: [String] = [], documents: [ManifestDocument] = []) {
        self.files = files
        self.documents = documents
    }
}

/// One YAML document: a fragment of the set.
public struct ManifestDocument: Sendable {
    public var location: SourceLocation
    public var apiVersion: Located<String>?
    public var stack: Located<String>?
    public var prune: Located<Bool>?
    /// Top-level `ignoreTags:`, located at the list.
    public var ignoreTags: Located<[Located<String>]>?
    /// `guard:`; located at the mapping, so a contradiction points at it.
    public var guardPolicy: Located<GuardPolicy>?
    public var senderAliases: [SenderAlias]
    public var pools: [PoolSpec]

    public init(location: SourceLocation) {
        self.location = location
        self.senderAliases = []
        self.pools = []
    }
}

/// An entry of a document's `senders:` alias table.
public struct SenderAlias: Sendable {
    public var alias: Located<String>
    public var senderID: Located<String>
}

/// A pool as written under `pools:`.
public struct PoolSpec: Sendable {
    public var key: Located<String>
    public var name: Located<String>?
    /// Tags in source order.
    public var tags: [(key: Located<String>, value: Located<String>)]
    public var tagsLocation: SourceLocation?
    /// Sender references (aliases or ids) in source order.
    public var senders: SenderReferences
    public var membership: Located<Membership>?
    public var protect: Located<Bool>?
    public var adopt: Located<String>?
    public var movedFrom: Located<String>?
    /// Tag keys in source order.
    public var ignoreTags: [Located<String>]

    public init(key: Located<String>) {
        self.key = key
        self.tags = []
        self.senders = SenderReferences(file: key.location.file)
        self.ignoreTags = []
    }
}

/// A pool's sender references (aliases or ids) in source order, each with
/// its position. Stored as one string and 8 bytes of position per
/// reference, with the file once: a `SourceLocation` each (its own copy of
/// the path) made this list half of a large set's manifest (issue 20).
public struct SenderReferences: Sendable, RandomAccessCollection {
    public let file: String
    /// The references as written, without their positions.
    public private(set) var values: [String] = []
    private var marks: [Mark] = []

    public init(file: String) {
        self.file = file
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }

    public subscript(position: Int) -> Located<String> {
        Located(values[position], at: location(at: position))
    }

    public func location(at position: Int) -> SourceLocation {
        let mark = marks[position]
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    public mutating func reserveCapacity(_ count: Int) {
        values.reserveCapacity(count)
        marks.reserveCapacity(count)
    }

    public mutating func append(_ value: String, at mark: Mark) {
        values.append(value)
        marks.append(mark)
    }
}

/// The manifest language's version string.
public enum ManifestVersion {
    public static let v1 = "poolctl/v1"
}

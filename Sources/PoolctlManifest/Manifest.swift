import PoolctlModel

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
    public var senders: [Located<String>]
    public var membership: Located<Membership>?
    public var protect: Located<Bool>?
    public var adopt: Located<String>?
    public var movedFrom: Located<String>?
    /// Tag keys in source order.
    public var ignoreTags: [Located<String>]

    public init(key: Located<String>) {
        self.key = key
        self.tags = []
        self.senders = []
        self.ignoreTags = []
    }
}

/// The manifest language's version string.
public enum ManifestVersion {
    public static let v1 = "poolctl/v1"
}

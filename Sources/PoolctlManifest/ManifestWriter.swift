import PoolctlModel
import PoolctlYAML

/// Writes a `DesiredState` as manifests that read back to the same state,
/// through libyaml's emitter (never string concatenation). Two layouts of
/// the same documents:
///
/// - `files`: `_stack.yaml` (apiVersion, stack, prune) plus one `KEY.yaml`
///   per pool. A key starts with a letter or digit, so no pool file can be
///   `_stack.yaml`.
/// - `stream`: the same documents in the same order as one multi-document
///   stream, for stdout.
///
/// Sender aliases are not used: members are written by sender id.
public enum ManifestWriter {
    public static let stackFileName = "_stack.yaml"

    public struct File: Sendable, Hashable {
        /// A bare file name, no directory.
        public var name: String
        public var bytes: [UInt8]
    }

    public static func files(_ desired: DesiredState) throws(YAMLEmitter.Failure) -> [File] {
        let emitter = YAMLEmitter()
        var files = [File(name: stackFileName, bytes: try emitter.emit([header(desired)]))]
        for pool in desired.pools {
            files.append(File(name: pool.key + ".yaml", bytes: try emitter.emit([document(pool, stack: desired.stack)])))
        }
        return files
    }

    /// `_stack.yaml` alone, for writing pools one at a time (`poolFile`).
    /// `stream` is `stackFile` then, per pool, `---` and its `poolFile`.
    public static func stackFile(_ desired: DesiredState) throws(YAMLEmitter.Failure) -> File {
        File(name: stackFileName, bytes: try YAMLEmitter().emit([header(desired)]))
    }

    /// One pool's file, as `files` writes it.
    public static func poolFile(_ pool: DesiredPool, stack: String) throws(YAMLEmitter.Failure) -> File {
        File(name: pool.key + ".yaml", bytes: try YAMLEmitter().emit([document(pool, stack: stack)]))
    }

    public static func stream(_ desired: DesiredState) throws(YAMLEmitter.Failure) -> [UInt8] {
        try YAMLEmitter().emit([header(desired)] + desired.pools.map { document($0, stack: desired.stack) })
    }

    static func header(_ desired: DesiredState) -> YAMLValue {
        .mapping([
            YAMLValuePair("apiVersion", .string(ManifestVersion.v1)),
            YAMLValuePair("stack", .string(desired.stack)),
            YAMLValuePair("prune", .bool(desired.prune)),
        ])
    }

    /// One pool per document, with the stack repeated so that each file
    /// also validates and plans on its own.
    static func document(_ pool: DesiredPool, stack: String) -> YAMLValue {
        var fields = [YAMLValuePair("name", .string(pool.name))]
        if let adopt = pool.adopt { fields.append(YAMLValuePair("adopt", .string(adopt))) }
        fields.append(YAMLValuePair("protect", .bool(pool.protect)))
        fields.append(YAMLValuePair("membership", .string(pool.membership.rawValue)))
        if !pool.tags.isEmpty {
            fields.append(YAMLValuePair("tags", .mapping(pool.tags.keys.sorted().map { YAMLValuePair($0, .string(pool.tags[$0]!)) })))
        }
        fields.append(YAMLValuePair("senders", .sequence(pool.senders.map(YAMLValue.string))))
        return .mapping([
            YAMLValuePair("apiVersion", .string(ManifestVersion.v1)),
            YAMLValuePair("stack", .string(stack)),
            YAMLValuePair("pools", .mapping([YAMLValuePair(pool.key, .mapping(fields))])),
        ])
    }
}

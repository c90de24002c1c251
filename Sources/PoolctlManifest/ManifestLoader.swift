import Foundation
import PoolctlModel
import PoolctlYAML

/// The source text of every file read, kept so that diagnostics can show
/// the offending line.
public struct SourceFiles: Sendable {
    private var contents: [String: [UInt8]] = [:]

    public init() {}

    public mutating func add(_ path: String, _ bytes: [UInt8]) {
        contents[path] = bytes
    }

    /// The text of a 1-based line, without its line break.
    public func line(_ number: Int, in path: String) -> String? {
        guard let bytes = contents[path], number >= 1 else { return nil }
        var current = 1
        var start = 0
        var index = 0
        while index < bytes.count, current < number {
            if bytes[index] == 0x0A {
                current += 1
                start = index + 1
            }
            index += 1
        }
        guard current == number else { return nil }
        var end = start
        while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// Reads a manifest set from files and directories, all the way to
/// `DesiredState`, collecting every diagnostic on the way.
public struct ManifestLoader: Sendable {
    public struct Result: Sendable {
        public var manifest: Manifest
        /// Nil when there are errors.
        public var desired: DesiredState?
        /// Sorted by file and position.
        public var diagnostics: [Diagnostic]
        public var sources: SourceFiles
    }

    public var parser: YAMLParser

    public init(parser: YAMLParser = YAMLParser()) {
        self.parser = parser
    }

    /// Loads `paths`: files, or directories meaning every `*.yaml` and
    /// `*.yml` file directly inside them, in sorted order.
    public func load(paths: [String]) -> Result {
        var diagnostics: [Diagnostic] = []
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error("cannot read '\(path)': no such file or directory"))
                continue
            }
            if isDirectory.boolValue {
                do {
                    let names = try FileManager.default.contentsOfDirectory(atPath: path)
                        .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                        .sorted()
                    if names.isEmpty {
                        diagnostics.append(.error("no *.yaml or *.yml files in directory '\(path)'"))
                    }
                    let base = path.hasSuffix("/") ? path : path + "/"
                    files += names.map { base + $0 }.filter { !isDirectoryPath($0) }
                } catch {
                    diagnostics.append(.error("cannot read directory '\(path)': \(error.localizedDescription)"))
                }
            } else {
                files.append(path)
            }
        }
        // The same file named twice would otherwise report duplicate keys.
        var seen = Set<String>()
        files = files.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }

        var contents: [(path: String, bytes: [UInt8])] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                diagnostics.append(.error("cannot read '\(file)': permission denied or not a regular file"))
                continue
            }
            contents.append((file, [UInt8](data)))
        }
        if contents.isEmpty, diagnostics.hasErrors {
            return Result(manifest: Manifest(files: files), desired: nil, diagnostics: diagnostics.sorted(), sources: SourceFiles())
        }
        var result = load(contents: contents)
        result.manifest.files = files
        result.diagnostics = (diagnostics + result.diagnostics).sorted()
        if diagnostics.hasErrors { result.desired = nil }
        return result
    }

    /// Loads a set from in-memory files, in the given order.
    public func load(contents: [(path: String, bytes: [UInt8])]) -> Result {
        var diagnostics: [Diagnostic] = []
        var sources = SourceFiles()
        var incomplete = false
        var manifest = Manifest(files: contents.map(\.path))
        // Files are parsed and decoded on all cores (libyaml alone is about a
        // third of validate's time), then joined in the given order.
        let decoded = Self.decodeAll(contents, parser: parser)
        for ((file, bytes), (documents, fileDiagnostics, complete)) in zip(contents, decoded) {
            sources.add(file, bytes)
            incomplete = incomplete || !complete
            manifest.documents += documents
            diagnostics += fileDiagnostics
        }
        let (resolved, resolveDiagnostics) = ManifestResolver(incomplete: incomplete).resolve(manifest)
        diagnostics += resolveDiagnostics
        let desired = diagnostics.hasErrors ? nil : resolved
        return Result(manifest: manifest, desired: desired, diagnostics: diagnostics.sorted(), sources: sources)
    }

    /// Decodes one file's bytes. Public for tests and for inline YAML.
    /// `complete` is false when reading stopped early (a syntax error).
    public static func decode(file: String, bytes: [UInt8], parser: YAMLParser = YAMLParser()) -> (
        documents: [ManifestDocument], diagnostics: [Diagnostic], complete: Bool
    ) {
        let parsed = parser.parse(bytes)
        var diagnostics = parsed.problems.map {
            Diagnostic.error($0.message, at: SourceLocation(file: file, line: $0.mark.line, column: $0.mark.column))
        }
        var decoder = ManifestDecoder(file: file)
        var documents: [ManifestDocument] = []
        for document in parsed.documents {
            if let decoded = decoder.decode(document) { documents.append(decoded) }
        }
        diagnostics += decoder.diagnostics
        return (documents, diagnostics, !parsed.stoppedEarly && !decoder.skippedDocument)
    }

    /// `decode` of every file, in parallel, results in the given order.
    static func decodeAll(_ contents: [(path: String, bytes: [UInt8])], parser: YAMLParser) -> [(
        documents: [ManifestDocument], diagnostics: [Diagnostic], complete: Bool
    )] {
        let results = DecodedFiles(count: contents.count)
        if contents.count < 2 {
            for (i, file) in contents.enumerated() { results.set(i, decode(file: file.path, bytes: file.bytes, parser: parser)) }
        } else {
            let files = DecodingInput(contents: contents)
            DispatchQueue.concurrentPerform(iterations: contents.count) { i in
                let file = files.contents[i]
                results.set(i, decode(file: file.path, bytes: file.bytes, parser: parser))
            }
        }
        return results.all
    }

    private func isDirectoryPath(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// The files to decode, shared read-only by the workers of `decodeAll`.
private struct DecodingInput: @unchecked Sendable {
    let contents: [(path: String, bytes: [UInt8])]
}

/// Each file's decoding, written once per index by the workers of `decodeAll`.
private final class DecodedFiles: @unchecked Sendable {
    typealias Decoded = (documents: [ManifestDocument], diagnostics: [Diagnostic], complete: Bool)
    private let lock = NSLock()
    private var results: [Decoded?]

    init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    func set(_ i: Int, _ value: Decoded) {
        lock.lock()
        results[i] = value
        lock.unlock()
    }

    var all: [Decoded] {
        lock.lock()
        defer { lock.unlock() }
        return results.map { $0! }
    }
}

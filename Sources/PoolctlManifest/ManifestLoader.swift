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

    public mutating func add(_ other: SourceFiles) {
        contents.merge(other.contents) { mine, _ in mine }
    }

    /// Reads, from disk, the text of every file `diagnostics` point into
    /// that is not here yet: a set's text is dropped once decoded, and a
    /// diagnostic found later (the resolver's, a policy's) needs its lines.
    public mutating func addFiles(of diagnostics: [Diagnostic]) {
        let files = Set(diagnostics.flatMap { [$0.location?.file] + $0.notes.map { $0.location?.file } }.compactMap { $0 })
        for path in files.sorted() where !contains(path) {
            if let bytes = ManifestLoader.readFile(path) { add(path, bytes) }
        }
    }

    public func contains(_ path: String) -> Bool { contents[path] != nil }

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
    /// A path in `alreadyRead` (a pipe the caller had to read to look at it)
    /// is decoded from those bytes.
    public func load(paths: [String], alreadyRead: [String: [UInt8]] = [:]) -> Result {
        let (files, diagnostics) = Self.files(in: paths)
        return load(inputs: files.map { path in alreadyRead[path].map { .memory(path, $0) } ?? .disk(path) }, prior: diagnostics)
    }

    /// The files `paths` name: files as given, and for a directory every
    /// `*.yaml` and `*.yml` file directly inside it, in sorted order; each
    /// file once. Manifests and policies are found alike.
    public static func files(in paths: [String]) -> (files: [String], diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(.error("cannot read '\(path)': no such file or directory", file: path))
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
                    for entry in names.map({ base + $0 }) {
                        switch entryKind(entry) {
                        case .regular: files.append(entry)
                        case .directory: break
                        // Reading a FIFO would wait for a writer forever; a device is no manifest.
                        case .other: diagnostics.append(.error("cannot read '\(entry)': not a regular file", file: entry))
                        case .unreadable(let reason): diagnostics.append(.error("cannot read '\(entry)': \(reason)", file: entry))
                        }
                    }
                } catch {
                    diagnostics.append(.error("cannot read directory '\(path)': \(FileProblem.reason(error))"))
                }
            } else {
                files.append(path)
            }
        }
        // The same file named twice would otherwise report duplicate keys.
        var seen = Set<String>()
        files = files.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
        return (files, diagnostics)
    }

    /// Loads a set from in-memory files, in the given order.
    public func load(contents: [(path: String, bytes: [UInt8])]) -> Result {
        load(inputs: contents.map { .memory($0.path, $0.bytes) }, prior: [])
    }

    /// A file to read: from disk, or already in memory.
    enum Input: Sendable {
        case disk(String)
        case memory(String, [UInt8])

        var path: String {
            switch self {
            case .disk(let path), .memory(let path, _): return path
            }
        }
    }

    /// One file decoded. `bytes` is kept only for a file in memory or one
    /// with diagnostics: a large set's text is otherwise dropped as soon as
    /// its file is decoded, rather than held through the whole load (issue
    /// 20); a later diagnostic in a dropped file reads it again.
    struct DecodedFile: Sendable {
        var documents: [ManifestDocument]
        var diagnostics: [Diagnostic]
        var complete: Bool
        var bytes: [UInt8]?
    }

    private func load(inputs: [Input], prior: [Diagnostic]) -> Result {
        var diagnostics = prior
        var sources = SourceFiles()
        var incomplete = false
        var manifest = Manifest(files: inputs.map(\.path))
        // Files are read, parsed and decoded on all cores (libyaml alone is
        // about a third of validate's time), then joined in the given order.
        let decoded = Self.decodeAll(inputs, parser: parser)
        var read = 0
        for (input, file) in zip(inputs, decoded) {
            guard let file else {
                diagnostics.append(.error("cannot read '\(input.path)': permission denied or not a regular file", file: input.path))
                continue
            }
            read += 1
            if let bytes = file.bytes { sources.add(input.path, bytes) }
            incomplete = incomplete || !file.complete
            manifest.documents += file.documents
            diagnostics += file.diagnostics
        }
        if read == 0, diagnostics.hasErrors {
            return Result(manifest: manifest, desired: nil, diagnostics: Self.reported(diagnostics), sources: sources)
        }
        let (resolved, resolveDiagnostics) = ManifestResolver(incomplete: incomplete).resolve(manifest)
        diagnostics += resolveDiagnostics
        // The text of files whose diagnostics came only now (files in memory are kept).
        sources.addFiles(of: diagnostics)
        let desired = diagnostics.hasErrors ? nil : resolved
        return Result(manifest: manifest, desired: desired, diagnostics: Self.reported(diagnostics), sources: sources)
    }

    /// Sorted, each once: a YAML alias makes one node part of several pools
    /// (`senders: *common`), and its problem is the same one at the same place.
    static func reported(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.sorted().filter { seen.insert($0).inserted }
    }

    /// Decodes one file's bytes. Public for tests and for inline YAML.
    /// `complete` is false when reading stopped early (a syntax error).
    public static func decode(file: String, bytes: [UInt8], parser: YAMLParser = YAMLParser()) -> (
        documents: [ManifestDocument], diagnostics: [Diagnostic], complete: Bool
    ) {
        let (parsed, problems) = parser.parse(bytes, file: file)
        var diagnostics = problems
        var decoder = ManifestDecoder(file: file)
        var documents: [ManifestDocument] = []
        for document in parsed.documents {
            if let decoded = decoder.decode(document) { documents.append(decoded) }
        }
        diagnostics += decoder.diagnostics.outside(parsed.unresolvedAliases)
        return (documents, diagnostics, !parsed.stoppedEarly && !decoder.skippedDocument)
    }

    /// Reads and decodes every file, in parallel, results in the given
    /// order; nil for a file that could not be read.
    static func decodeAll(_ inputs: [Input], parser: YAMLParser) -> [DecodedFile?] {
        let results = DecodedFiles(count: inputs.count)
        if inputs.count < 2 {
            for (i, input) in inputs.enumerated() { results.set(i, decodeOne(input, parser: parser)) }
        } else {
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
                results.set(i, decodeOne(inputs[i], parser: parser))
            }
        }
        return results.all
    }

    private static func decodeOne(_ input: Input, parser: YAMLParser) -> DecodedFile? {
        let bytes: [UInt8]
        var keep = true
        switch input {
        case .memory(_, let contents):
            bytes = contents
        case .disk(let path):
            guard let file = readFileAndKind(path) else { return nil }
            bytes = file.bytes
            // Only a regular file can be read again for a later diagnostic's excerpt; a pipe cannot.
            keep = !file.regular
        }
        let (documents, diagnostics, complete) = decode(file: input.path, bytes: bytes, parser: parser)
        return DecodedFile(
            documents: documents, diagnostics: diagnostics, complete: complete, bytes: keep || !diagnostics.isEmpty ? bytes : nil)
    }

    /// A file's bytes, read straight into the array: `FileManager` reads
    /// into `Data`, and copying that into `[UInt8]` cost an 82 MB manifest
    /// a second copy and 20,000 page faults. Nil when it cannot be read.
    public static func readFile(_ path: String) -> [UInt8]? { readFileAndKind(path)?.bytes }

    /// `readFile`, and whether the file is a regular one (from the same
    /// `fstat`), which a later read could read again.
    static func readFileAndKind(_ path: String) -> (bytes: [UInt8], regular: Bool)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        let regular = status.st_mode & S_IFMT == S_IFREG
        // One byte more than the size shows a file that grew since fstat.
        let capacity = max(Int(status.st_size), 0) + 1
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var filled = 0
            while filled < capacity {
                let got = read(fd, buffer.baseAddress! + filled, capacity - filled)
                if got < 0, errno == EINTR { continue }
                if got <= 0 {
                    failed = got < 0
                    break
                }
                filled += got
            }
            initialized = filled
        }
        if failed { return nil }
        guard bytes.count < capacity else {
            // It grew while read, or has no size (a pipe, `<(…)`, /dev/stdin): read on to its end
            // from the same descriptor, since a pipe cannot be opened twice.
            var all = bytes
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if got < 0, errno == EINTR { continue }
                if got < 0 { return nil }
                if got == 0 { return (all, regular) }
                all += chunk[..<got]
            }
        }
        return (bytes, regular)
    }

    private enum EntryKind {
        case regular, directory, other
        case unreadable(String)
    }

    /// What a directory entry is, symbolic links followed.
    private static func entryKind(_ path: String) -> EntryKind {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let reason = errno
            var link = stat()
            let dangling = reason == ENOENT && lstat(path, &link) == 0 && link.st_mode & S_IFMT == S_IFLNK
            return .unreadable(dangling ? "a symbolic link to nothing" : String(cString: strerror(reason)))
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        default: return .other
        }
    }
}

/// Each file's decoding, written once per index by the workers of `decodeAll`.
private final class DecodedFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [ManifestLoader.DecodedFile?]

    init(count: Int) {
        results = Array(repeating: nil, count: count)
    }

    func set(_ i: Int, _ value: ManifestLoader.DecodedFile?) {
        lock.lock()
        results[i] = value
        lock.unlock()
    }

    var all: [ManifestLoader.DecodedFile?] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}

extension YAMLParser {
    /// One file parsed, its YAML problems as errors at their positions,
    /// for manifests and policies alike.
    func parse(_ bytes: [UInt8], file: String) -> (Result, [Diagnostic]) {
        let parsed = parse(bytes)
        let problems = parsed.problems.map {
            Diagnostic.error($0.message, at: SourceLocation(file: file, line: $0.mark.line, column: $0.mark.column))
        }
        return (parsed, problems)
    }
}

extension [Diagnostic] {
    /// These decoder diagnostics, less those at an unresolved alias: the
    /// parser's "unknown anchor" explains that node, and the null standing in
    /// for it would only add "must be a string, not null".
    func outside(_ unresolved: [Mark]) -> [Diagnostic] {
        guard !unresolved.isEmpty else { return self }
        let marks = Set(unresolved.map { [$0.line, $0.column] })
        return filter { $0.location.map { !marks.contains([$0.line, $0.column]) } ?? true }
    }
}

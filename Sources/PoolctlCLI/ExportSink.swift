import Foundation
import PoolctlManifest
import PoolctlModel
import PoolctlYAML

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where exported pools go as they arrive: files in DIR, or one stream on
/// stdout (`_stack.yaml`'s document first, then `---` and each pool's).
///
/// Files are written to DIR only once the export has read every pool: until
/// then pool files wait in a hidden temporary directory inside DIR, which a
/// failure removes. Each file is one `open`, `write`, `close` and, at the
/// end, one `rename`: Foundation's `Data.write` added an `fsync`, path
/// objects and `stat`s per file, 40% of a 5,000-pool export's CPU (issue 20).
/// No file is synced: an export interrupted by a crash is simply run again,
/// and the files only become the manifest set once all are in place.
final class ExportSink: @unchecked Sendable {
    let directory: URL?
    let stdout: Console
    private var started = false
    private var written: [String] = []
    private var staging: String?

    init(directory: URL?, stdout: Console) {
        self.directory = directory
        self.stdout = stdout
    }

    func write(_ pool: DesiredPool, stack: String) throws {
        let file = try ManifestWriter.poolFile(pool, stack: stack)
        guard let directory else {
            // The stack document needs only the stack (export never prunes).
            if !started {
                started = true
                let header = try ManifestWriter.stackFile(DesiredState(stack: stack, prune: false, pools: []))
                stdout.write(String(decoding: header.bytes, as: UTF8.self))
            }
            stdout.write("---\n" + String(decoding: file.bytes, as: UTF8.self))
            return
        }
        let staging = try stagingDirectory(in: directory)
        try Self.io(directory) { try Self.create(staging + "/" + file.name, file.bytes) }
        written.append(file.name)
    }

    func finish(_ desired: DesiredState) throws {
        guard let directory else {
            if !started {
                stdout.write(String(decoding: try ManifestWriter.stackFile(desired).bytes, as: UTF8.self))
            }
            return
        }
        try Self.io(directory) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let stackFile = try ManifestWriter.stackFile(desired)
            try Data(stackFile.bytes).write(to: directory.appendingPathComponent(stackFile.name), options: .atomic)
            if let staging {
                for name in written { try Self.move(staging + "/" + name, to: directory.path + "/" + name) }
                try FileManager.default.removeItem(atPath: staging)
            }
        }
        staging = nil
        written = []
    }

    func discard() {
        if let staging { try? FileManager.default.removeItem(atPath: staging) }
    }

    private func stagingDirectory(in directory: URL) throws -> String {
        if let staging { return staging }
        let path = directory.path + "/.poolctl-export-\(getpid())"
        try Self.io(directory) { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        staging = path
        return path
    }

    /// A system call's failure, with the file it concerned.
    struct FileError: Error, CustomStringConvertible {
        var path: String
        var code: Int32
        var description: String { "\(path): \(String(cString: strerror(code)))" }
    }

    /// Creates `path` (it must not exist) holding `bytes`.
    static func create(_ path: String, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw FileError(path: path, code: errno) }
        var failure: FileError?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = FileError(path: path, code: errno)
                    return
                }
                offset += count
            }
        }
        // A full disk can surface only at close on some filesystems.
        if close(fd) != 0, failure == nil { failure = FileError(path: path, code: errno) }
        if let failure { throw failure }
    }

    /// Moves a staged file into place, never over an existing one: a file
    /// that appeared in DIR meanwhile is an error, as `moveItem` made it.
    static func move(_ source: String, to destination: String) throws {
        guard link(source, destination) == 0 else { throw FileError(path: destination, code: errno) }
        guard unlink(source) == 0 else { throw FileError(path: source, code: errno) }
    }

    static func io(_ directory: URL, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as YAMLEmitter.Failure {
            throw failure
        } catch let failure as FileError {
            throw CommandFailure(message: "poolctl: cannot write to \(directory.path): \(failure)", exitCode: .error)
        } catch {
            throw CommandFailure(
                message: "poolctl: cannot write to \(directory.path): \(FileProblem.reason(error))", exitCode: .error)
        }
    }
}

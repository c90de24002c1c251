import Foundation
import PoolctlModel
import Testing

/// `plan --out` and `--sarif` write a regular file atomically, but stream
/// into a FIFO or a device (`--out /dev/stdout`) rather than replace it.
@Suite struct OutputFileTests {
    private static func directory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func aFIFOIsWrittenIntoAndStaysAFIFO() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("plan.json").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let received = ReadAll(fifo)
        try OutputFile.write(Array("{\"kind\": \"poolctl-plan\"}\n".utf8), to: fifo)
        #expect(received.wait() == "{\"kind\": \"poolctl-plan\"}\n")
        var status = stat()
        #expect(stat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO, "the FIFO was replaced by a file")
    }

    /// `plan --out /dev/stdout | head -1`: a reader that stopped early chose
    /// to, as on stdout itself; not a failure to write the plan.
    @Test func aStreamWhoseReaderWentAwayIsNoFailure() throws {
        // poolctl ignores SIGPIPE (Poolctl.main); so must the test, to see EPIPE.
        signal(SIGPIPE, SIG_IGN)
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[1]) }
        close(ends[0])
        try OutputFile.write(Array(repeating: 0x20, count: 1 << 17), to: "/dev/fd/\(ends[1])")
        // Any other failure still is one.
        #expect(OutputFile.writeAll([0x20], to: -1) == EBADF)
    }

    @Test func aRegularFileIsReplacedWhole() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("plan.json").path
        try "an older, longer plan\n".write(toFile: path, atomically: false, encoding: .utf8)
        try OutputFile.write(Array("new\n".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "new\n")
    }

    @Test func aDirectoryIsRefusedSayingSo() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: POSIXError(.EISDIR)) { try OutputFile.write([0x7B, 0x7D], to: directory.path) }
        #expect(FileProblem.reason(POSIXError(.EISDIR)) == "Is a directory")
    }

    /// Foundation on Linux words a missing directory "The operation could not
    /// be completed. The file doesn't exist."; the reason names it as the system does.
    @Test func aMissingDirectoryIsNamedAsTheSystemNamesIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-none-\(UUID().uuidString)/plan.json").path
        do {
            try OutputFile.write(Array("{}".utf8), to: path)
            Issue.record("wrote into a directory that does not exist")
        } catch {
            #expect(FileProblem.reason(error) == "No such file or directory", "\(error)")
        }
        #expect(FileProblem.reason(CocoaError(.fileWriteNoPermission)) == "Permission denied")
    }
}

/// Reads a FIFO to its end on a thread of its own (opening it waits for the writer).
private final class ReadAll: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var text = ""

    init(_ path: String) {
        Thread.detachNewThread {
            let fd = open(path, O_RDONLY)
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while fd >= 0 {
                let got = read(fd, &buffer, buffer.count)
                if got <= 0 { break }
                bytes += buffer[..<got]
            }
            if fd >= 0 { close(fd) }
            self.text = String(decoding: bytes, as: UTF8.self)
            self.done.signal()
        }
    }

    /// Nil when nothing was written to the FIFO within 30 s (it was
    /// replaced instead, and the reader is still waiting for a writer).
    func wait() -> String? {
        done.wait(timeout: .now() + 30) == .success ? text : nil
    }
}

import Foundation
import PoolctlModel
import Testing

@testable import PoolctlCLI

/// `ExportSink` writes each file with plain system calls: what lands in DIR,
/// when, and that it never replaces a file or leaves its staging behind.
@Suite struct ExportSinkTests {
    static let pools = [
        DesiredPool(key: "a", name: "A", senders: ["comms_sender_01jd8a7k2m3n4p5q6r00000001"]),
        DesiredPool(key: "b", name: "B"),
    ]

    static func sink(_ directory: URL) -> ExportSink {
        ExportSink(directory: directory, stdout: Console { _ in Issue.record("wrote to stdout with --out") })
    }

    static func entries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test func poolsWaitInAHiddenDirectoryAndFinishMovesThemIntoPlace() async throws {
        try await withFiles([:]) { directory in
            let sink = Self.sink(directory)
            for pool in Self.pools { try sink.write(pool, stack: "web") }
            let staged = try Self.entries(directory)
            #expect(staged.count == 1 && staged[0].hasPrefix(".poolctl-export-"), "\(staged)")
            try sink.finish(DesiredState(stack: "web", prune: false, pools: Self.pools))
            #expect(try Self.entries(directory) == ["_stack.yaml", "a.yaml", "b.yaml"])
            let text = try String(contentsOf: directory.appendingPathComponent("a.yaml"), encoding: .utf8)
            #expect(text.contains("comms_sender_01jd8a7k2m3n4p5q6r00000001"), "\(text)")
        }
    }

    @Test func aFileThatAppearedMeanwhileIsNeverReplaced() async throws {
        try await withFiles([:]) { directory in
            let sink = Self.sink(directory)
            for pool in Self.pools { try sink.write(pool, stack: "web") }
            try "mine\n".write(to: directory.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
            do {
                try sink.finish(DesiredState(stack: "web", prune: false, pools: Self.pools))
                Issue.record("finish replaced b.yaml")
            } catch let failure as CommandFailure {
                #expect(failure.message.contains("cannot write to \(directory.path)"), "\(failure.message)")
                #expect(failure.message.contains("b.yaml: File exists"), "\(failure.message)")
            }
            #expect(try String(contentsOf: directory.appendingPathComponent("b.yaml"), encoding: .utf8) == "mine\n")
        }
    }

    @Test func discardRemovesTheStagedFilesAndLeavesDirAsItWas() async throws {
        try await withFiles(["notes.txt": "keep\n"]) { directory in
            let sink = Self.sink(directory)
            for pool in Self.pools { try sink.write(pool, stack: "web") }
            sink.discard()
            #expect(try Self.entries(directory) == ["notes.txt"])
        }
    }

    @Test func aDirectoryThatCannotBeMadeIsAnErrorThatNamesIt() async throws {
        // A regular file where DIR's parent should be: fails for root too.
        try await withFiles(["plain": "x\n"]) { directory in
            let target = directory.appendingPathComponent("plain/out")
            #expect {
                try Self.sink(target).write(Self.pools[0], stack: "web")
            } throws: { error in
                (error as? CommandFailure)?.message.hasPrefix("poolctl: cannot write to \(target.path): ") == true
            }
            let left = try Self.entries(directory)
            #expect(left == ["plain"])
        }
    }

    @Test func createRefusesAnExistingFileAndReportsTheSystemsReason() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-sink-\(UUID().uuidString)").path
        defer { unlink(path) }
        try ExportSink.create(path, Array("one\n".utf8))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\n")
        #expect {
            try ExportSink.create(path, Array("two\n".utf8))
        } throws: { error in
            "\(error)" == "\(path): File exists"
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "one\n")
    }
}

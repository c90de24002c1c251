import Foundation
import PoolctlManifest
import PoolctlRender
import Testing

/// A directory's `*.yaml` entries that are not regular files: a FIFO would
/// make the read wait for a writer forever, a link to nothing cannot be read.
@Suite struct DirectoryEntryTests {
    @Test func aFIFOAndABrokenLinkAreReportedAndTheRestIsRead() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-entries-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "apiVersion: poolctl/v1\nstack: web\npools:\n  one: {}\n".write(
            to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let fifo = directory.appendingPathComponent("fifo.yml").path
        try #require(mkfifo(fifo, 0o600) == 0)
        let link = directory.appendingPathComponent("gone.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory.appendingPathComponent("nowhere").path)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub.yaml"), withIntermediateDirectories: false)

        let result = ManifestLoader().load(paths: [directory.path])
        #expect(
            result.diagnostics.map(\.message).sorted() == [
                "cannot read '\(fifo)': not a regular file", "cannot read '\(link)': a symbolic link to nothing",
            ])
        #expect(result.manifest.documents.count == 1, "a.yaml is read; the subdirectory is passed over")
        #expect(result.diagnostics.compactMap(\.path).sorted() == [fifo, link].sorted())
    }

    /// A pipe named on the command line (`<(…)`, /dev/stdin) is read to its
    /// end: it has no size, and cannot be opened a second time.
    @Test func aManifestNamedAsAPipeIsReadToItsEnd() throws {
        let pipe = try PipeFile("apiVersion: poolctl/v1\nstack: web\npools:\n  one: {}\n  two: {}\n")
        let result = ManifestLoader().load(paths: [pipe.path])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.desired?.pools.map(\.key) == ["one", "two"])
        // A pipe cannot be read again, so its text is kept for the excerpt of a diagnostic found later.
        let first = try PipeFile("apiVersion: poolctl/v1\nstack: web\npools:\n  one: {}\n")
        let second = try PipeFile("apiVersion: poolctl/v1\npools:\n  one: {}\n")
        let duplicate = ManifestLoader().load(paths: [first.path, second.path])
        #expect(duplicate.diagnostics.first?.message.hasPrefix("duplicate pool key 'one'") == true, "\(duplicate.diagnostics)")
        #expect(duplicate.sources.line(3, in: second.path) == "  one: {}")
    }

    /// A file that cannot be read has no line, yet CI still needs its name to
    /// annotate it: JSON, SARIF and GitHub annotations all carry the file.
    @Test func aFileThatCannotBeReadIsNamedInEveryMachineFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-entries-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let link = directory.appendingPathComponent("gone.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: directory.appendingPathComponent("nowhere").path)
        let missing = directory.appendingPathComponent("missing.yaml").path
        let result = ManifestLoader().load(paths: [directory.path, missing])

        let report = ValidationReport(result: result)
        #expect(report.diagnostics.map(\.file) == [link, missing].sorted())
        #expect(report.diagnostics.allSatisfy { $0.line == nil && $0.column == nil })
        #expect(report.json().contains("\"kind\" : \"poolctl-validate\""))

        let sarif =
            try JSONSerialization.jsonObject(with: Data(SARIFRenderer.render(result.diagnostics, policy: nil, toolVersion: "0.0.0").utf8))
            as? [String: Any]
        let results = ((sarif?["runs"] as? [[String: Any]])?.first?["results"] as? [[String: Any]]) ?? []
        let physical = results.compactMap { ($0["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any] }
        #expect(physical.compactMap { ($0["artifactLocation"] as? [String: Any])?["uri"] as? String }.count == 2)
        #expect(physical.allSatisfy { $0["region"] == nil })

        let annotations = DiagnosticRenderer.githubAnnotations(result.diagnostics)
        #expect(annotations.split(separator: "\n").allSatisfy { $0.hasPrefix("::error file=") && !$0.contains(",line=") })
    }
}

/// `/dev/fd/N` of a pipe that already holds `text` and whose writer has
/// closed, as a shell's `<(…)` names one.
final class PipeFile {
    let path: String
    private let reader: Int32

    init(_ text: String) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        let bytes = Array(text.utf8)
        precondition(bytes.count < 65_536, "the pipe's buffer must hold it all")
        _ = bytes.withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        reader = ends[0]
        path = "/dev/fd/\(reader)"
    }

    deinit { close(reader) }
}

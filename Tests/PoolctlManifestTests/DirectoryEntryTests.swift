import Foundation
import PoolctlManifest
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
    }
}

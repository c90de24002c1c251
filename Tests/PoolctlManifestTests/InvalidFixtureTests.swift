import Foundation
import PoolctlManifest
import PoolctlModel
import Testing

/// A table of invalid manifests under Tests/Fixtures/invalid, each with the
/// exact diagnostics it must produce in `NAME.expected`.
/// `RECORD_GOLDEN=1 swift test` rewrites the expectations (and fails, so that
/// a recording is never mistaken for a pass).
@Suite struct InvalidFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/invalid")

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    @Test func thereAreFixtures() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func fixtureProducesItsExactDiagnostics(name: String) throws {
        let file = Self.directory.appendingPathComponent("\(name).yaml")
        let bytes = try [UInt8](Data(contentsOf: file))
        let result = ManifestLoader().load(contents: [("\(name).yaml", bytes)])
        let actual = lines(result.diagnostics).joined(separator: "\n") + "\n"
        let expectedFile = Self.directory.appendingPathComponent("\(name).expected")
        if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
            try actual.write(to: expectedFile, atomically: true, encoding: .utf8)
            Issue.record("recorded \(expectedFile.lastPathComponent); rerun without RECORD_GOLDEN")
            return
        }
        let expected = try String(contentsOf: expectedFile, encoding: .utf8)
        #expect(actual == expected)
        #expect(result.desired == nil, "an invalid fixture must not produce a desired state")
        #expect(result.diagnostics.hasErrors)
    }
}

import PoolctlManifest
import PoolctlModel
import Testing

/// A desired state written by `ManifestWriter` loads back to the same state,
/// in both layouts, and the layouts hold the same documents.
@Suite struct ManifestWriterTests {
    static let desired = DesiredState(
        stack: "web", prune: false,
        pools: [
            DesiredPool(
                key: "yes", name: "yes", tags: ["a": "007", "b": "1.0", "c": "true", "null": "null", "d": "~x"],
                senders: ["comms_sender_01h9krwprkeee8fzqspvwy6nq2", "comms_sender_01h9krwprkeee8fzqspvwy6nq1"],
                protect: true, adopt: "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"),
            DesiredPool(
                key: "007", name: "- leading dash, trailing space ", protect: true, adopt: "comms_senderpool_01h9krwprkeee8fzqspvwy6nq9"),
            DesiredPool(
                key: "cafe", name: "Café \"日本\" #1: it's\nnew", tags: ["team": "ops"], senders: ["comms_sender_01h9krwprkeee8fzqspvwy6nq3"]),
        ])

    /// What reading gives back, without source locations.
    static func loaded(_ result: ManifestLoader.Result) -> DesiredState? {
        guard let desired = result.desired else { return nil }
        return DesiredState(
            stack: desired.stack, prune: desired.prune,
            pools: desired.pools.map {
                var pool = $0
                pool.location = nil
                return pool
            })
    }

    @Test func filesLoadBackToTheSameState() throws {
        let files = try ManifestWriter.files(Self.desired)
        #expect(files.map(\.name) == ["_stack.yaml", "007.yaml", "cafe.yaml", "yes.yaml"])
        let result = ManifestLoader().load(contents: files.map { ($0.name, $0.bytes) })
        #expect(result.diagnostics.isEmpty, "\(lines(result.diagnostics))")
        #expect(Self.loaded(result) == Self.desired)
    }

    @Test func theStreamIsTheFilesAsDocuments() throws {
        let stream = try ManifestWriter.stream(Self.desired)
        let files = try ManifestWriter.files(Self.desired)
        #expect(stream == Array(files.map { $0.bytes }.joined(separator: Array("---\n".utf8))))
        let result = ManifestLoader().load(contents: [("all.yaml", stream)])
        #expect(result.diagnostics.isEmpty, "\(lines(result.diagnostics))")
        #expect(Self.loaded(result) == Self.desired)
    }

    @Test func aPoolFileReadsWell() throws {
        let file = try #require(try ManifestWriter.files(Self.desired).first { $0.name == "yes.yaml" })
        #expect(
            String(decoding: file.bytes, as: UTF8.self) == """
                apiVersion: poolctl/v1
                stack: web
                pools:
                  'yes':
                    name: 'yes'
                    adopt: comms_senderpool_01h9krwprkeee8fzqspvwy6nq8
                    protect: true
                    membership: exact
                    tags:
                      a: '007'
                      b: '1.0'
                      c: 'true'
                      d: ~x
                      'null': 'null'
                    senders:
                    - comms_sender_01h9krwprkeee8fzqspvwy6nq1
                    - comms_sender_01h9krwprkeee8fzqspvwy6nq2

                """)
    }
}

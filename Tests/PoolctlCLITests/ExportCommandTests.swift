import Foundation
import PoolctlAPI
import PoolctlCLI
import Testing

/// `poolctl export` in-process against the emulator on a loopback socket:
/// its output, its refusals, and that it never writes.
@Suite struct ExportCommandTests {
    static let seed =
        twoSenders + """

            pools:
              - {name: "yes", tags: {v: "007"}, senders: [\(s1)]}
              - {name: "Theirs", tags: {poolctl: v1~other~t}, senders: []}

            """

    @Test func printsOneManifestThatValidatesAndListsOtherStacksOnStderr() async throws {
        try await withEmulator(seed: Self.seed) { emulator in
            let outcome = await poolctl(["export", "--stack", "web"], environment: emulator.environment)
            #expect(outcome.code == .success, "\(outcome)")
            #expect(outcome.stdout.hasPrefix("apiVersion: poolctl/v1\nstack: web\nprune: false\n---\n"), "\(outcome)")
            #expect(outcome.stdout.contains("  'yes':\n    name: 'yes'\n"), "\(outcome)")
            #expect(outcome.stdout.contains("      v: '007'\n"), "\(outcome)")
            #expect(!outcome.stdout.contains("Theirs"))
            #expect(outcome.stderr.contains("\"Theirs\": owned by stack 'other' (key 't')"), "\(outcome)")
            #expect(outcome.stderr.contains("Read 2 pools with 2 API calls; exporting 1: 1 to adopt, 0 already owned"), "\(outcome)")
            #expect(!outcome.stdout.contains(authToken) && !outcome.stderr.contains(authToken))
            try await withFiles(["all.yaml": outcome.stdout]) { directory in
                let validated = await poolctl(["validate", directory.path])
                #expect(validated.code == .success, "\(validated)")
            }
            let pools = try await emulator.store.allSenderPools().collect()
            #expect(pools.allSatisfy { $0.tags["poolctl"] == nil || $0.name == "Theirs" }, "export wrote to the API")
        }
    }

    @Test func refusesADirectoryThatAlreadyHoldsManifestsBeforeAnyCall() async throws {
        try await withFiles(["old.yaml": "apiVersion: poolctl/v1\n"]) { directory in
            // No API URL or credentials: the refusal comes first.
            let outcome = await poolctl(["export", "--stack", "web", "--out", directory.path])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(outcome.stderr.contains("already holds 1 manifest file (old.yaml…)"), "\(outcome)")
        }
    }

    @Test(arguments: [
        (["export"], "Missing expected argument '--stack <name>'"),
        (["export", "--stack", "Web"], "invalid --stack 'Web'"),
        (["export", "--stack", "web", "--tag", "novalue"], "invalid --tag 'novalue': use KEY=VALUE"),
        (["export", "--stack", "web", "--name", "(["], "invalid --name pattern '(['"),
    ])
    func usageErrorsExit1(_ arguments: [String], _ message: String) async {
        let outcome = await poolctl(arguments)
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains(message), "\(outcome)")
    }
}

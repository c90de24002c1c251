import Foundation
import PoolctlRender
import Testing

@testable import PoolctlCLI

/// `apply --log-format ndjson` in-process against the emulator on a loopback
/// socket: stderr holds only JSON events, and never a credential.
@Suite struct ApplyLogTests {
    /// Every stderr line as a JSON object; records an issue for any other line.
    func events(_ stderr: String) -> [[String: Any]] {
        #expect(stderr.hasSuffix("\n"), "stderr must end with a whole line")
        return stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().compactMap { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            #expect(object?["v"] as? Int == 1, "no version: \(line)")
            return object
        }
    }

    func kinds(_ events: [[String: Any]]) -> [String] { events.compactMap { $0["event"] as? String } }

    @Test func anApplyUnderARateLimitLogsOnlyEventsAndNoSecret() async throws {
        // 2 requests/s: the scheduler starts at 10, so 429s and retries are certain.
        try await withEmulator(configure: { $0.rateLimit = 2 }) { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]", "b": "senders: [\(s2)]"])]) { directory in
                let outcome = await poolctl(
                    ["apply", directory.path, "--auto-approve", "--log-format", "ndjson"], environment: emulator.environment)
                #expect(outcome.code == .success, "\(outcome)")
                let basic = Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
                for secret in [authToken, basic, "Basic "] {
                    #expect(!outcome.stderr.contains(secret) && !outcome.stdout.contains(secret), "\(secret) leaked")
                }
                // stdout is unchanged: the plan and the report as text.
                #expect(outcome.stdout.contains("Apply complete: 2 of 2 pools converged"), "\(outcome)")
                let events = events(outcome.stderr)
                let seen = Set(kinds(events))
                for kind in ["plan", "lease", "request", "retry", "operation-poll", "step", "pool-result", "apply-result"] {
                    #expect(seen.contains(kind), "no \(kind) event: \(outcome.stderr)")
                }
                #expect(events.contains { $0["event"] as? String == "retry" && $0["reason"] as? String == "429" })
                #expect(
                    events.filter { $0["event"] as? String == "pool-result" }.compactMap { $0["key"] as? String }.sorted() == ["a", "b"])
                let last = try #require(events.last)
                #expect(last["event"] as? String == "apply-result" && last["outcome"] as? String == "converged")
                #expect(last["exitCode"] as? Int == 0)
                #expect(last["apiCalls"] as? Int == events.filter { $0["event"] as? String == "request" }.count)
            }
        }
    }

    @Test func aPartialApplyEndsWithOneResultLineAndExit3() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["good": "senders: [\(s1)]", "bad": "senders: [\(s2), \(strangerID)]"])]) { directory in
                let outcome = await poolctl(
                    ["apply", directory.path, "--auto-approve", "--log-format", "ndjson", "--format", "json"],
                    environment: emulator.environment)
                #expect(outcome.code == .partial, "\(outcome)")
                let events = events(outcome.stderr)
                #expect(kinds(events).filter { $0 == "apply-result" || $0 == "error" } == ["apply-result"], "\(outcome)")
                #expect(events.last?["outcome"] as? String == "partial" && events.last?["exitCode"] as? Int == 3)
                #expect(events.last?["pools"] as? Int == 2 && events.last?["converged"] as? Int == 1)
                let results = Dictionary(
                    uniqueKeysWithValues: events.filter { $0["event"] as? String == "pool-result" }.map {
                        ($0["key"] as? String ?? "", $0["outcome"] as? String ?? "")
                    })
                #expect(results == ["good": "converged", "bad": "failed"], "\(outcome)")
                // stdout is the JSON report, as without the flag.
                #expect(outcome.stdout.hasPrefix("{"), "\(outcome)")
            }
        }
    }

    @Test func linesFromConcurrentTasksNeverInterleave() async throws {
        // A console that takes each write in pieces, as a pipe may: only the log's lock keeps lines whole.
        let stderr = Captured()
        let console = Console { text in
            for piece in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init).enumerated() {
                stderr.console.write(piece.offset == 0 ? piece.element : "," + piece.element)
            }
        }
        let log = ApplyLog(console: console)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for n in 0..<100 { log.emit(.warning("task \(task), line \(n), " + String(repeating: "x,", count: 50))) }
                }
            }
        }
        let events = events(stderr.value)
        #expect(events.count == 800)
        #expect(Set(events.compactMap { $0["message"] as? String }).count == 800)
    }

    @Test func failuresAreEventsToo() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                var environment = emulator.environment
                environment["TWILIO_AUTH_TOKEN"] = "wrong-secret-5be07a"
                let outcome = await poolctl(
                    ["apply", directory.path, "--auto-approve", "--log-format", "ndjson"], environment: environment)
                #expect(outcome.code == .error, "\(outcome)")
                #expect(!outcome.stderr.contains("wrong-secret-5be07a"))
                let events = events(outcome.stderr)
                #expect(Array(kinds(events).suffix(2)) == ["error", "apply-result"], "\(outcome)")
                #expect((events.first { $0["event"] as? String == "error" }?["message"] as? String)?.contains("HTTP 401") == true)
                #expect(events.last?["stack"] as? String == "web")

                let unlocked = await poolctl(
                    ["apply", directory.path, "--auto-approve", "--log-format", "ndjson", "--lock=false"], environment: emulator.environment
                )
                #expect(unlocked.code == .success, "\(unlocked)")
                let warnings = self.events(unlocked.stderr).filter { $0["event"] as? String == "warning" }
                #expect((warnings.first?["message"] as? String)?.hasPrefix("--lock=false") == true, "\(unlocked)")
            }
        }
    }
}

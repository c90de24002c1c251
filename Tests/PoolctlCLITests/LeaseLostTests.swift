import Foundation
import PoolctlAPI
import PoolctlEmulator
import PoolctlModel
import Testing

@testable import PoolctlCLI

/// A lease lost in the middle of `apply`, in-process against the emulator
/// on a loopback socket (issue 19, item 4). The emulator's store runs on a
/// `ManualClock`, so an operation stays PROCESSING until the test moves that
/// clock: the lease is deleted while a create is in flight, and the order of
/// events comes from the events themselves, never from timing.
@Suite struct LeaseLostTests {
    /// The next stderr line that is a JSON event `matching`; nil once the run ended without one.
    func next(_ lines: inout AsyncStream<String>.Iterator, _ matching: ([String: Any]) -> Bool) async -> [String: Any]? {
        while let line = await lines.next() {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if matching(event) { return event }
        }
        return nil
    }

    func events(_ stderr: String) -> [[String: Any]] {
        stderr.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func isEvent(_ kind: String, _ fields: [String: String] = [:]) -> ([String: Any]) -> Bool {
        { event in event["event"] as? String == kind && fields.allSatisfy { event[$0.key] as? String == $0.value } }
    }

    /// Pool a takes two senders and `--max-batch 1`: the create carries s1,
    /// and Add Senders of s2 follows once the create's operation ends. The
    /// lease is deleted while that create is PROCESSING, so the later write
    /// of the same pool is the one the guard must refuse.
    @Test func aLeaseDeletedWhileACreateRunsStopsTheNextWriteAndExits6() async throws {
        let clock = ManualClock(milliseconds: Int64(Date().timeIntervalSince1970 * 1000))
        try await withEmulator(clock: clock.clock, configure: { $0.operationDelayMS = 1000 }) { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1), \(s2)]"])]) { directory in
                let stderr = Captured()
                let run = Task {
                    await poolctl(
                        [
                            "apply", directory.path, "--auto-approve", "--log-format", "ndjson", "--max-batch", "1", "--lock-ttl", "6s",
                            "--timeout", "2m",
                        ], environment: emulator.environment, stderr: stderr)
                }
                var lines = stderr.lines.makeAsyncIterator()
                // The lease's own create waits on its operation too: let it finish.
                let leasePoll = await next(&lines, isEvent("request", ["endpoint": Endpoint.fetchOperation.rawValue]))
                try #require(leasePoll != nil, "the lease's create was never polled")
                clock.advance(by: .seconds(1))
                let acquired = try #require(await next(&lines, isEvent("lease", ["state": "acquired"])))
                let leaseID = try #require(acquired["poolID"] as? String)

                // a's create is accepted and PROCESSING: now someone deletes the lease (poolctl unlock, say).
                _ = try #require(await next(&lines, isEvent("operation-poll", ["key": "a", "status": "PROCESSING"])))
                _ = try await emulator.store.deleteSenderPool(id: leaseID)
                let cut = try #require(await emulator.store.writes().writes.last?.seq)
                let lost = try #require(await next(&lines, isEvent("lease", ["state": "lost"])))
                #expect((lost["message"] as? String)?.contains("was deleted by someone else") == true, "\(lost)")

                // The in-flight create is waited for, not abandoned.
                clock.advance(by: .seconds(1))
                let outcome = await run.value
                #expect(outcome.code == .leaseLost, "\(outcome)")

                // No write of this apply after the lease was gone: not a's Add Senders, not a release.
                let writes = await emulator.store.writes().writes
                let applyWrites = writes.filter { $0.actor == .client && $0.userAgent != nil }
                #expect(applyWrites.filter { $0.seq > cut }.isEmpty, "writes after the loss: \(applyWrites.filter { $0.seq > cut })")
                // The lease's create and a's create; renewals of the lease (real time, TTL/3) may come between.
                let renewals = applyWrites.filter { $0.poolId == leaseID && $0.endpoint == Endpoint.updateSenderPool.rawValue }
                #expect(
                    applyWrites.filter { w in !renewals.contains { $0.seq == w.seq } }.map(\.endpoint) == [
                        Endpoint.createSenderPool.rawValue, Endpoint.createSenderPool.rawValue,
                    ])

                let state = await emulator.store.state()
                #expect(
                    state.pools.filter { $0.tags["poolctl"] == "v1~web~a" }.map(\.senders) == [[s1]], "a's create finished, s2 not added")
                #expect(!state.pools.contains { $0.tags["poolctl-lease"] != nil })

                let events = events(outcome.stderr)
                let result = try #require(events.first(where: isEvent("pool-result", ["key": "a"])), "\(outcome)")
                #expect(result["outcome"] as? String == "failed", "\(result)")
                #expect((result["message"] as? String)?.contains("was deleted by someone else") == true, "\(result)")
                let error = try #require(events.first(where: isEvent("error")), "\(outcome)")
                #expect(error["exitCode"] as? Int == 6)
                #expect((error["message"] as? String)?.contains("was deleted by someone else") == true, "\(error)")
                let last = try #require(events.last)
                #expect(last["event"] as? String == "apply-result", "\(outcome)")
                #expect(last["outcome"] as? String == "lease-lost" && last["exitCode"] as? Int == 6, "\(last)")
                #expect(last["pools"] as? Int == 1 && last["converged"] as? Int == 0, "\(last)")
                // Someone else deleted the lease: this run does not claim to have released it.
                #expect(!events.contains(where: isEvent("lease", ["state": "released"])), "\(outcome)")
                #expect(outcome.stdout.contains("✗ a"), "\(outcome)")
            }
        }
    }
}

import Foundation
import Logging
import PoolctlAPI
import Testing

@testable import PoolctlEmulator

/// Serves the emulator (quickstart seed, Basic ACfuzz:fuzz-token) on the port
/// given in POOLCTL_EMULATOR_SERVE for POOLCTL_EMULATOR_SERVE_SECONDS (default
/// 300), so that schemathesis can be run by hand:
///
///     schemathesis run schema/comms-senderpools.openapi.yaml --url http://127.0.0.1:PORT \
///         --auth ACfuzz:fuzz-token --checks all --exclude-checks positive_data_acceptance
@Suite("Serve for fuzzing", .enabled(if: ProcessInfo.processInfo.environment["POOLCTL_EMULATOR_SERVE"] != nil))
struct ServeForFuzzing {
    @Test func serve() async throws {
        let environment = ProcessInfo.processInfo.environment
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var configuration = EmulatorConfiguration(
            port: Int(environment["POOLCTL_EMULATOR_SERVE"]!) ?? 0,
            seedPath: root.appendingPathComponent("examples/seeds/quickstart.yaml").path,
            accountSID: "ACfuzz", authToken: "fuzz-token", operationDelayMS: 50)
        configuration.host = "127.0.0.1"
        let store = try EmulatorStore(configuration: configuration)
        var logger = Logger(label: "emulator", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .info
        let (url, task) = try await startServer(configuration, store: store, logger: logger)
        print("emulator listening on \(url)")
        try await Task.sleep(for: .seconds(Int(environment["POOLCTL_EMULATOR_SERVE_SECONDS"] ?? "") ?? 300))
        task.cancel()
        _ = await task.result
    }
}

/// Runs schemathesis against a live emulator when POOLCTL_EMULATOR_FUZZ is
/// set (its value: extra arguments, e.g. `--max-examples 20`).
@Suite("Schemathesis", .enabled(if: ProcessInfo.processInfo.environment["POOLCTL_EMULATOR_FUZZ"] != nil))
struct FuzzTests {
    @Test func theEmulatorConformsToTheSpec() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configuration = EmulatorConfiguration(
            port: 0, seedPath: root.appendingPathComponent("examples/seeds/quickstart.yaml").path,
            accountSID: "ACfuzz", authToken: "fuzz-token", operationDelayMS: 50)
        let store = try EmulatorStore(configuration: configuration)
        let (url, task) = try await startServer(configuration, store: store)
        defer { task.cancel() }
        let extra = ProcessInfo.processInfo.environment["POOLCTL_EMULATOR_FUZZ"]!.split(separator: " ").map(String.init)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Excluded checks, each a documented decision rather than a bug:
        // - positive_data_acceptance: schema-valid free-form pageTokens get 400.
        // - negative_data_rejection: unknown query parameters are ignored.
        // - ensure_resource_availability: added senders that are not in the
        //   inventory are `failed`, so removing them afterwards is a 404.
        // - object_level_authorization: one account only.
        // The coverage phase is left out: generating 10,000-item unique arrays
        // (Create/Add Senders maxItems) takes schemathesis forever.
        process.arguments =
            [
                "schemathesis", "run", root.appendingPathComponent("schema/comms-senderpools.openapi.yaml").path,
                "--url", url, "--auth", "ACfuzz:fuzz-token", "--checks", "all",
                "--exclude-checks",
                "positive_data_acceptance,negative_data_rejection,ensure_resource_availability,object_level_authorization",
                "--phases", "examples,fuzzing,stateful", "--max-examples", "50",
                "--suppress-health-check", "all", "--no-color",
            ] + extra
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        #expect(status == 0, "schemathesis failed; see its output above")
    }
}

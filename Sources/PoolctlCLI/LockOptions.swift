import ArgumentParser
import Foundation
import PoolctlEngine
import Synchronization

/// How `apply` holds the stack's lease: an empty pool of its own, tagged
/// `poolctl-lease`, from before its first read until after its last write.
struct LockOptions: ParsableArguments {
    @Option(
        name: .customLong("lock"),
        help: ArgumentHelp(
            "Hold the stack's lease while applying. --lock=false opts out (concurrent applies may then duplicate pools).",
            valueName: "bool"))
    var enabled = true

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("How long to wait for another apply's lease, e.g. 3m. 0s fails at once with exit 5.", valueName: "duration"))
    var lockTimeout = DurationArgument(argument: "0s")!

    @Option(
        name: .customLong("lock-ttl"), parsing: .unconditional,
        help: ArgumentHelp(
            "How long the lease outlives a holder that stops renewing it (renewed every TTL/3), e.g. 2m.", valueName: "duration"))
    var lockTTL = DurationArgument(argument: "2m")!

    @Option(
        name: .customLong("signal-grace"), parsing: .unconditional,
        help: ArgumentHelp(
            "On SIGINT/SIGTERM, how long to wait for API operations in flight and the run's report before releasing the lease, e.g. 1m. A create still running then keeps the lease until it expires.",
            valueName: "duration"))
    var signalGrace = DurationArgument(argument: "30s")!

    func validate() throws {
        guard lockTTL.duration >= .seconds(3) else { throw ValidationError("--lock-ttl must be at least 3s") }
    }

    /// The holder: host, process and a random suffix, so two applies on one
    /// machine never mistake each other's lease for their own; and the CI run
    /// when the environment names one.
    func settings(_ environment: [String: String]) -> Workflow.LockSettings {
        let host = ProcessInfo.processInfo.hostName
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let holder = LeaseHolder(id: "\(host)-\(getpid())-\(suffix)", host: host, ciRun: Self.ciRun(environment))
        return Workflow.LockSettings(holder: holder, ttl: lockTTL.duration, timeout: lockTimeout.duration)
    }

    static func ciRun(_ environment: [String: String]) -> String? {
        if let run = environment["GITHUB_RUN_ID"] {
            return "github \(run)" + (environment["GITHUB_RUN_ATTEMPT"].map { "/\($0)" } ?? "")
        }
        for (key, name) in [
            ("CI_PIPELINE_ID", "gitlab"), ("BUILDKITE_BUILD_NUMBER", "buildkite"), ("CIRCLE_BUILD_NUM", "circleci"),
            ("BUILD_ID", "jenkins"),
        ] {
            if let run = environment[key] { return "\(name) \(run)" }
        }
        return nil
    }
}

import Foundation
import PoolctlEngine
import Testing

@testable import PoolctlCLI
@testable import PoolctlEmulator

/// Option values that would overflow the clock, stall every request or
/// name no stack are refused as usage errors (exit 1) before any API call.
@Suite struct ArgumentCheckTests {
    @Test(arguments: [
        ("90", 90_000), ("90s", 90_000), ("500ms", 500), ("15m", 900_000), ("1h", 3_600_000), ("1h30m", 5_400_000),
        ("2m30s", 150_000), ("0.5s", 500), ("1.5h", 5_400_000), ("0s", 0), ("999999999s", 999_999_999_000),
    ])
    func aDurationIsTheSumOfItsParts(text: String, milliseconds: Int64) throws {
        let argument = try #require(DurationArgument(argument: text))
        #expect(argument.duration == .milliseconds(milliseconds))
        #expect(argument.description == text)
    }

    @Test(arguments: [
        "", "s", "5x", "1e3s", "0x10s", "-5s", "1..5s", ".5s", "5.s", "1h 30m", "30m1", "1000000000s", "9999999999999h",
        "99999999999999999999999999999999999999999h",
    ])
    func aDurationOutOfTheGrammarOrTooLongIsRefused(text: String) {
        #expect(DurationArgument(argument: text) == nil, "\(text)")
    }

    /// A bad seed's problems are one line each, as validate prints a manifest's
    /// (audit, 7 Dec: they came joined by a literal "\\n").
    @Test func anEmulatorSeedsProblemsArePrintedOneALine() async throws {
        try await withFiles(["seed.yaml": "senders:\n  - {id: bad, channel: SMS}\n"]) { directory in
            let seed = directory.appendingPathComponent("seed.yaml").path
            let outcome = await poolctl(["emulator", "--seed", seed])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(
                outcome.stderr.split(separator: "\n").map(String.init) == [
                    "poolctl emulator: \(seed):2:5: error: sender needs an 'address'",
                    "poolctl emulator: \(seed):2:10: error: sender id 'bad' is not a valid Sender id (expected comms_sender_ followed by 26-35 lowercase base32 characters)",
                ])
        }
    }

    /// An empty or cut-off download of a plan (`*.json`) gets the plan's
    /// error, not "no manifest documents found" (audit, 8 Dec).
    @Test(arguments: ["", "{\"formatVersion\": 3, \"kind\""])
    func aDamagedPlanNamedJSONIsReadAsAPlan(text: String) async throws {
        try await withFiles(["plan.json": text]) { directory in
            let path = directory.appendingPathComponent("plan.json").path
            let outcome = await poolctl(["apply", path], environment: ["TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(outcome.stderr.hasPrefix("poolctl: \(path): "), "\(outcome)")
            #expect(outcome.stderr.contains("a saved plan is the JSON object 'poolctl plan --out FILE' writes"), "\(outcome)")
        }
    }

    @Test func aDurationTooLongForTheClockIsAUsageError() async {
        let outcome = await poolctl(["plan", "--max-retry-after", "9999999999999h", "x.yaml"])
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains("'--max-retry-after <duration>'"), "\(outcome)")
    }

    @Test(arguments: ["1e-300", "0.001", "0"])
    func aRateTooLowToEverSendIsAUsageError(rate: String) async {
        let outcome = await poolctl(["apply", "--max-rps", rate, "--auto-approve", "x.yaml"])
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains("--max-rps must be a number of at least 0.01"), "\(outcome)")
    }

    /// A value starting with '-' is the option's value, judged as one: before,
    /// ArgumentParser took `-5s` for an option and said the value was missing.
    @Test(arguments: [
        (["apply", "--auto-approve", "--timeout", "-5s"], "The value '-5s' is invalid for '--timeout <duration>'"),
        (["apply", "--auto-approve", "--lock-ttl", "-1m"], "The value '-1m' is invalid for '--lock-ttl <duration>'"),
        (["plan", "--max-retry-after", "-1s"], "The value '-1s' is invalid for '--max-retry-after <duration>'"),
        (["apply", "--auto-approve", "--parallelism", "-1"], "--parallelism must be between 1 and 256"),
        (["apply", "--auto-approve", "--max-batch", "-3"], "--max-batch must be between 1 and 10000"),
        (["apply", "--auto-approve", "--max-rps", "-1"], "--max-rps must be a number of at least 0.01"),
    ])
    func aNegativeValueIsJudgedAsAValue(arguments: [String], message: String) async {
        let outcome = await poolctl(arguments + ["x.yaml"])
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains(message), "\(outcome)")
    }

    @Test func aZeroTimeoutIsAUsageError() async {
        let outcome = await poolctl(["apply", "--auto-approve", "--timeout", "0s", "--auto-approve", "x.yaml"])
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains("--timeout must be more than 0s"), "\(outcome)")
    }

    @Test(arguments: ["", "Bad~Stack", "has space"])
    func unlockRefusesANameNoStackCanHave(stack: String) async {
        let outcome = await poolctl(["unlock", stack, "--auto-approve"])
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains("invalid stack '\(stack)'"), "\(outcome)")
        #expect(!outcome.stdout.contains("has no lease"))
    }

    /// `--out` or `--sarif` naming an input manifest (given, or found in a
    /// given directory) would replace it with the plan: refused, file kept.
    @Test(arguments: [("--out", "web.yaml", false), ("--sarif", "web.yaml", true), ("--out", "./sub/../web.yaml", true)])
    func anOutputOverAnInputFileIsRefused(flag: String, name: String, byDirectory: Bool) async throws {
        let text = manifest(["alpha": "{name: Alpha}"])
        try await withFiles(["web.yaml": text]) { directory in
            let input = byDirectory ? directory.path : directory.appendingPathComponent("web.yaml").path
            let output = directory.path + "/" + name
            let outcome = await poolctl(["plan", input, flag, output])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(outcome.stderr.contains("poolctl: \(flag) \(output) is one of the input files"), "\(outcome)")
            let kept = try String(contentsOf: directory.appendingPathComponent("web.yaml"), encoding: .utf8)
            #expect(kept == text)
        }
    }
}

/// The emulator's listen address: a warning off loopback, a plain error when taken.
@Suite struct EmulatorAddressTests {
    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("::1", true), ("[::1]", true), ("0.0.0.0", false),
        ("::", false), ("192.168.1.10", false), ("example.com", false), ("127.example.com", false), ("128.0.0.1", false),
    ])
    func onlyLoopbackAddressesCountAsLoopback(host: String, loopback: Bool) {
        #expect(EmulatorCommand.isLoopback(host) == loopback)
    }

    @Test func aTakenPortIsSaidPlainly() {
        #expect(
            EmulatorListenError(address: "127.0.0.1:8080", errno: EADDRINUSE).description
                == "cannot listen on 127.0.0.1:8080: Address already in use (another emulator?); pick another --port, or 0 for a free one")
    }
}

/// Exit 5's advice: after waiting --lock-timeout, not "pass --lock-timeout".
@Suite struct LockedMessageTests {
    @Test(arguments: [
        (nil, "Wait and run apply again, pass --lock-timeout to wait for it, or, if that apply is known to be dead"),
        (Duration.seconds(185), "It was still held after waiting 3 min 5 s; run apply again later or with a longer --lock-timeout, or"),
        (Duration.milliseconds(500), "It was still held after waiting 500 ms; run apply again later"),
    ])
    func theAdviceSaysWhetherTheApplyWaited(waited: Duration?, advice: String) {
        let locked = StackLocked(stack: "web", holder: "runner-b", poolID: "comms_senderpool_x", since: nil, expiresAt: nil, waited: waited)
        let context = CommandContext(stdout: Captured().console, stderr: Captured().console, environment: [:])
        let (message, code) = ErrorReport.describe(locked, context: context)
        #expect(code == .stackLocked)
        #expect(message.contains(advice), "\(message)")
        #expect(message.hasSuffix("run 'poolctl unlock web'."))
    }
}

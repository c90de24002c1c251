import Foundation
import PoolctlAPI
import PoolctlCLI
import Testing

/// The error-to-exit-code map, through `PoolctlMain.run` with injected
/// streams and environment: nothing exits, nothing touches the process's streams.
@Suite struct ExitCodeTests {
    @Test func aUsageErrorExits1() async {
        let outcome = await poolctl(["plan", "--bogus", "x.yaml"])
        #expect(outcome.code == .error, "\(outcome)")
        #expect(outcome.stderr.contains("Unknown option '--bogus'"), "\(outcome)")
        #expect(outcome.stdout.isEmpty)
    }

    /// The documented table, written out: a test that built it from
    /// `ExitCode.meaning` would pass whatever the help said.
    static let documented: [Int32: String] = [
        0: "  0  success (plan --detailed-exitcode: success and no changes)\n",
        1: "  1  error: invalid manifests or usage, API failure, conflicts, not approved\n",
        2: "  2  plan --detailed-exitcode: success, with changes; drift: drift found\n",
        3: "  3  apply partial: some pools did not converge; each is listed\n",
        4: "  4  apply PLANFILE: the saved plan is stale; nothing was written\n",
        5: "  5  apply: another apply holds the stack's lease; nothing was written\n",
        6: "  6  apply: the lease was lost (expired, or deleted by someone else)\n",
    ]

    @Test func helpExits0WithEveryExitCodeOnStdout() async {
        let outcome = await poolctl(["--help"])
        #expect(outcome.code == .success, "\(outcome)")
        #expect(outcome.stderr.isEmpty)
        #expect(outcome.stdout.contains("USAGE: poolctl <subcommand>"))
        #expect(PoolctlCLI.ExitCode.allCases.map(\.rawValue) == Self.documented.keys.sorted())
        for (_, line) in Self.documented.sorted(by: { $0.key < $1.key }) {
            #expect(outcome.stdout.contains(line), "\(line)")
        }
    }

    @Test func applyHelpListsApplysExitCodes() async {
        let outcome = await poolctl(["apply", "--help"])
        #expect(outcome.code == .success, "\(outcome)")
        for code: Int32 in [1, 3, 4, 5, 6] {
            #expect(outcome.stdout.contains(Self.documented[code]!), "\(code)")
        }
        // Apply never exits 2: its 0 is plain success, with no word of --detailed-exitcode.
        #expect(outcome.stdout.contains("  0  success\n"))
        #expect(!outcome.stdout.contains(Self.documented[0]!))
        #expect(outcome.stdout.contains("--max-retry-after <duration>"))
        #expect(!outcome.stdout.contains(Self.documented[2]!), "2 is plan's and drift's, not apply's")
    }

    @Test func anInvalidManifestExits1AtItsLineAndColumn() async throws {
        let text = "apiVersion: poolctl/v1\nstack: web\npools:\n  a:\n    tag: {x: y}\n"
        try await withFiles(["bad.yaml": text]) { directory in
            let path = directory.appendingPathComponent("bad.yaml").path
            for command in ["validate", "plan"] {
                let outcome = await poolctl([command, path])
                #expect(outcome.code == .error, "\(outcome)")
                #expect(outcome.stderr.contains("\(path):5:5: error: unknown key 'tag' in pool 'a'; did you mean 'tags'?"), "\(outcome)")
            }
        }
    }

    @Test func wrongCredentialsExit1WithAHintAndNoSecret() async throws {
        let wrongToken = "wrong-secret-9d41e2"
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                var environment = emulator.environment
                environment["TWILIO_AUTH_TOKEN"] = wrongToken
                let outcome = await poolctl(["plan", directory.path, "--debug"], environment: environment)
                #expect(outcome.code == .error, "\(outcome)")
                #expect(outcome.stderr.contains("HTTP 401"), "\(outcome)")
                #expect(
                    outcome.stderr.contains(
                        "Check TWILIO_API_KEY/TWILIO_API_SECRET or TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN, and --api-url."))
                for secret in [wrongToken, authToken] {
                    #expect(!outcome.stdout.contains(secret) && !outcome.stderr.contains(secret))
                }
            }
        }
    }

    @Test func detailedExitcodeIs2WithChangesAnd0Without() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1), \(s2)]"])]) { directory in
                let changes = await poolctl(["plan", directory.path, "--detailed-exitcode"], environment: emulator.environment)
                #expect(changes.code == .changes, "\(changes)")
                #expect(changes.stdout.contains("+ a will be created"), "\(changes)")
                // Without the flag, changes are a success.
                let plain = await poolctl(["plan", directory.path], environment: emulator.environment)
                #expect(plain.code == .success, "\(plain)")

                let applied = await poolctl(["apply", directory.path, "--auto-approve"], environment: emulator.environment)
                #expect(applied.code == .success, "\(applied)")
                #expect(applied.stdout.contains("Apply complete: 1 of 1 pools converged"), "\(applied)")

                let clean = await poolctl(["plan", directory.path, "--detailed-exitcode"], environment: emulator.environment)
                #expect(clean.code == .success, "\(clean)")
                #expect(clean.stderr.contains("Read the live state with 2 API calls."), "\(clean)")
            }
        }
    }

    @Test func conflictsExit1() async throws {
        let missingPool = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "adopt: \(missingPool)"])]) { directory in
                for arguments in [["plan", directory.path], ["apply", directory.path, "--auto-approve"]] {
                    let outcome = await poolctl(arguments, environment: emulator.environment)
                    #expect(outcome.code == .error, "\(outcome)")
                    #expect(outcome.stderr.contains("conflict"), "\(outcome)")
                }
                #expect(await emulator.store.state().pools.isEmpty, "a conflict wrote something")
            }
        }
    }

    @Test func applyWithoutApprovalExits1AndWritesNothing() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                let noTerminal = await poolctl(["apply", directory.path], environment: emulator.environment)
                #expect(noTerminal.code == .error, "\(noTerminal)")
                #expect(noTerminal.stderr.contains("pass --auto-approve"), "\(noTerminal)")
                let declined = await poolctl(["apply", directory.path], environment: emulator.environment, readAnswer: { "y" })
                #expect(declined.code == .error, "\(declined)")
                #expect(declined.stderr.contains("apply cancelled"), "\(declined)")
                #expect(await emulator.store.state().pools.isEmpty)
                let approved = await poolctl(["apply", directory.path], environment: emulator.environment, readAnswer: { " yes " })
                #expect(approved.code == .success, "\(approved)")
                #expect(await emulator.store.state().pools.count == 1)
            }
        }
    }

    @Test func aSenderNotInTheInventoryMakesApplyPartial() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["good": "senders: [\(s1)]", "bad": "senders: [\(s2), \(strangerID)]"])]) { directory in
                let outcome = await poolctl(["apply", directory.path, "--auto-approve"], environment: emulator.environment)
                #expect(outcome.code == .partial, "\(outcome)")
                #expect(outcome.stdout.contains("✗ bad"), "\(outcome)")
                #expect(outcome.stdout.contains("✓ good"), "\(outcome)")
                #expect(outcome.stdout.contains("is not a member: \(strangerID)"), "\(outcome)")
            }
        }
    }

    @Test func aSavedPlanAppliesWithNoTerminalAndNoFlag() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                let planFile = directory.appendingPathComponent("plan.json").path
                let planned = await poolctl(["plan", directory.path, "--out", planFile], environment: emulator.environment)
                #expect(planned.code == .success, "\(planned)")
                // No terminal and no --auto-approve: the saved plan is the review.
                let applied = await poolctl(["apply", planFile], environment: emulator.environment)
                #expect(applied.code == .success, "\(applied)")
                #expect(await emulator.store.state().pools.filter { $0.tags["poolctl"] == "v1~web~a" }.count == 1)
            }
            // apply PATH still asks, and refuses without a terminal.
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1), \(s2)]"])]) { directory in
                let unattended = await poolctl(["apply", directory.path], environment: emulator.environment)
                #expect(unattended.code == .error, "\(unattended)")
                #expect(unattended.stderr.contains("pass --auto-approve"), "\(unattended)")
            }
        }
    }

    @Test func aStaleSavedPlanExits4AndWritesNothing() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                let planFile = directory.appendingPathComponent("plan.json").path
                let planned = await poolctl(["plan", directory.path, "--out", planFile], environment: emulator.environment)
                #expect(planned.code == .success, "\(planned)")
                let shown = await poolctl(["show", planFile])
                #expect(shown.code == .success && shown.stdout == planned.stdout, "\(shown)")

                // Someone creates pool 'a' of stack 'web' after the plan was made.
                _ = try await emulator.store.createSenderPool(
                    CreateSenderPoolRequest(name: "a", tags: ["poolctl": "v1~web~a"], senders: []))
                let before = await emulator.store.state().pools.count
                let outcome = await poolctl(["apply", planFile, "--auto-approve"], environment: emulator.environment)
                #expect(outcome.code == .stalePlan, "\(outcome)")
                #expect(outcome.stderr.contains("the saved plan is stale; nothing was written"), "\(outcome)")
                #expect(outcome.stderr.contains("pool 'a' now exists"), "\(outcome)")
                #expect(await emulator.store.state().pools.count == before)
            }
        }
    }

    @Test func anUnreadablePlanFileExits1() async throws {
        try await withFiles(["plan.json": #"{"formatVersion": 9, "kind": "poolctl-plan"}"#]) { directory in
            let path = directory.appendingPathComponent("plan.json").path
            let outcome = await poolctl(["show", path])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(outcome.stderr == "poolctl: \(path): plan formatVersion 9 is not supported; this poolctl reads versions 2 to 3\n")
        }
    }

    @Test func aBlockedPlanExits1EvenWithDetailedExitcodeAndApplyWritesNothing() async throws {
        try await withEmulator { emulator in
            for key in ["a", "b", "c"] {
                _ = try await emulator.store.createSenderPool(
                    CreateSenderPoolRequest(name: key, tags: ["poolctl": "v1~web~\(key)"], senders: []))
            }
            // prune: true and only a is left: 2 of 3 owned pools deleted.
            try await withFiles(["m.yaml": "prune: true\n" + manifest(["a": "senders: []"])]) { directory in
                let before = await emulator.store.state()
                for arguments in [["plan", directory.path, "--detailed-exitcode"], ["apply", directory.path, "--auto-approve"]] {
                    let outcome = await poolctl(arguments, environment: emulator.environment)
                    #expect(outcome.code == .error, "\(outcome)")
                    #expect(outcome.stderr.contains("would delete 2 of the stack's 3 owned pools"), "\(outcome)")
                }
                #expect(await emulator.store.state() == before, "a blocked apply changed a pool")
                let lifted = await poolctl(
                    ["plan", directory.path, "--detailed-exitcode", "--allow-destructive"], environment: emulator.environment)
                #expect(lifted.code == .changes, "\(lifted)")
            }
        }
    }

    @Test func targetingASavedPlanIsAUsageError() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                let planFile = directory.appendingPathComponent("plan.json").path
                #expect(await poolctl(["plan", directory.path, "--out", planFile], environment: emulator.environment).code == .success)
                let outcome = await poolctl(["apply", planFile, "--exclude", "a"], environment: emulator.environment)
                #expect(outcome.code == .error, "\(outcome)")
                #expect(outcome.stderr.contains("a saved plan keeps the targets it was made with"), "\(outcome)")
                #expect(await emulator.store.state().pools.isEmpty)
                let unknown = await poolctl(["plan", directory.path, "--target", "b"], environment: emulator.environment)
                #expect(unknown.code == .error && unknown.stderr.contains("--target 'b' is neither declared"), "\(unknown)")
            }
        }
    }

    /// A saved plan beside manifests (or a second plan) was read as a manifest
    /// and drowned in "unknown key" errors; it is one clear refusal now.
    @Test func aSavedPlanWithOtherArgumentsIsRefused() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]"])]) { directory in
                let planFile = directory.appendingPathComponent("plan.json").path
                #expect(
                    await poolctl(
                        ["plan", directory.appendingPathComponent("m.yaml").path, "--out", planFile], environment: emulator.environment
                    ).code == .success)
                for extra in [[planFile], [directory.appendingPathComponent("m.yaml").path]] {
                    let outcome = await poolctl(["apply", planFile] + extra + ["--auto-approve"], environment: emulator.environment)
                    #expect(outcome.code == .error, "\(outcome)")
                    #expect(outcome.stderr.contains("apply takes one saved plan alone"), "\(outcome)")
                    #expect(!outcome.stderr.contains("unknown top-level key"), "\(outcome)")
                }
                #expect(await emulator.store.state().pools.isEmpty)
            }
        }
    }

    /// A selection that covers nothing must not report "No changes" and exit 0.
    @Test func targetsThatSelectNothingAreAnError() async throws {
        try await withEmulator { emulator in
            try await withFiles(["m.yaml": manifest(["a": "senders: [\(s1)]", "b": "name: B"])]) { directory in
                let outcome = await poolctl(
                    ["plan", directory.path, "--target", "a", "--exclude", "a", "--detailed-exitcode"], environment: emulator.environment)
                #expect(outcome.code == .error, "\(outcome)")
                #expect(outcome.stderr.contains("leave no pool key to plan"), "\(outcome)")
                let invalid = await poolctl(["plan", directory.path, "--target", "Bad Key"], environment: emulator.environment)
                #expect(invalid.code == .error && invalid.stderr.contains("'Bad Key' is not a pool key"), "\(invalid)")
                let far = await poolctl(["plan", directory.path, "--target", "zz"], environment: emulator.environment)
                #expect(far.code == .error && !far.stderr.contains("did you mean"), "\(far)")
            }
        }
    }
}

import Foundation
import PoolctlCLI
import PoolctlPlan
import Testing

/// Issue 21: `validate --policy` checks require rules offline, with the
/// documented exit codes: an error rule's violation is exit 1, a warning
/// rule's is printed and exit 0, and a bad policy is exit 1.
struct PolicyValidateTests {
    static let pools = """
        apiVersion: poolctl/v1
        stack: web
        pools:
          pay-eu:
            tags: {team: payments, env: prod}
            protect: true
          pay-us:
            tags: {env: prod}

        """

    static func policy(severity: String) -> String {
        """
        apiVersion: poolctl/v1
        kind: Policy
        rules:
          - id: team-tag
            severity: \(severity)
            match: {key: "pay-*"}
            require:
              tags: {team: .+}
          - id: prod-removals
            limit: {removeFraction: 0.1}

        """
    }

    @Test func anErrorRuleBlocksAndAWarningRuleDoesNot() async throws {
        for severity in ["error", "warning"] {
            try await withFiles(["pools.yaml": Self.pools, "policy.yaml": Self.policy(severity: severity)]) { directory in
                let manifests = directory.appendingPathComponent("pools.yaml").path
                let policy = directory.appendingPathComponent("policy.yaml").path
                let outcome = await poolctl(["validate", manifests, "--policy", policy])
                let line = "pools.yaml:7:3: \(severity): policy rule 'team-tag': pool 'pay-us' must set tag 'team' (matching /.+/)"
                #expect(outcome.stderr.contains(line), "\(outcome)")
                #expect(outcome.stderr.contains("policy.yaml:4:5: note: rule 'team-tag' is defined here"), "\(outcome)")
                #expect(!outcome.stderr.contains("pay-eu"), "\(outcome)")
                if severity == "error" {
                    #expect(outcome.code == .error, "\(outcome)")
                    #expect(outcome.stderr.contains("poolctl: 1 error in the manifest set and its policy"), "\(outcome)")
                } else {
                    #expect(outcome.code == .success, "\(outcome)")
                    #expect(outcome.stdout.contains("Valid: 2 pools"), "\(outcome)")
                }
                // The same check in the JSON report.
                let json = await poolctl(["validate", manifests, "--policy", policy, "--format", "json"])
                #expect(json.code == outcome.code)
                #expect(
                    json.stdout.contains("\"message\" : \"policy rule 'team-tag': pool 'pay-us' must set tag 'team' (matching /.+/)\""),
                    "\(json)")
                #expect(json.stdout.contains("\"valid\" : \(severity == "warning")"), "\(json)")
            }
        }
    }

    /// On GitHub Actions the annotations go to stderr: stdout stays one JSON
    /// or SARIF document that a later step parses.
    @Test func gitHubAnnotationsNeverCorruptAMachineReadableStdout() async throws {
        try await withFiles(["pools.yaml": Self.pools, "policy.yaml": Self.policy(severity: "error")]) { directory in
            let manifests = directory.appendingPathComponent("pools.yaml").path
            let policy = directory.appendingPathComponent("policy.yaml").path
            let annotation = "::error file=\(manifests),line=7,col=3::policy rule 'team-tag'"
            for format in ["json", "sarif", "text"] {
                let outcome = await poolctl(
                    ["validate", manifests, "--policy", policy, "--format", format], environment: ["GITHUB_ACTIONS": "true"])
                #expect(outcome.code == .error, "\(outcome)")
                #expect(outcome.stderr.contains(annotation), "\(format): \(outcome)")
                #expect(!outcome.stdout.contains("::error"), "\(format): \(outcome)")
                if format != "text" {
                    #expect((try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8))) != nil, "\(format): \(outcome)")
                }
            }
            let quiet = await poolctl(["validate", manifests, "--policy", policy, "--format", "json"])
            #expect(!quiet.stderr.contains("::error"), "\(quiet)")
        }
    }

    @Test func aBadPolicyIsAnErrorNeverIgnored() async throws {
        let bad = "apiVersion: poolctl/v1\nkind: Policy\nrules:\n  - id: x\n    require: {minMembers: many}\n"
        try await withFiles(["pools.yaml": Self.pools, "policy.yaml": bad]) { directory in
            let outcome = await poolctl([
                "validate", directory.appendingPathComponent("pools.yaml").path, "--policy",
                directory.appendingPathComponent("policy.yaml").path,
            ])
            #expect(outcome.code == .error, "\(outcome)")
            #expect(
                outcome.stderr.contains("policy.yaml:5:27: error: require.minMembers must be a whole number, 0 or more, not 'many'"),
                "\(outcome)")
        }
        let missing = await poolctl(["validate", "/nonexistent/pools.yaml", "--policy", "/nonexistent/policy"])
        #expect(missing.code == .error)
        #expect(missing.stderr.contains("cannot read '/nonexistent/policy': no such file or directory"), "\(missing)")
    }
}

/// Issue 21: limit rules against the plan, in `plan` and `apply`, against
/// the emulator; the write log shows that a blocked apply writes nothing
/// but its own lease.
struct PolicyPlanApplyTests {
    static let s3 = "comms_sender_01h9krwprkeee8fzqspvwy6nq3"
    static let seed = """
        senders:
          - {id: \(s1), address: "+14155550101", channel: SMS, status: ACTIVATED, displayName: One, tags: {}}
          - {id: \(s2), address: "+14155550102", channel: SMS, status: ACTIVATED, displayName: Two, tags: {}}
          - {id: \(s3), address: "+14155550103", channel: SMS, status: ACTIVATED, displayName: Three, tags: {}}
        pools:
          - {name: "pay", tags: {poolctl: v1~web~pay, team: payments}, senders: [\(s1), \(s2), \(s3)]}
          - {name: "old", tags: {poolctl: v1~web~old}, senders: []}

        """
    /// Keeps one of pay's three senders and prunes `old`.
    static let manifests = """
        apiVersion: poolctl/v1
        stack: web
        prune: true
        pools:
          pay:
            tags: {team: payments}
            senders: [\(s1)]

        """
    static let policy = """
        apiVersion: poolctl/v1
        kind: Policy
        rules:
          - id: small-removals
            match: {tags: {team: ^payments$}}
            limit: {removeFraction: 0.5, removeSenders: 1}
          - id: no-deletes
            severity: warning
            limit: {deletes: 0}

        """

    @Test func planShowsTheBlockedPlanExits1AndAllowPolicyLiftsOneRule() async throws {
        try await withEmulator(seed: Self.seed) { emulator in
            try await withFiles(["pools.yaml": Self.manifests, "policy.yaml": Self.policy]) { directory in
                let manifests = directory.appendingPathComponent("pools.yaml").path
                let policy = directory.appendingPathComponent("policy.yaml").path
                let saved = directory.appendingPathComponent("plan.json").path
                let blocked = await poolctl(
                    ["plan", manifests, "--policy", policy, "--out", saved], environment: emulator.environment)
                #expect(blocked.code == .error, "\(blocked)")
                #expect(blocked.stdout.contains("senders +0 -2"), "the plan is shown: \(blocked)")
                #expect(blocked.stdout.contains("!! Policy: BLOCKED. plan exits 1 and apply refuses this plan:"), "\(blocked)")
                #expect(blocked.stdout.contains("; blocked by the policy"), "\(blocked)")
                let comment = await poolctl(
                    ["plan", manifests, "--policy", policy, "--format", "markdown"], environment: emulator.environment)
                #expect(comment.code == .error)
                #expect(comment.stdout.contains("> **Blocked by the policy.** `poolctl plan` exits 1"), "\(comment)")
                #expect(
                    comment.stdout.contains(
                        "> - warning: policy rule 'no-deletes': the plan deletes 1 matched pool ('old'); no pool may be deleted (limit.deletes)"
                    ),
                    "\(comment)")
                let fraction =
                    "pools.yaml:5:3: error: policy rule 'small-removals': the plan removes 2 of the 3 members of pool 'pay'; at most 1 may go (limit.removeFraction: 0.5)"
                let count =
                    "pools.yaml:5:3: error: policy rule 'small-removals': the plan removes 2 senders from pool 'pay'; at most 1 may go (limit.removeSenders)"
                let deletes =
                    "pools.yaml:3:8: warning: policy rule 'no-deletes': the plan deletes 1 matched pool ('old'); no pool may be deleted (limit.deletes)"
                for line in [fraction, count, deletes] { #expect(blocked.stderr.contains(line), "\(line)\n\(blocked)") }
                #expect(blocked.stderr.contains("policy.yaml:4:5: note: rule 'small-removals' is defined here"), "\(blocked)")
                // The blocked plan is saved with the policy it was checked against, and
                // applying the file refuses it with no --policy at all.
                let file = try PlanFile.read(path: saved)
                #expect(file.formatVersion == 3 && file.policy?.blocked == true)
                #expect(file.policy?.rules.map(\.id) == ["small-removals", "no-deletes"])
                let refused = await poolctl(["apply", saved], environment: emulator.environment)
                #expect(refused.code == .error, "\(refused)")
                #expect(
                    refused.stderr.contains("the policy blocked this plan: 2 violations of error rules; nothing was read or written"),
                    "\(refused)")
                let other = directory.appendingPathComponent("other.yaml").path
                try Self.policy.replacingOccurrences(of: "removeSenders: 1", with: "removeSenders: 2").write(
                    toFile: other, atomically: true, encoding: .utf8)
                let mismatch = await poolctl(["apply", saved, "--policy", other], environment: emulator.environment)
                #expect(
                    mismatch.code == .error && mismatch.stderr.contains("is not the one the saved plan was checked against"), "\(mismatch)")
                #expect(await emulator.store.writes().writes.isEmpty, "nothing was written")

                let lifted = await poolctl(
                    ["plan", manifests, "--policy", policy, "--allow-policy", "small-removals"], environment: emulator.environment)
                #expect(lifted.code == .success, "\(lifted)")
                #expect(lifted.stderr.contains("warning: policy rule 'small-removals'"), "\(lifted)")
                #expect(lifted.stderr.contains("(allowed for this run by --allow-policy small-removals)"), "\(lifted)")

                for (flags, message) in [
                    (
                        ["--allow-policy", "nope"],
                        "--allow-policy nope: no such rule in the policy; its limit rules are small-removals, no-deletes"
                    ),
                    (["--allow-policy", "x", "--policy", "/nonexistent"], "cannot read '/nonexistent': no such file or directory"),
                ] {
                    let refused = await poolctl(["plan", manifests, "--policy", policy] + flags, environment: emulator.environment)
                    #expect(refused.code == .error && refused.stderr.contains(message), "\(refused)")
                }
                let noPolicy = await poolctl(["plan", manifests, "--allow-policy", "x"], environment: emulator.environment)
                #expect(noPolicy.code == .error && noPolicy.stderr.contains("no --policy was given"), "\(noPolicy)")

                // Last, as it changes the pools: --allow-policy on apply lifts a rule the saved plan records.
                let applied = await poolctl(["apply", saved, "--allow-policy", "small-removals"], environment: emulator.environment)
                #expect(applied.code == .success, "\(applied)")
                #expect(applied.stderr.contains("(allowed for this run by --allow-policy small-removals)"), "\(applied)")
            }
        }
    }

    @Test func aBlockedApplyWritesNothingToAnyPool() async throws {
        try await withEmulator(seed: Self.seed) { emulator in
            try await withFiles(["pools.yaml": Self.manifests, "policy.yaml": Self.policy]) { directory in
                let manifests = directory.appendingPathComponent("pools.yaml").path
                let policy = directory.appendingPathComponent("policy.yaml").path
                let outcome = await poolctl(["apply", manifests, "--policy", policy, "--auto-approve"], environment: emulator.environment)
                #expect(outcome.code == .error, "\(outcome)")
                #expect(
                    outcome.stderr.contains("the policy blocked this plan: 2 violations of error rules; no pool was changed"), "\(outcome)")
                // The plan apply prints carries the verdict, as `plan` shows it.
                #expect(outcome.stdout.contains("!! Policy: BLOCKED."), "\(outcome)")
                let writes = await emulator.store.writes().writes
                let pools = try await emulator.store.allSenderPools().collect()
                #expect(pools.map(\.name).sorted() == ["old", "pay"], "the lease was released; no pool was deleted")
                let stackPools = Set(pools.map(\.id))
                let touched = writes.filter { $0.poolId.map(stackPools.contains) ?? false }
                #expect(touched.isEmpty, "writes to the stack's pools: \(touched)")
                #expect(!writes.isEmpty, "the lease's own create and delete are in the log")

                // A plan saved without a policy is refused with one: it was never checked.
                let saved = directory.appendingPathComponent("plan.json").path
                #expect(await poolctl(["plan", manifests, "--out", saved], environment: emulator.environment).code == .success)
                let refused = await poolctl(["apply", saved, "--policy", policy], environment: emulator.environment)
                #expect(refused.code == .error && refused.stderr.contains("the saved plan was made without --policy"), "\(refused)")
            }
        }
    }

    /// A require rule's violation recorded in a saved plan blocks `apply
    /// FILE` with no --policy, and --allow-policy cannot lift it.
    @Test func aSavedPlansRequireViolationBlocksApplyWithoutPolicy() async throws {
        let require = """
            apiVersion: poolctl/v1
            kind: Policy
            rules:
              - id: protected
                match: {key: pay}
                require: {protect: true}

            """
        try await withEmulator(seed: Self.seed) { emulator in
            try await withFiles(["pools.yaml": Self.manifests, "policy.yaml": require]) { directory in
                let manifests = directory.appendingPathComponent("pools.yaml").path
                let policy = directory.appendingPathComponent("policy.yaml").path
                let saved = directory.appendingPathComponent("plan.json").path
                let planned = await poolctl(["plan", manifests, "--policy", policy, "--out", saved], environment: emulator.environment)
                #expect(planned.code == .error, "\(planned)")
                let violation = "pools.yaml:5:3: error: policy rule 'protected': pool 'pay' must be protected (protect: true)"
                for flags in [[], ["--allow-policy", "protected"]] {
                    let refused = await poolctl(["apply", saved] + flags, environment: emulator.environment)
                    #expect(refused.code == .error, "\(flags): \(refused)")
                    if flags.isEmpty {
                        #expect(refused.stderr.contains(violation), "the recorded location: \(refused)")
                        #expect(refused.stderr.contains("policy.yaml:4:5: note: rule 'protected' is defined here"), "\(refused)")
                        #expect(refused.stderr.contains("the policy blocked this plan: 1 violation of error rules"), "\(refused)")
                    } else {
                        #expect(refused.stderr.contains("require rules cannot be lifted"), "\(refused)")
                    }
                }
                #expect(await emulator.store.writes().writes.isEmpty, "nothing was written, not even a lease")
            }
        }
    }
}

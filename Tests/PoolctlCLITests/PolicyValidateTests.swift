import Foundation
import PoolctlCLI
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

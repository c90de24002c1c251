import Foundation
import PoolctlManifest
import PoolctlModel
import Testing

/// Issue 21: policy files are read with the same located diagnostics as
/// manifests, and a policy with any problem is never used.
struct PolicyLoaderTests {
    static func load(_ files: [(String, String)]) -> PolicyLoader.Result {
        PolicyLoader().load(contents: files.map { ($0.0, Array($0.1.utf8)) })
    }

    static func messages(_ result: PolicyLoader.Result) -> [String] {
        result.diagnostics.map { d in
            let at = d.location.map { "\($0.file):\($0.line):\($0.column)" } ?? "-"
            return "\(at) \(d.severity.rawValue): \(d.message)"
        }
    }

    @Test func aWellFormedPolicyReadsEveryField() throws {
        let result = Self.load([
            (
                "p.yaml",
                """
                apiVersion: poolctl/v1
                kind: Policy
                rules:
                  - id: prod
                    description: Production pools are protected.
                    severity: warning
                    match: {key: "pay-*", name: "(?i)prod", tags: {env: ^prod$}}
                    require:
                      tags: {team: .+}
                      name: ^Pay
                      protect: true
                      minMembers: 2
                      maxMembers: 50
                      membership: additive
                  - id: removals
                    limit: {deletes: 0, removeSenders: 10, removeFraction: 0.1}
                """
            )
        ])
        #expect(result.diagnostics.isEmpty, "\(Self.messages(result))")
        let policy = try #require(result.policy)
        #expect(policy.rules.map(\.id) == ["prod", "removals"])
        let prod = policy.rules[0]
        #expect(prod.severity == .warning && prod.description == "Production pools are protected.")
        #expect(prod.match == PolicyMatch(key: "pay-*", name: "(?i)prod", tags: ["env": "^prod$"]))
        #expect(
            prod.check
                == .require(
                    PolicyRequirement(
                        tags: ["team": ".+"], name: "^Pay", protect: true, minMembers: 2, maxMembers: 50, membership: .additive)))
        #expect(prod.location == SourceLocation(file: "p.yaml", line: 4, column: 5))
        #expect(policy.rules[1].severity == .error)
        #expect(policy.rules[1].check == .limit(PolicyLimit(deletes: 0, removeSenders: 10, removeFraction: 0.1)))
    }

    @Test func anEmptyCheckSaysSoRatherThanNotAMapping() {
        let result = Self.load([
            ("p.yaml", "apiVersion: poolctl/v1\nkind: Policy\nrules:\n  - {id: x, limit: {}}\n  - {id: y, require: []}\n")
        ])
        #expect(
            Self.messages(result) == [
                "p.yaml:4:20 error: 'limit' must be a mapping of deletes, removeSenders, removeFraction, not an empty mapping, which checks nothing",
                "p.yaml:5:22 error: 'require' must be a mapping of tags, name, protect, minMembers, maxMembers, membership, not a list",
            ])
        #expect(result.policy == nil)
    }

    @Test func everyProblemIsLocatedAndThePolicyIsNotUsed() {
        let result = Self.load([
            (
                "bad.yaml",
                """
                apiVersion: poolctl/v2
                kind: Manifest
                rules:
                  - id: Bad Id
                    require: {protect: false}
                  - id: both
                    require: {protect: true}
                    limit: {deletes: 0}
                  - id: numbers
                    match: {name: "([a-z"}
                    limit: {removeFraction: 1.5, deletes: -1, removeSenders: 2.5}
                  - id: bounds
                    require: {minMembers: 3, maxMembers: 1, membership: some}
                    severity: fatal
                    extra: 1
                  - description: no id
                  - id: dup
                    require: {protect: true}
                """
            ),
            ("more.yaml", "apiVersion: poolctl/v1\nkind: Policy\nrules:\n  - id: dup\n    limit: {deletes: 1}\nextra: 2\n"),
        ])
        #expect(result.policy == nil)
        #expect(
            Self.messages(result) == [
                "bad.yaml:1:13 error: unsupported apiVersion 'poolctl/v2'; this version of poolctl reads 'poolctl/v1'",
                "bad.yaml:2:7 error: a policy file declares 'kind: Policy', not 'Manifest'",
                "bad.yaml:4:9 error: invalid rule id 'Bad Id': use \(ResourceName.rule)",
                "bad.yaml:5:24 error: 'protect: false' requires nothing: remove it, or require 'protect: true'",
                "bad.yaml:8:5 error: a policy rule has either require or limit, not both: make two rules",
                "bad.yaml:10:19 error: match.name '([a-z' is not a valid regular expression (ICU syntax)",
                "bad.yaml:11:29 error: limit.removeFraction must be a number from 0 to 1, not '1.5'",
                "bad.yaml:11:43 error: limit.deletes must be a whole number, 0 or more, not '-1'",
                "bad.yaml:11:62 error: limit.removeSenders must be a whole number, 0 or more, not '2.5'",
                "bad.yaml:13:14 error: require.minMembers (3) is more than require.maxMembers (1): no pool could pass",
                "bad.yaml:13:57 error: require.membership must be exact or additive, not 'some'",
                "bad.yaml:14:15 error: severity must be error or warning, not 'fatal'",
                "bad.yaml:15:5 error: unknown key 'extra' in a policy rule; valid keys are description, id, limit, match, require, severity",
                "bad.yaml:16:5 error: a policy rule needs an id",
                "bad.yaml:16:5 error: a policy rule needs require (what each matched pool must declare) or limit (what a plan may do to them)",
                "more.yaml:4:5 error: duplicate policy rule id 'dup'",
                "more.yaml:6:1 error: unknown key 'extra' in a policy; valid keys are apiVersion, kind, rules",
            ])
        let duplicate = result.diagnostics.first { $0.message.hasPrefix("duplicate") }
        #expect(duplicate?.notes.first?.location == SourceLocation(file: "bad.yaml", line: 17, column: 5))
    }

    /// A duplicate id is reported in the same run as the first rule's own
    /// errors: fixing those must not be what reveals it.
    @Test func aDuplicateIdIsReportedWhenTheFirstRuleHasErrorsToo() {
        let text = """
            apiVersion: poolctl/v1
            kind: Policy
            rules:
              - id: r1
                match: {name: "([a-z"}
                limit: {deletes: 1}
              - id: r1
                limit: {deletes: 2}

            """
        let result = Self.load([("p.yaml", text)])
        #expect(
            Self.messages(result) == [
                "p.yaml:5:19 error: match.name '([a-z' is not a valid regular expression (ICU syntax)",
                "p.yaml:7:5 error: duplicate policy rule id 'r1'",
            ])
        let duplicate = result.diagnostics.first { $0.message.hasPrefix("duplicate") }
        #expect(duplicate?.notes.first?.location == SourceLocation(file: "p.yaml", line: 4, column: 5))
    }

    @Test func aDocumentMissingItsHeaderOrRulesIsAnError() {
        let result = Self.load([("p.yaml", "rules: []\n"), ("empty.yaml", "# nothing\n")])
        #expect(
            Self.messages(result) == [
                "p.yaml:1:1 error: missing 'apiVersion: poolctl/v1' in a policy document",
                "p.yaml:1:1 error: missing 'kind: Policy' in a policy document",
                "- error: policy file 'empty.yaml' holds no document: it must declare kind: Policy and rules",
            ])
    }

    @Test func keyGlobs() {
        let cases: [(String, String, Bool)] = [
            ("pay-*", "pay-eu", true), ("pay-*", "pay-", true), ("pay-*", "pa", false), ("*", "", true),
            ("p?y", "pay", true), ("p?y", "py", false), ("*-prod", "eu-prod", true), ("*-prod", "eu-prod-1", false),
            ("a*b*c", "aXbYbZc", true), ("a*b*c", "aXbYbZ", false), ("exact", "exact", true), ("exact", "exactly", false),
        ]
        for (glob, key, expected) in cases {
            #expect(PolicyPattern.globMatches(glob, key) == expected, "\(glob) ~ \(key)")
        }
    }
}

import Foundation
import PoolctlModel
import Testing

@testable import PoolctlPlan

/// The golden plan files of Tests/Fixtures/plan/*/plan.json.
private let goldenPlans: [URL] = {
    let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/plan")
    let cases = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    return cases.map { directory.appendingPathComponent($0).appendingPathComponent("plan.json") }
}()

@Suite struct PlanFileTests {
    @Test func theGoldenPlansExist() {
        #expect(goldenPlans.count >= 10)
    }

    /// Reading a golden file into a `Plan` and saving that plan again gives
    /// the same bytes: the mapping both ways loses nothing.
    @Test(arguments: goldenPlans)
    func aSavedPlanSurvivesReadingAndWriting(file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        let read = try PlanFile.decode(Array(text.utf8))
        let written = PlanFile(plan: read.plan, poolctlVersion: read.poolctlVersion).json()
        #expect(written == text, "\(file.path)")
        #expect(read.summary.hasChanges == read.plan.hasChanges)
    }

    @Test func everyActionKeepsItsPublicName() {
        let names = PlanAction.allCases.map(\.rawValue)
        #expect(names == ["create", "update", "adopt", "move", "delete", "delete-duplicate", "delete-blocked", "conflict", "no-change"])
    }

    @Test(arguments: [
        ("[1]", "a JSON array, not an object; a saved plan is the JSON object 'poolctl plan --out FILE' writes"),
        ("", "the file is empty; a saved plan is the JSON object 'poolctl plan --out FILE' writes"),
        (
            #"{"formatVersion": 3, "kind": "poolctl-plan", "changes": ["#,
            "not valid JSON: it ends before its closing '}' (cut off?); a saved plan is the JSON object 'poolctl plan --out FILE' writes"
        ),
        ("apiVersion: poolctl/v1\nstack: web\n", "not valid JSON; a saved plan is the JSON object 'poolctl plan --out FILE' writes"),
        (#"{"formatVersion": 1, "kind": "terraform-plan"}"#, #"not a poolctl plan (expected "kind": "poolctl-plan")"#),
        // Version 1 has no guard and no targeting: applying it as a whole, allowed plan could be wrong.
        (#"{"formatVersion": 1, "kind": "poolctl-plan"}"#, "plan formatVersion 1 is not supported; this poolctl reads versions 2 to 3"),
        (#"{"formatVersion": 4, "kind": "poolctl-plan"}"#, "plan formatVersion 4 is not supported; this poolctl reads versions 2 to 3"),
        (#"{"kind": "poolctl-plan"}"#, "the plan has no formatVersion; this poolctl reads versions 2 to 3"),
        (#"{"formatVersion": "3", "kind": "poolctl-plan"}"#, "the plan is damaged: expected a whole number, found '3' at formatVersion"),
    ])
    func aReaderRefusesOtherKindsAndVersions(text: String, message: String) {
        do {
            let file = try PlanFile.decode(Array(text.utf8))
            Issue.record("accepted \(file)")
        } catch {
            #expect(error.description == message)
        }
    }

    /// A hand-edited plan is refused with the JSON path and what was found
    /// there, in the file's terms rather than Swift's type and key names.
    @Test(arguments: [
        ("changes.1.action", #""frobnicate""#, "'frobnicate' is not a valid value at changes[1].action"),
        // A control character cannot break the message's line.
        ("changes.1.action", #""create\ndelete""#, #"'create\u{a}delete' is not a valid value at changes[1].action"#),
        ("changes.0.key", nil, "missing field 'key' at changes[0]"),
        ("changes.0.membersAfter", #""two""#, "expected a whole number, found 'two' at changes[0].membersAfter"),
        ("changes.0.protect", "1", "expected true or false, found 1 at changes[0].protect"),
        // Foundation on Linux gives no path for these: the numbers that could be the cause are named.
        (
            "changes.0.membersAfter", "1.5",
            "a whole number was expected where there is a fraction or a number out of range: 1.5 at changes[0].membersAfter"
        ),
        (
            "apiCalls.GET /v1/SenderPools", "1e30",
            #"a whole number was expected where there is a fraction or a number out of range: 1e+30 at apiCalls["GET /v1/SenderPools"]"#
        ),
        ("changes", #"{"a": 1}"#, "expected an array, found an object at changes"),
        ("apiCalls.GET /v1/SenderPools", "true", #"expected a whole number, found true at apiCalls["GET /v1/SenderPools"]"#),
    ])
    func aDamagedPlanNamesThePathAndTheValue(path: String, value: String?, problem: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/create/plan.json")
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        let replacement = try value.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        let damaged = try JSONSerialization.data(
            withJSONObject: Self.setting(path.split(separator: ".").map(String.init), to: replacement, in: golden))
        do {
            let file = try PlanFile.decode(Array(damaged))
            Issue.record("accepted \(file)")
        } catch {
            #expect(error.description == "the plan is damaged: \(problem)")
        }
    }

    /// A saved plan named as a pipe (`apply <(…)`, /dev/stdin) is read.
    @Test func aPlanNamedAsAPipeIsRead() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/create/plan.json")
        let golden = try String(contentsOf: url, encoding: .utf8)
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        _ = Array(golden.utf8).withUnsafeBytes { write(ends[1], $0.baseAddress, $0.count) }
        close(ends[1])
        let file = try PlanFile.read(path: "/dev/fd/\(ends[0])")
        #expect(file == (try PlanFile.decode(Array(golden.utf8))))
    }

    /// A plan file that cannot be read says why, as a manifest's does.
    @Test func anUnreadablePlanFileSaysWhy() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("poolctl-no-such-plan-\(UUID()).json").path
        #expect(throws: PlanFileError.self) { _ = try PlanFile.read(path: missing) }
        do {
            _ = try PlanFile.read(path: missing)
        } catch {
            #expect(error.description == "cannot read plan file '\(missing)': No such file or directory")
        }
        let directory = FileManager.default.temporaryDirectory.path
        do {
            _ = try PlanFile.read(path: directory)
            Issue.record("read a directory as a plan")
        } catch {
            #expect(error.description == "cannot read plan file '\(directory)': it is a directory")
        }
    }

    /// The guard's fraction is a fraction by right: not a suspect when a
    /// whole number could not be read (Foundation on Linux names no path).
    @Test func aFractionFieldIsNotASuspect() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/create/plan.json")
        var document = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        document = Self.setting(["guard", "policy", "maxRemovedFraction"], to: 0.5, in: document)
        let valid = try JSONSerialization.data(withJSONObject: document)
        #expect(try PlanFile.decode(Array(valid)).`guard`.policy.maxRemovedFraction == 0.5)
        document = Self.setting(["changes", "0", "membersAfter"], to: 1.5, in: document)
        let damaged = try JSONSerialization.data(withJSONObject: document)
        do {
            let file = try PlanFile.decode(Array(damaged))
            Issue.record("accepted \(file)")
        } catch {
            #expect(
                error.description
                    == "the plan is damaged: a whole number was expected where there is a fraction or a number out of range: 1.5 at changes[0].membersAfter"
            )
        }
    }

    /// `document` with the value at `path` (object keys and array indices)
    /// replaced, or removed when `value` is nil.
    static func setting(_ path: [String], to value: Any?, in document: Any) -> Any {
        guard let first = path.first else { return value as Any }
        if var array = document as? [Any], let index = Int(first) {
            array[index] = setting(Array(path.dropFirst()), to: value, in: array[index])
            return array
        }
        var object = document as? [String: Any] ?? [:]
        if path.count == 1, value == nil {
            object[first] = nil
        } else {
            object[first] = setting(Array(path.dropFirst()), to: value, in: object[first] as Any)
        }
        return object
    }

    /// Edits that no planner output holds are damage, not a plan to run:
    /// a write to a pool without a fingerprint would skip the stale check,
    /// and a change given twice would be made twice.
    @Test(arguments: [
        (
            "update", "drop-fingerprint",
            "changes[0] (update of 'alpha') writes to pool comms_senderpool_01jgfjjz009w9f7q9tm009761n, which has no entry in 'fingerprints': apply could not tell whether it changed since the plan was made"
        ),
        (
            "prune", "repeat-last",
            "changes[2] (delete of 'retired') names pool comms_senderpool_01jgfjjz009w9f7q9tm009761p, which an earlier change names too"
        ),
        ("create", "repeat-last", "changes[2] repeats the create of key 'beta'"),
        (
            "create", "copy-last-as-gamma",
            "changes[2] (create of 'gamma') carries the ownership tag 'v1~web~beta~protected', not this stack's for its key"
        ),
    ])
    func aPlanEditedOutOfShapeIsDamaged(fixture: String, edit: String, problem: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/\(fixture)/plan.json")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        _ = try PlanFile.decode(Array(try JSONSerialization.data(withJSONObject: document)))
        if edit == "drop-fingerprint" {
            document["fingerprints"] = [Any]()
        } else {
            let changes = try #require(document["changes"] as? [Any])
            var copy = try #require(changes[changes.count - 1] as? [String: Any])
            if edit == "copy-last-as-gamma" { copy["key"] = "gamma" }
            document["changes"] = changes + [copy]
        }
        let edited = try JSONSerialization.data(withJSONObject: document)
        do {
            let file = try PlanFile.decode(Array(edited))
            Issue.record("accepted \(file.changes.map(\.change.key))")
        } catch {
            #expect(error.description == "the plan is damaged: \(problem)")
        }
    }

    /// The guard judges a saved plan's changes again when it is read: a file
    /// edited to delete more than it was planned to is blocked, whatever
    /// its recorded verdict says.
    @Test func aPlanEditedToDeleteMoreIsBlockedWhenRead() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/prune/plan.json")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        let planned = try PlanFile.decode(Array(try JSONSerialization.data(withJSONObject: document)))
        // One delete of the stack's two pools: within the default guard (half of them).
        #expect(planned.plan.changes.map(\.action) == [.noChange, .delete])
        #expect(!planned.plan.destructiveGuard.blocks && !planned.`guard`.blocked)
        let edited = Self.setting(["changes", "0", "action"], to: "delete", in: document)
        let file = try PlanFile.decode(Array(try JSONSerialization.data(withJSONObject: edited)))
        #expect(!file.`guard`.blocked && file.`guard`.violations.isEmpty, "the file still records no violation")
        let verdict = file.plan.destructiveGuard
        #expect(verdict.blocks)
        #expect(verdict.violations.map(\.rule) == [.deletedPools])
        #expect(verdict.violations.first?.count == 2 && verdict.violations.first?.allowed == 1)
    }

    /// Version 2 plans (saved before policies) are still read: they have no
    /// policy, and everything else reads as before.
    /// poolctl writes pool ids sorted; a hand-edited file reads sorted too,
    /// so `show` and `apply` print them in one order.
    @Test func handEditedPoolIDsReadSorted() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/guard-blocked/plan.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        let file = try PlanFile.decode(Array(text.utf8))
        let violation = try #require(file.plan.destructiveGuard.violations.first { $0.poolIDs.count > 1 })
        let ids = violation.poolIDs
        let reversed = text.replacingOccurrences(
            of: ids.map { "\"\($0)\"" }.joined(separator: ",\n          "),
            with: ids.reversed().map { "\"\($0)\"" }.joined(separator: ",\n          "))
        #expect(reversed != text, "the fixture's ids were not found to reverse")
        let read = try PlanFile.decode(Array(reversed.utf8))
        #expect(read.plan.destructiveGuard.violations.first { $0.rule == violation.rule }?.poolIDs == ids)
    }

    @Test func aVersion2PlanIsStillRead() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/update/plan.json")
        let current = try String(contentsOf: url, encoding: .utf8)
        #expect(current.contains("\"formatVersion\" : 3,"))
        let old = current.replacingOccurrences(of: "\"formatVersion\" : 3,", with: "\"formatVersion\" : 2,")
        let file = try PlanFile.decode(Array(old.utf8))
        #expect(file.formatVersion == 2 && file.policy == nil)
        #expect(file.plan == (try PlanFile.decode(Array(current.utf8))).plan)
    }

    /// A plan saved by a version that knew no causes (formatVersion 2, no
    /// `cause` key) reads with cause `unknown` for each field a change sets,
    /// so `show --format json` does not print `cause: {}` for an update.
    @Test func aVersion2PlanWithoutCausesReadsThemAsUnknown() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan/update/plan.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        json["formatVersion"] = 2
        let changes = try #require(json["changes"] as? [[String: Any]])
        json["changes"] = changes.map { change in change.filter { $0.key != "cause" && $0.key != "drift" } }
        let file = try PlanFile.decode(Array(try JSONSerialization.data(withJSONObject: json)))
        let update = try #require(file.plan.changes.first { $0.action == .update })
        #expect(update.cause == Dictionary(uniqueKeysWithValues: update.fieldsSet.map { ($0, .unknown) }))
        #expect(!update.cause.isEmpty)
        #expect(file.plan.changes.filter { !$0.action.isChange }.allSatisfy { $0.cause.isEmpty })
    }

    /// The policy section round-trips: rules, overrides and violations.
    @Test func aPolicyOutcomeRoundTrips() throws {
        let rules = [
            PolicyRule(
                id: "r", description: "d", severity: .warning, match: PolicyMatch(key: "a*", name: "n", tags: ["t": "v"]),
                check: .require(
                    PolicyRequirement(tags: ["team": ".+"], name: "^x", protect: true, minMembers: 1, maxMembers: 9, membership: .additive))
            ),
            PolicyRule(id: "l", check: .limit(PolicyLimit(deletes: 0, removeSenders: 3, removeFraction: 0.25))),
        ]
        var violation = Diagnostic(
            .error, "policy rule 'l': …", at: SourceLocation(file: "m.yaml", line: 3, column: 1),
            notes: [Diagnostic.Note(message: "rule 'l' is defined here", location: SourceLocation(file: "p.yaml", line: 9, column: 5))])
        violation.rule = "l"
        // Pruned pools' violations may have no location, and notes none either.
        var unlocated = Diagnostic(.warning, "policy rule 'r': …", at: nil, notes: [Diagnostic.Note(message: "n", location: nil)])
        unlocated.rule = "r"
        let outcome = PolicyOutcome(
            policy: Policy(rules: rules, files: ["p.yaml"]), allowed: ["l"],
            verdict: PolicyVerdict(diagnostics: [unlocated, violation]))
        var plan = Plan(stack: "s", prune: false, changes: [], diagnostics: [], fingerprints: [], estimate: CallEstimate(byEndpoint: [:]))
        plan.policy = outcome
        let file = try PlanFile.decode(Array(PlanFile(plan: plan, poolctlVersion: "t").json().utf8))
        #expect(file.formatVersion == 3)
        #expect(file.plan.policy == outcome)
        #expect(file.policy?.blocked == true)
    }
}

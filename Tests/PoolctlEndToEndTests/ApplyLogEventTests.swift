import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Testing

/// `apply --log-format ndjson` is a public format: each event type's exact
/// line is pinned here, so a change to a field shows up in review.
@Suite struct ApplyLogEventTests {
    /// 2025-01-01T12:34:56.789Z
    let time = Date(timeIntervalSince1970: 1_735_734_896.789)
    let pool = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    let lease = "comms_senderpool_01h9krwprkeee8fzqspvwy6zzz"
    let operation = "comms_operation_01h9krwprkeee8fzqspvwy6nq8"
    let stamp = #""time":"2025-01-01T12:34:56.789Z","v":1"#

    func line(_ event: ApplyLogEvent) -> String { event.line(at: time) }

    @Test func timestampsAreRFC3339InUTCWithMilliseconds() {
        #expect(ApplyLogEvent.timestamp(time) == "2025-01-01T12:34:56.789Z")
        #expect(ApplyLogEvent.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(ApplyLogEvent.timestamp(Date(timeIntervalSince1970: 951_782_400.005)) == "2000-02-29T00:00:00.005Z")
        #expect(ApplyLogEvent.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test func planLine() {
        let changes = [
            PoolChange(
                key: "a", action: .create, name: ValueChange(before: nil, after: "a"),
                addSenders: [MemberChange(id: "comms_sender_01h9krwprkeee8fzqspvwy6nq1")]),
            PoolChange(key: "b", action: .delete, poolID: pool, name: ValueChange(before: "b", after: nil)),
            PoolChange(key: "c", action: .noChange, poolID: pool, name: ValueChange(before: "c", after: "c")),
        ]
        let plan = Plan(
            stack: "web", prune: true, changes: changes, diagnostics: [], fingerprints: [],
            estimate: CallEstimate(byEndpoint: ["POST /v1/SenderPools": 1, "DELETE /v1/SenderPools/{senderPoolId}": 1]))
        #expect(
            line(.plan(plan, source: "manifests"))
                == #"{"addSenders":1,"adopt":0,"conflicts":0,"create":1,"delete":1,"deleteBlocked":0,"estimatedApiCalls":2,"event":"plan","guard":{"blocked":false,"lifted":false,"violations":0},"hasChanges":true,"move":0,"removeSenders":0,"source":"manifests","stack":"web","time":"2025-01-01T12:34:56.789Z","update":0,"v":1,"warnings":0}"#
                + "\n")
    }

    /// A renamed key is a move: counted as one, not as nothing.
    @Test func planLineCountsMoves() {
        let move = PoolChange(
            key: "new", action: .move, poolID: pool, name: ValueChange(before: "old", after: "new"),
            tags: [TagChange(key: "poolctl", before: "web/old", after: "web/new")], movedFrom: "old")
        let plan = Plan(
            stack: "web", prune: false, changes: [move], diagnostics: [], fingerprints: [],
            estimate: CallEstimate(byEndpoint: ["PATCH /v1/SenderPools/{senderPoolId}": 1]))
        #expect(
            line(.plan(plan, source: "saved-plan"))
                == #"{"addSenders":0,"adopt":0,"conflicts":0,"create":0,"delete":0,"deleteBlocked":0,"estimatedApiCalls":1,"event":"plan","guard":{"blocked":false,"lifted":false,"violations":0},"hasChanges":true,"move":1,"removeSenders":0,"source":"saved-plan","stack":"web","time":"2025-01-01T12:34:56.789Z","update":0,"v":1,"warnings":0}"#
                + "\n")
    }

    /// The guard's verdict, as `DestructiveGuard` gives it: blocked, then lifted.
    @Test func planLineCarriesTheGuardsVerdict() {
        let deletes = ["a", "b", "c"].map { key in
            PoolChange(key: key, action: .delete, poolID: "comms_senderpool_\(key)", name: ValueChange(before: key, after: nil))
        }
        var verdict = DestructiveGuard.evaluate(changes: deletes, ownedPools: 4, policy: GuardPolicy())
        #expect(verdict.blocks && verdict.violations.count == 1)
        var plan = Plan(
            stack: "web", prune: true, changes: deletes, diagnostics: [], fingerprints: [],
            estimate: CallEstimate(byEndpoint: ["DELETE /v1/SenderPools/{senderPoolId}": 3]), destructiveGuard: verdict)
        #expect(
            line(.plan(plan, source: "manifests"))
                == #"{"addSenders":0,"adopt":0,"conflicts":0,"create":0,"delete":3,"deleteBlocked":0,"estimatedApiCalls":3,"event":"plan","guard":{"blocked":true,"lifted":false,"violations":1},"hasChanges":true,"move":0,"removeSenders":0,"source":"manifests","stack":"web","time":"2025-01-01T12:34:56.789Z","update":0,"v":1,"warnings":0}"#
                + "\n")
        verdict.lifted = true
        plan.destructiveGuard = verdict
        #expect(line(.plan(plan, source: "manifests")).contains(#""guard":{"blocked":false,"lifted":true,"violations":1}"#))
    }

    /// A partial plan says so; a full plan has no `targeting`.
    @Test func planLineCarriesTheTargeting() {
        let change = PoolChange(key: "a", action: .update, poolID: pool, name: ValueChange(before: "a", after: "A"))
        let plan = Plan(
            stack: "web", prune: true, changes: [change], diagnostics: [], fingerprints: [],
            estimate: CallEstimate(byEndpoint: ["PATCH /v1/SenderPools/{senderPoolId}": 1]),
            targeting: Targeting(targets: [], excludes: ["b", "c"], leftOut: ["b", "c"]))
        #expect(
            line(.plan(plan, source: "manifests"))
                == #"{"addSenders":0,"adopt":0,"conflicts":0,"create":0,"delete":0,"deleteBlocked":0,"estimatedApiCalls":1,"event":"plan","guard":{"blocked":false,"lifted":false,"violations":0},"hasChanges":true,"move":0,"removeSenders":0,"source":"manifests","stack":"web","targeting":{"excludes":["b","c"],"leftOut":2,"targets":[]},"time":"2025-01-01T12:34:56.789Z","update":1,"v":1,"warnings":0}"#
                + "\n")
        var targeted = plan
        targeted.targeting = Targeting(targets: ["a"], excludes: [], leftOut: ["b", "c", "d"])
        #expect(line(.plan(targeted, source: "manifests")).contains(#""targeting":{"excludes":[],"leftOut":3,"targets":["a"]}"#))
        var full = plan
        full.targeting = nil
        #expect(!line(.plan(full, source: "manifests")).contains("targeting"))
    }

    @Test func leaseLines() throws {
        #expect(
            line(.leaseAcquired(stack: "web", poolID: lease, holder: "ci-1-abc"))
                == #"{"event":"lease","holder":"ci-1-abc","poolID":"\#(lease)","stack":"web","state":"acquired",\#(stamp)}"# + "\n")
        #expect(
            line(.lease(.renewed(poolID: lease), stack: "web"))
                == #"{"event":"lease","poolID":"\#(lease)","stack":"web","state":"renewed",\#(stamp)}"# + "\n")
        #expect(
            line(.lease(.released(poolID: lease), stack: "web"))
                == #"{"event":"lease","poolID":"\#(lease)","stack":"web","state":"released",\#(stamp)}"# + "\n")
        let other = try #require(
            LeaseInfo(
                pool: SenderPool(
                    id: pool, name: "poolctl lease: web", tags: ["poolctl-lease": "v1~web~laptop-7~120"],
                    createdAt: "2025-01-01T12:00:00Z", updatedAt: "2025-01-01T12:34:00Z")))
        #expect(
            line(.lease(.waiting(for: other, retryIn: .milliseconds(1500)), stack: "web"))
                == #"{"event":"lease","holder":"laptop-7","poolID":"\#(pool)","retryInMS":1500,"stack":"web","state":"waiting",\#(stamp)}"#
                + "\n")
        #expect(
            line(.lease(.renewalFailed(error: "HTTP 503"), stack: "web"))
                == #"{"event":"lease","message":"HTTP 503","stack":"web","state":"renewal-failed",\#(stamp)}"# + "\n")
        let notShown = LeaseEvent.notShownYet(operationID: "comms_operation_1", giveUpIn: .milliseconds(43_500))
        #expect(
            line(.lease(notShown, stack: "web"))
                == #"{"event":"lease","giveUpInMS":43500,"message":"\#(notShown.description)","operationIDs":["comms_operation_1"],"stack":"web","state":"not-shown-yet",\#(stamp)}"#
                + "\n")
        #expect(!notShown.isRoutine)
        let slow = LeaseEvent.stillCreating(
            operationID: "comms_operation_1", status: "PROCESSING", waited: .milliseconds(5500), giveUpIn: .milliseconds(54_500))
        #expect(
            slow.description
                == "the lease's create operation comms_operation_1 is still PROCESSING after 5.5 s; waiting for it, at most 54.5 s more")
        #expect(
            line(.lease(slow, stack: "web"))
                == #"{"event":"lease","giveUpInMS":54500,"message":"\#(slow.description)","operationIDs":["comms_operation_1"],"stack":"web","state":"still-creating",\#(stamp)}"#
                + "\n")
        #expect(!slow.isRoutine)
    }

    @Test func requestAndRetryLines() {
        #expect(
            line(
                .request(
                    endpoint: "PATCH /v1/SenderPools/{senderPoolId}", poolID: pool, attempt: 2, status: 202, error: nil, durationMS: 41))
                == #"{"attempt":2,"durationMS":41,"endpoint":"PATCH /v1/SenderPools/{senderPoolId}","event":"request","method":"PATCH","poolID":"\#(pool)","status":202,\#(stamp)}"#
                + "\n")
        #expect(
            line(.request(endpoint: "GET /v1/SenderPools", poolID: nil, attempt: 1, status: nil, error: "timeout", durationMS: 30000))
                == #"{"attempt":1,"durationMS":30000,"endpoint":"GET /v1/SenderPools","error":"timeout","event":"request","method":"GET",\#(stamp)}"#
                + "\n")
        #expect(
            line(
                .retry(
                    endpoint: "POST /v1/SenderPools", poolID: nil, attempt: 2, reason: "429", status: 429, delayMS: 2000,
                    retryAfterMS: 2000))
                == #"{"attempt":2,"delayMS":2000,"endpoint":"POST /v1/SenderPools","event":"retry","method":"POST","reason":"429","retryAfterMS":2000,"status":429,\#(stamp)}"#
                + "\n")
    }

    @Test func operationPollAndStepLines() {
        let poll = OperationPoll(operationID: operation, key: "a", poolID: nil, status: "PROCESSING", via: .listing)
        #expect(
            line(.operationPoll(poll))
                == #"{"event":"operation-poll","key":"a","operationID":"\#(operation)","status":"PROCESSING",\#(stamp),"via":"listing"}"#
                + "\n")
        let step = ApplyEvent(key: "a", message: "created", poolsDone: 0, poolsTotal: 2, sendersAdded: 3, sendersRemoved: 0)
        #expect(
            line(.step(step))
                == #"{"event":"step","key":"a","message":"created","poolsDone":0,"poolsTotal":2,"sendersAdded":3,"sendersRemoved":0,\#(stamp)}"#
                + "\n")
    }

    @Test func poolResultLines() {
        var converged = PoolResult(key: "a", action: .create, poolID: pool)
        converged.operations = [
            OperationResult(id: operation, kind: .create, status: "COMPLETED", total: 3, created: 3, failed: 0, polls: 1)
        ]
        converged.sendersAdded = 3
        converged.durationMS = 420
        #expect(
            line(.poolResult(converged))
                == #"{"action":"create","durationMS":420,"event":"pool-result","key":"a","operations":[{"created":3,"failed":0,"id":"\#(operation)","kind":"create","polls":1,"status":"COMPLETED","total":3}],"outcome":"converged","poolID":"\#(pool)","sendersAdded":3,"sendersRemoved":0,\#(stamp)}"#
                + "\n")
        var different = PoolResult(key: "b", action: .update, poolID: pool)
        different.status = .failed
        different.remaining = ["tag x is still y", "name differs"]
        #expect(
            line(.poolResult(different)).contains(#""message":"tag x is still y; name differs","operations":[],"outcome":"not-converged""#))
        var failed = different
        failed.error = "HTTP 400: bad"
        #expect(line(.poolResult(failed)).contains(#""message":"HTTP 400: bad","operations":[],"outcome":"failed""#))
        var skipped = PoolResult(key: "c", action: .delete, poolID: pool)
        skipped.status = .skipped
        #expect(line(.poolResult(skipped)).contains(#""outcome":"skipped""#))
    }

    @Test func applyResultErrorDiagnosticAndWarningLines() {
        var result = PoolResult(key: "a", action: .create, poolID: pool)
        result.status = .failed
        let report = ApplyReport(stack: "web", pools: [result, PoolResult(key: "b", action: .delete, poolID: lease)])
        #expect(
            line(.applyResult(stack: "web", outcome: "partial", exitCode: 3, apiCalls: 12, retries: 1, durationMS: 900, report: report))
                == #"{"apiCalls":12,"converged":1,"durationMS":900,"event":"apply-result","exitCode":3,"outcome":"partial","pools":2,"retries":1,"stack":"web",\#(stamp)}"#
                + "\n")
        #expect(
            line(.applyResult(stack: nil, outcome: "error", exitCode: 1, apiCalls: 0, retries: 0, durationMS: 3, report: nil))
                == #"{"apiCalls":0,"durationMS":3,"event":"apply-result","exitCode":1,"outcome":"error","retries":0,\#(stamp)}"# + "\n")
        // Nothing to apply: 0 pools, 0 converged, as the README's "every run" promises.
        #expect(
            line(.applyResult(stack: "web", outcome: "no-changes", exitCode: 0, apiCalls: 8, retries: 0, durationMS: 40, report: nil))
                == #"{"apiCalls":8,"converged":0,"durationMS":40,"event":"apply-result","exitCode":0,"outcome":"no-changes","pools":0,"retries":0,"stack":"web",\#(stamp)}"#
                + "\n")
        #expect(
            line(.error("poolctl: HTTP 401: \"Unauthorized\"\nCheck TWILIO_AUTH_TOKEN", exitCode: 1))
                == #"{"event":"error","exitCode":1,"message":"poolctl: HTTP 401: \"Unauthorized\"\nCheck TWILIO_AUTH_TOKEN",\#(stamp)}"#
                + "\n")
        let diagnostic = Diagnostic(.error, "unknown key 'tag'", at: SourceLocation(file: "m/a.yaml", line: 5, column: 5))
        #expect(
            line(.diagnostic(diagnostic))
                == #"{"column":5,"event":"diagnostic","file":"m/a.yaml","line":5,"message":"unknown key 'tag'","severity":"error",\#(stamp)}"#
                + "\n")
        let duplicate = Diagnostic(
            .error, "duplicate pool key 'a'", at: SourceLocation(file: "b.yaml", line: 4, column: 3),
            notes: [Diagnostic.Note(message: "first defined here", location: SourceLocation(file: "a.yaml", line: 2, column: 3))])
        #expect(
            line(.diagnostic(duplicate)).contains(
                #""notes":[{"column":3,"file":"a.yaml","line":2,"message":"first defined here"}],"severity":"error""#))
        #expect(line(.warning("w")) == #"{"event":"warning","message":"w",\#(stamp)}"# + "\n")
    }

    @Test func everyLineIsOneLineOfJSONWhateverTheMessageHolds() throws {
        let text = line(.warning("two\nlines\u{2028}and \"quotes\" and / and \u{1}"))
        #expect(text.filter { $0 == "\n" }.count == 1 && text.hasSuffix("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "two\nlines\u{2028}and \"quotes\" and / and \u{1}")
    }
}

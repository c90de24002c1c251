import Foundation
import PoolctlEngine
import PoolctlModel
import PoolctlPlan

/// One line of `apply --log-format ndjson`: a public format. Every line is
/// one JSON object with `v` (this version), `time` (RFC 3339, UTC,
/// milliseconds) and `event` (the type), and the type's own fields; keys are
/// sorted and absent values left out, so a line is byte-for-byte
/// reproducible. New fields may appear within a version; a renamed or
/// removed field, or a changed meaning, takes a new `v`.
///
/// Built only from values that are safe to print: endpoint templates, pool
/// and operation ids, counts, statuses, messages that were already redacted.
public struct ApplyLogEvent: Sendable, Hashable {
    public static let version = 1

    /// The `event` field.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case plan, lease, request, retry, step, diagnostic, warning, error
        case operationPoll = "operation-poll"
        case poolResult = "pool-result"
        case applyResult = "apply-result"
    }

    public var kind: Kind
    public var fields: [String: LogValue]

    public init(_ kind: Kind, _ fields: [String: LogValue?]) {
        self.kind = kind
        self.fields = fields.compactMapValues { $0 }
    }

    /// The line, newline included. `time` is when the event happened.
    public func line(at time: Date) -> String {
        var object = fields
        object["v"] = .int(Self.version)
        object["time"] = .string(Self.timestamp(time))
        object["event"] = .string(kind.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and nesting of them cannot fail to encode.
        let data = try! encoder.encode(object)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// `2025-01-01T00:00:00.000Z`
    public static func timestamp(_ date: Date) -> String {
        WireTime.formatRFC3339Milliseconds(date)
    }
}

/// A JSON value of a log line.
public enum LogValue: Sendable, Hashable, Encodable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case array([LogValue])
    case object([String: LogValue])

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Nil stays nil: the key is left out of the line.
    static func text(_ value: String?) -> LogValue? { value.map(LogValue.string) }
    static func number(_ value: Int?) -> LogValue? { value.map(LogValue.int) }
}

// MARK: The event types

extension ApplyLogEvent {
    /// The plan about to be applied (`source`: `manifests` or `saved-plan`).
    /// `guard` is the destructive-change guard's verdict (`violations`: the
    /// rules broken; `blocked`: apply refuses); `targeting` is there only for
    /// a partial plan (`leftOut`: how many keys it does not cover); `policy`
    /// only when a policy was checked.
    public static func plan(_ plan: Plan, source: String) -> ApplyLogEvent {
        let summary = plan.summary
        let verdict = plan.destructiveGuard
        return ApplyLogEvent(
            .plan,
            [
                "stack": .string(plan.stack), "source": .string(source), "create": .int(summary.create),
                "update": .int(summary.update), "delete": .int(summary.delete), "adopt": .int(summary.adopt),
                "move": .int(summary.move), "deleteBlocked": .int(summary.deleteBlocked),
                "addSenders": .int(summary.addSenders), "removeSenders": .int(summary.removeSenders),
                "conflicts": .int(summary.conflicts), "warnings": .int(summary.warnings),
                "estimatedApiCalls": .int(summary.apiCalls), "hasChanges": .bool(summary.hasChanges),
                "guard": .object([
                    "blocked": .bool(verdict.blocks), "lifted": .bool(verdict.lifted), "violations": .int(verdict.violations.count),
                ]),
                "policy": plan.policy.map { outcome in
                    .object([
                        "blocked": .bool(outcome.blocks), "errors": .int(outcome.verdict.errors),
                        "warnings": .int(outcome.verdict.diagnostics.count - outcome.verdict.errors),
                        "allowed": .array(outcome.allowed.map(LogValue.string)),
                    ])
                },
                "targeting": plan.targeting.map { targeting in
                    .object([
                        "targets": .array(targeting.targets.map(LogValue.string)),
                        "excludes": .array(targeting.excludes.map(LogValue.string)), "leftOut": .int(targeting.leftOut.count),
                    ])
                },
            ])
    }

    /// The stack lease was acquired by `holder` (this apply).
    public static func leaseAcquired(stack: String, poolID: String, holder: String) -> ApplyLogEvent {
        ApplyLogEvent(
            .lease, ["state": .string("acquired"), "stack": .string(stack), "poolID": .text(poolID), "holder": .string(holder)])
    }

    /// Everything else the lease reports. `holder` is another apply's, for
    /// `waiting` and the stale ones.
    public static func lease(_ event: LeaseEvent, stack: String) -> ApplyLogEvent {
        var fields: [String: LogValue?] = ["stack": .string(stack), "state": .string(leaseState(event))]
        switch event {
        case .staleLeaseDeleted(let lease):
            fields["poolID"] = .string(lease.poolID)
            fields["holder"] = .string(lease.holder)
        case .staleLeaseNotDeleted(let lease, let error):
            fields["poolID"] = .string(lease.poolID)
            fields["holder"] = .string(lease.holder)
            fields["message"] = .string(error)
        case .waiting(let lease, let retryIn):
            fields["poolID"] = .string(lease.poolID)
            fields["holder"] = .string(lease.holder)
            fields["retryInMS"] = .int(Int(retryIn.inMilliseconds))
        case .renewalFailed(let error), .createRetried(let error):
            fields["message"] = .string(error)
        case .extraLeaseNotDeleted(let poolID, let error):
            fields["poolID"] = .string(poolID)
            fields["message"] = .string(error)
        case .lost(let lost):
            fields["poolID"] = .string(lost.poolID)
            fields["message"] = .string(lost.description)
        case .renewed(let poolID), .released(let poolID), .extraLeaseDeleted(let poolID):
            fields["poolID"] = .string(poolID)
        case .releaseFailed(let failed):
            fields["poolID"] = .string(failed.poolID)
            fields["expiresAt"] = .string(failed.expiresAtText)
            fields["message"] = .string(failed.description)
        case .keptForRunningCreates(let poolID, let operations, let expiresAt):
            fields["poolID"] = .string(poolID)
            fields["operationIDs"] = .array(operations.map(LogValue.string))
            fields["expiresAt"] = .string(LeaseReleaseFailed.rfc3339(expiresAt))
            fields["message"] = .string(event.description)
        case .unconfirmed(let reason, let wait):
            fields["message"] = .string(reason)
            fields["retryInMS"] = .int(Int(wait.inMilliseconds))
        case .notShownYet(let operationID, let giveUpIn), .stillCreating(let operationID, _, _, let giveUpIn):
            fields["operationIDs"] = .array([.string(operationID)])
            fields["giveUpInMS"] = .int(Int(giveUpIn.inMilliseconds))
            fields["message"] = .string(event.description)
        }
        return ApplyLogEvent(.lease, fields)
    }

    /// The `state` field of a lease line.
    private static func leaseState(_ event: LeaseEvent) -> String {
        switch event {
        case .staleLeaseDeleted: "stale-deleted"
        case .staleLeaseNotDeleted: "stale-not-deleted"
        case .waiting: "waiting"
        case .renewalFailed: "renewal-failed"
        case .lost: "lost"
        case .renewed: "renewed"
        case .released: "released"
        case .createRetried: "create-retried"
        case .extraLeaseDeleted: "extra-deleted"
        case .extraLeaseNotDeleted: "extra-not-deleted"
        case .releaseFailed: "release-failed"
        case .keptForRunningCreates: "kept"
        case .unconfirmed: "unconfirmed"
        case .notShownYet: "not-shown-yet"
        case .stillCreating: "still-creating"
        }
    }

    /// One HTTP attempt: `status` when answered, else `error` (a failure class).
    public static func request(
        endpoint: String, poolID: String?, attempt: Int, status: Int?, error: String?, durationMS: Int
    ) -> ApplyLogEvent {
        ApplyLogEvent(
            .request,
            [
                "method": .string(method(of: endpoint)), "endpoint": .string(endpoint), "poolID": .text(poolID),
                "attempt": .int(attempt), "status": .number(status), "error": .text(error), "durationMS": .int(durationMS),
            ])
    }

    /// A failed attempt that will be repeated; `attempt` is the one about to be made.
    public static func retry(
        endpoint: String, poolID: String?, attempt: Int, reason: String, status: Int?, delayMS: Int, retryAfterMS: Int?
    ) -> ApplyLogEvent {
        ApplyLogEvent(
            .retry,
            [
                "method": .string(method(of: endpoint)), "endpoint": .string(endpoint), "poolID": .text(poolID),
                "attempt": .int(attempt), "reason": .string(reason), "status": .number(status), "delayMS": .int(delayMS),
                "retryAfterMS": .number(retryAfterMS),
            ])
    }

    public static func operationPoll(_ poll: OperationPoll) -> ApplyLogEvent {
        ApplyLogEvent(
            .operationPoll,
            [
                "operationID": .string(poll.operationID), "key": .string(poll.key), "poolID": .text(poll.poolID),
                "status": .string(poll.status), "via": .string(poll.via.rawValue),
            ])
    }

    /// A finished step of one pool: the progress line, as data.
    public static func step(_ event: ApplyEvent) -> ApplyLogEvent {
        ApplyLogEvent(
            .step,
            [
                "key": .string(event.key), "message": .string(event.message), "poolsDone": .int(event.poolsDone),
                "poolsTotal": .int(event.poolsTotal), "sendersAdded": .int(event.sendersAdded),
                "sendersRemoved": .int(event.sendersRemoved),
            ])
    }

    /// One pool's final result, after verification. `outcome`: `converged`;
    /// `failed` (a step failed); `not-converged` (every step ran, differences
    /// remain); `skipped` (not started: timeout or lost lease).
    public static func poolResult(_ result: PoolResult) -> ApplyLogEvent {
        let outcome: String
        switch result.status {
        case .converged: outcome = "converged"
        case .failed: outcome = result.error == nil ? "not-converged" : "failed"
        case .skipped: outcome = "skipped"
        }
        let message = result.error ?? (result.remaining.isEmpty ? nil : result.remaining.joined(separator: "; "))
        let operations: [LogValue] = result.operations.map { operation in
            .object([
                "id": .string(operation.id), "kind": .string(operation.kind.rawValue), "status": .string(operation.status),
                "total": .int(operation.total), "created": .int(operation.created), "failed": .int(operation.failed),
                "polls": .int(operation.polls),
            ])
        }
        return ApplyLogEvent(
            .poolResult,
            [
                "key": .string(result.key), "poolID": .text(result.poolID),
                "action": .string(result.action.rawValue), "outcome": .string(outcome),
                "operations": .array(operations), "sendersAdded": .int(result.sendersAdded),
                "sendersRemoved": .int(result.sendersRemoved), "durationMS": .int(result.durationMS),
                "message": .text(message),
            ])
    }

    /// The last line of every run. `outcome`: `converged`, `partial`,
    /// `no-changes` or `error`; `apiCalls` and `retries` count every request
    /// of the run (lease and plan included), as the `request` and `retry`
    /// lines do.
    public static func applyResult(
        stack: String?, outcome: String, exitCode: Int32, apiCalls: Int, retries: Int, durationMS: Int, report: ApplyReport?
    ) -> ApplyLogEvent {
        // Nothing to apply is 0 of 0; a run that ended before any report (an error, a signal before its end) has no counts.
        let none = outcome == "no-changes" ? 0 : nil
        return ApplyLogEvent(
            .applyResult,
            [
                "stack": .text(stack), "outcome": .string(outcome), "exitCode": .int(Int(exitCode)), "apiCalls": .int(apiCalls),
                "retries": .int(retries), "durationMS": .int(durationMS), "pools": .number(report?.pools.count ?? none),
                "converged": .number(report.map { $0.pools.count - $0.notConverged.count } ?? none),
            ])
    }

    /// A manifest problem (the text mode prints it as `file:line:column: severity: message`).
    public static func diagnostic(_ diagnostic: Diagnostic) -> ApplyLogEvent {
        ApplyLogEvent(
            .diagnostic,
            [
                "severity": .string(diagnostic.severity.rawValue), "message": .string(diagnostic.message),
                "file": .text(diagnostic.location?.file), "line": .number(diagnostic.location?.line),
                "column": .number(diagnostic.location?.column),
                "notes": diagnostic.notes.isEmpty
                    ? nil
                    : .array(
                        diagnostic.notes.map { note in
                            .object(
                                [
                                    "message": .string(note.message), "file": .text(note.location?.file),
                                    "line": .number(note.location?.line), "column": .number(note.location?.column),
                                ].compactMapValues { $0 })
                        }),
            ])
    }

    public static func warning(_ message: String) -> ApplyLogEvent {
        ApplyLogEvent(.warning, ["message": .string(message)])
    }

    /// What the text mode prints before exiting non-zero.
    public static func error(_ message: String, exitCode: Int32) -> ApplyLogEvent {
        ApplyLogEvent(.error, ["message": .string(message), "exitCode": .int(Int(exitCode))])
    }

    /// `GET` of `GET /v1/SenderPools`.
    private static func method(of endpoint: String) -> String {
        String(endpoint.prefix { $0 != " " })
    }
}

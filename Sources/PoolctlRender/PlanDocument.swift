import Foundation
import PoolctlModel
import PoolctlPlan

/// The versioned JSON form of a plan: what `plan --format json` prints and
/// what `plan --out FILE` saves. It holds everything apply needs (full member
/// lists, the tags to send, the fingerprints), so `apply FILE` and
/// `show FILE` work with no manifests at hand. Bump `formatVersion` on any
/// change that would break a consumer; readers refuse versions they do not know.
public struct PlanDocument: Sendable, Hashable, Codable {
    public static let currentFormatVersion = 1
    public static let kindValue = "poolctl-plan"

    public var formatVersion: Int
    public var kind: String
    public var poolctlVersion: String
    public var stack: String
    public var prune: Bool
    public var summary: PlanSummary
    /// API calls apply is expected to make, by endpoint.
    public var apiCalls: [String: Int]
    public var changes: [PoolChange]
    public var conflicts: [PlanDiagnostic]
    public var warnings: [PlanDiagnostic]
    public var fingerprints: [PoolFingerprint]

    public init(plan: Plan, poolctlVersion: String) {
        formatVersion = Self.currentFormatVersion
        kind = Self.kindValue
        self.poolctlVersion = poolctlVersion
        stack = plan.stack
        prune = plan.prune
        summary = plan.summary
        apiCalls = plan.estimate.byEndpoint
        changes = plan.changes
        conflicts = plan.diagnostics.filter { $0.severity == .error }
        warnings = plan.diagnostics.filter { $0.severity != .error }
        fingerprints = plan.fingerprints
    }

    public var plan: Plan {
        Plan(
            stack: stack, prune: prune, changes: changes, diagnostics: conflicts + warnings,
            fingerprints: fingerprints, estimate: CallEstimate(byEndpoint: apiCalls))
    }

    public func json() -> String { JSONOutput.encode(self) }

    /// Reads a saved plan, refusing other kinds and unknown versions.
    public static func decode(_ bytes: [UInt8]) throws -> PlanDocument {
        struct Header: Decodable { var formatVersion: Int?; var kind: String? }
        let decoder = JSONDecoder()
        let data = Data(bytes)
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw PlanFileError("not a JSON document")
        }
        guard header.kind == kindValue else {
            throw PlanFileError("not a poolctl plan (expected \"kind\": \"\(kindValue)\")")
        }
        guard header.formatVersion == currentFormatVersion else {
            throw PlanFileError("plan formatVersion \(header.formatVersion.map(String.init) ?? "missing") is not supported; this poolctl reads version \(currentFormatVersion)")
        }
        do {
            return try decoder.decode(PlanDocument.self, from: data)
        } catch {
            throw PlanFileError("the plan is damaged: \(error)")
        }
    }
}

/// A saved plan that cannot be read.
public struct PlanFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}


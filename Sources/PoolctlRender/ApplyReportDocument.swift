import PoolctlEngine
import PoolctlModel

/// The apply report, a public format (`formatVersion: 1`): what
/// `apply --format json` prints. It is the engine's `ApplyReport` under the
/// keys that type declares, with `formatVersion` and `kind` beside them in
/// one object, as the plan (`poolctl-plan`) and drift (`poolctl-drift`)
/// documents carry theirs. `kind` came within version 1: an addition.
public struct ApplyReportDocument: Sendable, Hashable, Codable {
    public static let currentFormatVersion = 1
    public static let kindValue = "poolctl-apply-report"

    public var formatVersion: Int
    public var report: ApplyReport

    public init(_ report: ApplyReport) {
        formatVersion = Self.currentFormatVersion
        self.report = report
    }

    private enum CodingKeys: String, CodingKey {
        case formatVersion, kind
    }

    public init(from decoder: any Decoder) throws {
        formatVersion = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .formatVersion)
        report = try ApplyReport(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(Self.kindValue, forKey: .kind)
        try report.encode(to: encoder)
    }

    /// Deterministic, key-sorted JSON.
    public func json() -> String { JSONOutput.encode(self) }
}

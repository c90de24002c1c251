/// `poolctl emulator --behavior NAME=VALUE`: one switch per point the public
/// docs leave open, so tests can check the client against each plausible
/// answer. The defaults are the decisions in `schema/API-DECISIONS.md`.
public struct EmulatorBehaviors: Sendable, Hashable {
    public enum OperationPaths: String, Sendable, CaseIterable {
        case both
        case nestedOnly = "nested-only"
    }
    public enum CreateVisibility: String, Sendable, CaseIterable {
        case immediate
        case afterCompletion = "after-completion"
    }
    public enum PatchTags: String, Sendable, CaseIterable { case replace, merge }
    public enum Writes: String, Sendable, CaseIterable { case sync, async }
    public enum OperationStatuses: String, Sendable, CaseIterable { case documented, extended }
    public enum Locations: String, Sendable, CaseIterable { case own, foreign }
    public enum Paging: String, Sendable, CaseIterable { case keyset, offset }
    public enum Filters: String, Sendable, CaseIterable { case honoured, ignored }
    public enum Timestamps: String, Sendable, CaseIterable { case whole, fractional }
    public enum DateHeader: String, Sendable, CaseIterable { case present, absent }
    public enum NoopPatch: String, Sendable, CaseIterable { case bump, unchanged }

    /// Add Senders operations only at their nested `operationLocation`.
    public var operationPaths = OperationPaths.both
    /// A created pool is hidden until its operation completes.
    public var createVisibility = CreateVisibility.immediate
    /// PATCH `tags`: replace the map, or merge into it.
    public var patchTags = PatchTags.replace
    /// PATCH, DELETE pool and Remove Sender land `--operation-delay` later.
    public var writes = Writes.sync
    /// The status of DELETE pool and Remove Sender: 202 or 200 (body), 204 (none).
    public var deleteStatus = 202
    /// Most senders one Create or Add Senders accepts.
    public var addBatchLimit = FieldRules.maxSenders
    /// Extra fields in every response object.
    public var unknownFields = false
    /// Optional fields null or absent.
    public var nulls = false
    /// SCHEDULED before PROCESSING; FAILED instead of CANCELED.
    public var operationStatuses = OperationStatuses.documented
    /// Locations on `https://comms.twilio.com` instead of the emulator's origin.
    public var locations = Locations.own
    /// How far the list endpoints trail Fetch, in milliseconds.
    public var listLagMS = 0
    /// Keyset cursors over the oldest-first order, or `{"page":N}` offsets
    /// over the newest-first order (repeats and skips under concurrent writes).
    public var paging = Paging.keyset
    /// The most items a page holds, whatever `pageSize` asks for.
    public var maxPageSize = 1000
    /// `operationId`, `startDate` and `endDate` applied, or ignored on List
    /// SenderPools and List Operations.
    public var filters = Filters.honoured
    /// `…:ssZ`, or `…:ss.ffffff+00:00` in every response.
    public var timestamps = Timestamps.whole
    /// Whether responses carry a `Date` header.
    public var dateHeader = DateHeader.present
    /// Whether a PATCH that changes nothing bumps `updatedAt`.
    public var noopPatch = NoopPatch.bump

    /// The origin of `locations=foreign`.
    public static let foreignOrigin = "https://comms.twilio.com"

    public init() {}

    /// Every name with its values, for help and errors.
    public static let names: [(name: String, values: String)] = [
        ("operation-paths", "both|nested-only"),
        ("create-visibility", "immediate|after-completion"),
        ("patch-tags", "replace|merge"),
        ("writes", "sync|async"),
        ("delete-status", "202|204|200"),
        ("add-batch-limit", "1..\(FieldRules.maxSenders)"),
        ("unknown-fields", "off|on"),
        ("nulls", "off|on"),
        ("operation-statuses", "documented|extended"),
        ("locations", "own|foreign"),
        ("list-lag", "0..600000 (ms)"),
        ("paging", "keyset|offset"),
        ("max-page-size", "1..1000"),
        ("filters", "honoured|ignored"),
        ("timestamps", "whole|fractional"),
        ("date-header", "present|absent"),
        ("noop-patch", "bump|unchanged"),
    ]

    /// `NAME=VALUE` items, each name at most once; the error names what is valid.
    public init(parsing items: [String]) throws(EmulatorBehaviorError) {
        var seen = Set<String>()
        for item in items {
            guard let equals = item.firstIndex(of: "=") else {
                throw EmulatorBehaviorError(message: "--behavior '\(item)' is not NAME=VALUE; \(Self.validNames)")
            }
            let name = String(item[..<equals])
            let value = String(item[item.index(after: equals)...])
            guard seen.insert(name).inserted else {
                throw EmulatorBehaviorError(message: "--behavior \(name) is given more than once")
            }
            try set(name, value)
        }
    }

    static var validNames: String {
        "valid: " + names.map { "\($0.name)=\($0.values)" }.joined(separator: ", ")
    }

    private mutating func set(_ name: String, _ value: String) throws(EmulatorBehaviorError) {
        func choice<T: RawRepresentable & CaseIterable>(_: T.Type) throws(EmulatorBehaviorError) -> T where T.RawValue == String {
            guard let parsed = T(rawValue: value) else { throw invalid(name, value) }
            return parsed
        }
        func number(_ range: ClosedRange<Int>) throws(EmulatorBehaviorError) -> Int {
            guard let parsed = Int(value), range.contains(parsed) else { throw invalid(name, value) }
            return parsed
        }
        func flag() throws(EmulatorBehaviorError) -> Bool {
            switch value {
            case "on": return true
            case "off": return false
            default: throw invalid(name, value)
            }
        }
        switch name {
        case "operation-paths": operationPaths = try choice(OperationPaths.self)
        case "create-visibility": createVisibility = try choice(CreateVisibility.self)
        case "patch-tags": patchTags = try choice(PatchTags.self)
        case "writes": writes = try choice(Writes.self)
        case "delete-status":
            guard let status = Int(value), [200, 202, 204].contains(status) else { throw invalid(name, value) }
            deleteStatus = status
        case "add-batch-limit": addBatchLimit = try number(1...FieldRules.maxSenders)
        case "unknown-fields": unknownFields = try flag()
        case "nulls": nulls = try flag()
        case "operation-statuses": operationStatuses = try choice(OperationStatuses.self)
        case "locations": locations = try choice(Locations.self)
        case "list-lag": listLagMS = try number(0...600_000)
        case "paging": paging = try choice(Paging.self)
        case "max-page-size": maxPageSize = try number(1...1000)
        case "filters": filters = try choice(Filters.self)
        case "timestamps": timestamps = try choice(Timestamps.self)
        case "date-header": dateHeader = try choice(DateHeader.self)
        case "noop-patch": noopPatch = try choice(NoopPatch.self)
        default:
            throw EmulatorBehaviorError(message: "--behavior: unknown name '\(FieldRules.clip(name))'; \(Self.validNames)")
        }
    }

    private func invalid(_ name: String, _ value: String) -> EmulatorBehaviorError {
        let values = Self.names.first { $0.name == name }?.values ?? ""
        return EmulatorBehaviorError(message: "--behavior \(name): invalid value '\(FieldRules.clip(value))'; valid: \(values)")
    }
}

/// An unknown `--behavior` name or value.
public struct EmulatorBehaviorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Wire models of the Comms API SenderPools family. Decoding ignores unknown
/// fields, and enums keep unknown values (the API is in Public Beta and its
/// enums may grow), so a new channel never breaks a plan.

/// A string enum that keeps values it does not know.
public protocol OpenEnum: RawRepresentable, Codable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral
where RawValue == String {
    init(rawValue: String)
}

extension OpenEnum {
    public init(from decoder: Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}

/// A sender's channel: `SMS`, `RCS`, `EMAIL`, `WHATSAPP`, `PUSH`, or a newer one.
public struct Channel: OpenEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let sms: Channel = "SMS"
    public static let rcs: Channel = "RCS"
    public static let email: Channel = "EMAIL"
    public static let whatsapp: Channel = "WHATSAPP"
    public static let push: Channel = "PUSH"
    public static let documented: [Channel] = [.sms, .rcs, .email, .whatsapp, .push]
}

/// `ACTIVATED` or `DEACTIVATED`, or a newer value.
public struct SenderStatus: OpenEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let activated: SenderStatus = "ACTIVATED"
    public static let deactivated: SenderStatus = "DEACTIVATED"
    public static let documented: [SenderStatus] = [.activated, .deactivated]
}

/// `PROCESSING`, `COMPLETED` or `CANCELED` (documented), `FAILED` or
/// `SCHEDULED` (seen on sibling Comms resources), or a newer value.
public struct OperationStatus: OpenEnum {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let processing: OperationStatus = "PROCESSING"
    public static let completed: OperationStatus = "COMPLETED"
    public static let canceled: OperationStatus = "CANCELED"
    public static let failed: OperationStatus = "FAILED"
    public static let scheduled: OperationStatus = "SCHEDULED"
    public static let documented: [OperationStatus] = [.processing, .completed, .canceled]
    /// The statuses that end an operation.
    public static let terminal: Set<OperationStatus> = [.completed, .canceled, .failed]

    /// Only `COMPLETED`, `CANCELED` and `FAILED` end an operation. Anything
    /// else, a status we have never seen included, means it is still going:
    /// ending early would call a pool failed that is about to converge.
    public var isTerminal: Bool { Self.terminal.contains(self) }
}

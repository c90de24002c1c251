/// In the model layer so that the pure planner and the API client name
/// calls with the same type: a plan's call estimate and the client's call
/// counts cannot drift apart.
/// Every endpoint, named as `METHOD /path/template`: the key of call counts
/// in plans, apply reports and the emulator's request log.
public enum Endpoint: String, CaseIterable, Codable, Sendable, Comparable {
    case listSenderPools = "GET /v1/SenderPools"
    case createSenderPool = "POST /v1/SenderPools"
    case fetchSenderPool = "GET /v1/SenderPools/{senderPoolId}"
    case updateSenderPool = "PATCH /v1/SenderPools/{senderPoolId}"
    case deleteSenderPool = "DELETE /v1/SenderPools/{senderPoolId}"
    case listPoolSenders = "GET /v1/SenderPools/{senderPoolId}/Senders"
    case addSenders = "POST /v1/SenderPools/{senderPoolId}/Senders"
    case removeSender = "DELETE /v1/SenderPools/{senderPoolId}/Senders/{senderId}"
    case listOperations = "GET /v1/SenderPools/Operations"
    case fetchOperation = "GET /v1/SenderPools/Operations/{operationId}"
    case fetchPoolSendersOperation = "GET /v1/SenderPools/{senderPoolId}/Senders/Operations/{operationId}"
    case listSenders = "GET /v1/Senders"

    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool { lhs.rawValue < rhs.rawValue }

    public var method: String { String(rawValue.prefix { $0 != " " }) }
}

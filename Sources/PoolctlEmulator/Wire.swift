import PoolctlAPI
import PoolctlModel

/// The `/v1` response bodies, the emulator's own wire format, written from
/// the examples of the Comms API docs (copied, with their sources, into
/// `Tests/Fixtures/wire`). Nothing here comes from the client's models: a
/// key that either side gets wrong fails `WireGoldenTests` instead of
/// agreeing by construction. `ResponseEncoding` encodes these (sorted keys).
enum Wire {
    /// The array key of each list body.
    enum List: String {
        case senderPools, senders, operations
    }

    /// A list page: `{"<list>": [...], "pagination": {"next", "self"}}`,
    /// `next` null on the last page (List SenderPools example).
    static func page(_ list: List, _ items: [JSONValue], next: String?, current: String) -> JSONValue {
        .object([list.rawValue: .array(items), "pagination": .object(["next": JSONValue(next), "self": .string(current)])])
    }

    /// A SenderPool, as Fetch returns it and List SenderPools lists it.
    static func senderPool(_ pool: PoolRecord, as shown: PoolVersion) -> JSONValue {
        .object([
            "id": .string(pool.id), "name": .string(shown.name), "tags": JSONValue(shown.tags),
            "createdAt": .string(pool.createdAt), "updatedAt": .string(shown.updatedAt),
        ])
    }

    /// A Sender of the inventory; `displayName` is required but nullable.
    static func sender(_ sender: Sender) -> JSONValue {
        .object([
            "id": .string(sender.id), "displayName": JSONValue(sender.displayName), "address": .string(sender.address),
            "channel": .string(sender.channel.rawValue), "status": .string(sender.status.rawValue), "tags": JSONValue(sender.tags),
            "createdAt": .string(sender.createdAt), "updatedAt": .string(sender.updatedAt),
        ])
    }

    /// A SenderPool Operation as it showed at `t` (ms).
    static func operation(_ operation: OperationRecord, at t: Int64) -> JSONValue {
        let shown = operation.progress(at: t)
        let stats: [String: JSONValue] = [
            "total": .int(shown.total), "queued": .int(shown.queued), "created": .int(shown.created), "failed": .int(shown.failed),
        ]
        return .object([
            "id": .string(operation.id), "status": .string(shown.state.rawValue), "stats": .object(stats),
            "createdAt": .string(operation.createdAt), "updatedAt": .string(shown.updatedAt),
        ])
    }

    /// The 202 body of Create and Add Senders.
    static func operationAccepted(id: String, location: String) -> JSONValue {
        .object(["operationId": .string(id), "operationLocation": .string(location)])
    }

    /// The body of Update, and (a decision: the docs show none) of Delete
    /// and Remove Sender.
    static func resourceAccepted(id: String, location: String) -> JSONValue {
        .object(["resourceId": .string(id), "resourceLocation": .string(location)])
    }
}

/// What a write answers: an Operation started (Create, Add Senders) or a
/// resource accepted (Update, Delete, Remove Sender), with its location.
struct Accepted: Sendable, Hashable {
    enum Kind: Sendable { case operation, resource }

    var kind: Kind
    var id: String
    var location: String

    var body: JSONValue {
        switch kind {
        case .operation: return Wire.operationAccepted(id: id, location: location)
        case .resource: return Wire.resourceAccepted(id: id, location: location)
        }
    }
}

/// An operation's status as the emulator reports it: the documented three,
/// and SCHEDULED and FAILED under `operation-statuses=extended`.
enum OperationState: String, Sendable, CaseIterable {
    case scheduled = "SCHEDULED"
    case processing = "PROCESSING"
    case completed = "COMPLETED"
    case canceled = "CANCELED"
    case failed = "FAILED"

    static let documented: [OperationState] = [.processing, .completed, .canceled]
    static let extended: [OperationState] = documented + [.scheduled, .failed]

    /// The emulator's own rule: it ends its operations, so only the states
    /// it ends them in are terminal.
    var isTerminal: Bool { self == .completed || self == .canceled || self == .failed }
}

import DequeModule
import PoolctlAPI
import PoolctlModel

/// Who made a write: a `/v1` request (or an in-process `CommsAPI` call),
/// the background writer (`--background-writes`), or an admin endpoint.
public enum EmulatorWriteActor: String, Sendable, Hashable, Codable {
    case client, background, admin
}

/// Who asks for a write, as the write log records it.
public struct WriteSource: Sendable, Hashable {
    public var actor: EmulatorWriteActor
    /// The request's `User-Agent`, if any.
    public var userAgent: String?

    public init(actor: EmulatorWriteActor, userAgent: String? = nil) {
        self.actor = actor
        self.userAgent = userAgent
    }

    /// An in-process `CommsAPI` call.
    public static let client = WriteSource(actor: .client)
    public static let background = WriteSource(actor: .background)
}

/// One write that took effect (2xx), as `GET /_emulator/writes` shows it.
/// `tagsBefore` is the target pool's tags just before the write (null for
/// a create); `tagsAfter` its tags after it (null for a delete; for a PATCH
/// under `writes=async`, what they will be when it lands on the pool as it
/// is now). `senderIds` only for Add Senders and Remove Sender.
public struct EmulatorWrite: Sendable, Hashable, Codable {
    /// 1, 2, … in order, since start or the last reset.
    public var seq: Int
    /// When the write was accepted: RFC 3339, UTC, milliseconds.
    public var time: String
    public var actor: EmulatorWriteActor
    public var method: String
    /// Templated as poolctl's `Endpoint` names it, e.g. `PATCH /v1/SenderPools/{senderPoolId}`.
    public var endpoint: String
    public var poolId: String?
    public var senderIds: [String]?
    /// The status the response had (or would have had, when the connection
    /// was then reset on purpose).
    public var status: Int
    public var tagsBefore: Tags?
    public var tagsAfter: Tags?
    public var userAgent: String?

    private enum CodingKeys: String, CodingKey {
        case seq, time, actor, method, endpoint, poolId, senderIds, status, tagsBefore, tagsAfter, userAgent
    }

    public init(
        seq: Int, time: String, actor: EmulatorWriteActor, method: String, endpoint: String, poolId: String?,
        senderIds: [String]?, status: Int, tagsBefore: Tags?, tagsAfter: Tags?, userAgent: String?
    ) {
        self.seq = seq
        self.time = time
        self.actor = actor
        self.method = method
        self.endpoint = endpoint
        self.poolId = poolId
        self.senderIds = senderIds
        self.status = status
        self.tagsBefore = tagsBefore
        self.tagsAfter = tagsAfter
        self.userAgent = userAgent
    }

    // Absent values are null, except `senderIds`, which only Add Senders and
    // Remove Sender carry.
    public func encode(to encoder: any Encoder) throws {
        var fields: [String: JSONValue] = [
            "seq": .int(seq), "time": .string(time), "actor": .string(actor.rawValue), "method": .string(method),
            "endpoint": .string(endpoint), "poolId": JSONValue(poolId), "status": .int(status),
            "tagsBefore": JSONValue(tagsBefore), "tagsAfter": JSONValue(tagsAfter), "userAgent": JSONValue(userAgent),
        ]
        if let senderIds { fields["senderIds"] = .array(senderIds.map(JSONValue.string)) }
        try JSONValue.object(fields).encode(to: encoder)
    }
}

/// The body of `GET /_emulator/writes`.
public struct EmulatorWriteLog: Sendable, Hashable, Codable {
    public var writes: [EmulatorWrite]

    public init(writes: [EmulatorWrite]) {
        self.writes = writes
    }
}

/// The latest `capacity` writes; older ones are dropped, `seq` goes on.
struct WriteLog {
    static let capacity = 200_000

    var entries: Deque<EmulatorWrite> = []
    var nextSeq = 1

    mutating func append(_ make: (Int) -> EmulatorWrite) {
        entries.append(make(nextSeq))
        nextSeq += 1
        if entries.count > Self.capacity { entries.removeFirst() }
    }
}

extension EmulatorStore {
    /// `GET /_emulator/writes`: the writes that took effect since start or
    /// reset, oldest first (the latest 200,000).
    public func writes() -> EmulatorWriteLog {
        EmulatorWriteLog(writes: Array(writeLog.entries))
    }

    /// Records a write that took effect at `at` (ms).
    func logWrite(
        _ endpoint: Endpoint, source: WriteSource, poolID: String?, senderIDs: [String]? = nil, status: Int,
        tagsBefore: Tags?, tagsAfter: Tags?, at: Int64
    ) {
        writeLog.append { seq in
            EmulatorWrite(
                seq: seq, time: Timestamp.formatMillis(at), actor: source.actor, method: endpoint.method,
                endpoint: endpoint.rawValue, poolId: poolID, senderIds: senderIDs, status: status,
                tagsBefore: tagsBefore, tagsAfter: tagsAfter, userAgent: source.userAgent)
        }
    }
}

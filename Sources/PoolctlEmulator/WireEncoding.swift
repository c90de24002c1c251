import PoolctlAPI

/// Exactly the declared fields of each response, in a fixed order.
extension JSONWriter {
    mutating func pool(_ pool: SenderPool) {
        raw("{\"id\":"); string(pool.id)
        raw(",\"name\":"); string(pool.name)
        raw(",\"tags\":"); tags(pool.tags)
        raw(",\"createdAt\":"); string(pool.createdAt)
        raw(",\"updatedAt\":"); string(pool.updatedAt)
        raw("}")
    }

    mutating func sender(_ sender: Sender) {
        raw("{\"id\":"); string(sender.id)
        raw(",\"displayName\":"); optionalString(sender.displayName)
        raw(",\"address\":"); string(sender.address)
        raw(",\"channel\":"); string(sender.channel.rawValue)
        raw(",\"status\":"); string(sender.status.rawValue)
        raw(",\"tags\":"); tags(sender.tags)
        raw(",\"createdAt\":"); string(sender.createdAt)
        raw(",\"updatedAt\":"); string(sender.updatedAt)
        raw("}")
    }

    mutating func operation(_ operation: SenderPoolOperation) {
        raw("{\"id\":"); string(operation.id)
        raw(",\"status\":"); string(operation.status.rawValue)
        raw(",\"stats\":{\"total\":"); int(operation.stats.total)
        raw(",\"queued\":"); int(operation.stats.queued)
        raw(",\"created\":"); int(operation.stats.created)
        raw(",\"failed\":"); int(operation.stats.failed)
        raw("},\"createdAt\":"); string(operation.createdAt)
        raw(",\"updatedAt\":"); string(operation.updatedAt)
        raw("}")
    }

    mutating func pagination(_ pagination: Pagination) {
        raw(",\"pagination\":{\"next\":"); optionalString(pagination.next)
        raw(",\"self\":"); string(pagination.current)
        raw("}")
    }

    static func poolList(_ page: Page<SenderPool>) -> [UInt8] {
        list("{\"senderPools\":[", page, itemSize: 200) { $0.pool($1) }
    }

    static func senderList(_ page: Page<Sender>) -> [UInt8] {
        list("{\"senders\":[", page, itemSize: 260) { $0.sender($1) }
    }

    static func operationList(_ page: Page<SenderPoolOperation>) -> [UInt8] {
        list("{\"operations\":[", page, itemSize: 220) { $0.operation($1) }
    }

    /// `{"KEY":[items…],"pagination":{…}}`, written once into a sized buffer;
    /// `opening` is the `{"KEY":[` part.
    private static func list<Item>(_ opening: StaticString, _ page: Page<Item>, itemSize: Int, _ write: (inout JSONWriter, Item) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + page.items.count * itemSize)
        writer.raw(opening)
        for (i, item) in page.items.enumerated() {
            if i > 0 { writer.byte(UInt8(ascii: ",")) }
            write(&writer, item)
        }
        writer.raw("]")
        writer.pagination(page.pagination)
        writer.raw("}")
        return writer.bytes
    }

    static func single(_ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter()
        body(&writer)
        return writer.bytes
    }

    static func operationAccepted(_ accepted: OperationAccepted) -> [UInt8] {
        single { w in
            w.raw("{\"operationId\":"); w.string(accepted.operationId ?? "")
            w.raw(",\"operationLocation\":"); w.string(accepted.operationLocation ?? "")
            w.raw("}")
        }
    }

    static func resourceAccepted(_ accepted: ResourceAccepted) -> [UInt8] {
        single { w in
            w.raw("{\"resourceId\":"); w.string(accepted.resourceId ?? "")
            w.raw(",\"resourceLocation\":"); w.string(accepted.resourceLocation ?? "")
            w.raw("}")
        }
    }

    static func error(status: Int, message: String) -> [UInt8] {
        let code = EmulatorErrors.code(for: status)
        return single { w in
            w.raw("{\"code\":"); w.int(code)
            w.raw(",\"message\":"); w.string(message.isEmpty ? "error" : message)
            w.raw(",\"moreInfo\":"); w.string(EmulatorErrors.moreInfo(code: code))
            w.raw(",\"status\":"); w.int(status)
            w.raw("}")
        }
    }

    static func state(_ state: EmulatorState) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + state.pools.count * 200)
        writer.raw("{\"pools\":[")
        for (i, pool) in state.pools.enumerated() {
            if i > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.raw("{\"id\":"); writer.string(pool.id)
            writer.raw(",\"name\":"); writer.string(pool.name)
            writer.raw(",\"tags\":"); writer.tags(pool.tags)
            writer.raw(",\"senders\":[")
            for (j, sender) in pool.senders.enumerated() {
                if j > 0 { writer.byte(UInt8(ascii: ",")) }
                writer.string(sender)
            }
            writer.raw("]}")
        }
        writer.raw("]}")
        return writer.bytes
    }

    static func requestLog(_ log: EmulatorRequestLog) -> [UInt8] {
        single { w in
            w.raw("{\"total\":"); w.int(log.total)
            w.raw(",\"byEndpoint\":{")
            for (i, key) in log.byEndpoint.keys.sorted().enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(key); w.byte(UInt8(ascii: ":")); w.int(log.byEndpoint[key]!)
            }
            w.raw("},\"byStatus\":{")
            for (i, key) in log.byStatus.keys.sorted(by: { (Int($0) ?? 0) < (Int($1) ?? 0) }).enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(key); w.byte(UInt8(ascii: ":")); w.int(log.byStatus[key]!)
            }
            w.raw("}}")
        }
    }
}

/// `GET /_emulator/requests`: `/v1` requests received since start or reset.
public struct EmulatorRequestLog: Sendable, Hashable, Codable {
    public var total: Int
    /// Keyed by `Endpoint.rawValue`, e.g. `GET /v1/SenderPools`.
    public var byEndpoint: [String: Int]
    /// Keyed by status code as text, e.g. `"200"`.
    public var byStatus: [String: Int]

    public init(total: Int = 0, byEndpoint: [String: Int] = [:], byStatus: [String: Int] = [:]) {
        self.total = total
        self.byEndpoint = byEndpoint
        self.byStatus = byStatus
    }
}

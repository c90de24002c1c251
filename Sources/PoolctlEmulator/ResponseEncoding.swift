import Foundation
import Hummingbird
import NIOCore
import PoolctlModel
import Synchronization

/// Every response the emulator sends is built here: the `/v1` bodies are
/// the emulator's own (`Wire`), the admin and error bodies its own types,
/// all encoded with one JSONEncoder (sorted keys, slashes not escaped), so
/// exactly the declared fields go out. A change to every response body
/// belongs in `body(_:)`: the `unknown-fields` and `nulls` behaviours
/// reshape the tree there.
struct ResponseEncoding: Sendable {
    /// Extra fields in every object (`unknown-fields=on`).
    let unknownFields: Bool
    /// Optional fields null or absent (`nulls=on`).
    let nulls: Bool

    /// The bodies often asked for again, kept by value (`json(memoized:_:_:)`).
    enum Memo { case pool, operation }
    private let poolBodies = BodyMemo<JSONValue>()
    private let operationBodies = BodyMemo<JSONValue>()

    /// The bodies as declared: the admin endpoints, and `/v1` by default.
    static let plain = ResponseEncoding(behaviors: EmulatorBehaviors())

    init(behaviors: EmulatorBehaviors) {
        unknownFields = behaviors.unknownFields
        nulls = behaviors.nulls
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func body(_ value: JSONValue) -> Data {
        // Strings, integers and maps of them only: encoding cannot fail.
        try! Self.encoder.encode(unknownFields || nulls ? shaped(value, under: nil) : value)
    }

    func body(_ value: some Encodable) -> Data {
        let bytes = try! Self.encoder.encode(value)
        guard unknownFields || nulls else { return bytes }
        return body(try! JSONDecoder().decode(JSONValue.self, from: bytes))
    }

    /// The behaviours' changes to one value; `key` is the property it is under.
    private func shaped(_ value: JSONValue, under key: String?) -> JSONValue {
        switch value {
        case .array(let items):
            return .array(items.map { shaped($0, under: nil) })
        case .object(var fields):
            // A tag map is the user's data, not a schema object: left as it is.
            if key == "tags" { return value }
            if nulls { nullify(&fields, under: key) }
            for (name, field) in fields { fields[name] = shaped(field, under: name) }
            if unknownFields {
                fields["accountId"] = .string("AC00000000000000000000000000000000")
                fields["links"] = .object(["docs": .string("https://docs.comms.twilio.com"), "related": .array([])])
                fields["_meta"] = .object(["schemaVersion": .int(2), "preview": .bool(true), "warnings": .null])
            }
            return .object(fields)
        default:
            return value
        }
    }

    /// `nulls=on`: empty tags omitted, `pagination.self` null, a sender's
    /// `displayName` null, operation-stats counters absent while in progress.
    private func nullify(_ fields: inout [String: JSONValue], under key: String?) {
        if case .object(let tags)? = fields["tags"], tags.isEmpty { fields["tags"] = nil }
        if key == "pagination" { fields["self"] = .null }
        if fields["displayName"] != nil { fields["displayName"] = .null }
        if fields["stats"] != nil, case .string(let status)? = fields["status"], OperationState(rawValue: status)?.isTerminal != true {
            fields["stats"] = .object([:])
        }
    }

    func json(_ status: Int, _ value: JSONValue, location: String? = nil, headers extra: HTTPFields = [:]) -> Response {
        response(status, ByteBuffer(bytes: body(value)), location: location, headers: extra)
    }

    func json(_ status: Int, _ value: some Encodable, location: String? = nil, headers extra: HTTPFields = [:]) -> Response {
        response(status, ByteBuffer(bytes: body(value)), location: location, headers: extra)
    }

    /// `json(status, value)` for a value that is often asked for again
    /// (Fetch pool, Fetch operation): the body is a function of the value
    /// alone, so it is kept by value; a changed record is a different key,
    /// and nothing needs invalidating.
    func json(memoized memo: Memo, _ status: Int, _ value: JSONValue) -> Response {
        let bodies = memo == .pool ? poolBodies : operationBodies
        return response(status, bodies.body(for: value) { ByteBuffer(bytes: body(value)) })
    }

    private func response(_ status: Int, _ bytes: ByteBuffer, location: String? = nil, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.contentLength] = String(bytes.readableBytes)
        if let location { headers[.location] = location }
        headers.append(contentsOf: extra)
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: bytes))
    }

    /// A status without a body (`delete-status=204`).
    func empty(_ status: Int) -> Response {
        Response(status: HTTPResponse.Status(code: status), headers: [:], body: ResponseBody())
    }

    func error(_ status: Int, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, ErrorBody(status: status, message: message), headers: headers)
    }
}

/// Encoded bodies by value, at most `limit` of them (emptied when full).
final class BodyMemo<Key: Hashable & Sendable>: Sendable {
    private let bodies = Mutex<[Key: ByteBuffer]>([:])
    let limit = 50_000

    func body(for key: Key, encode: () -> ByteBuffer) -> ByteBuffer {
        if let known = bodies.withLock({ $0[key] }) { return known }
        let encoded = encode()
        bodies.withLock { bodies in
            if bodies.count >= limit { bodies.removeAll(keepingCapacity: true) }
            bodies[key] = encoded
        }
        return encoded
    }
}

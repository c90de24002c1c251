import Foundation
import PoolctlAPI
import PoolctlModel

/// One Comms API request as plain data: method, encoded path, query and JSON
/// body. Built by pure functions so paths, encoding and bodies are tested
/// without a socket; the transport only adds the base URL and headers.
public struct APIRequest: Sendable, Hashable {
    public var endpoint: Endpoint
    /// Percent-encoded path, e.g. `/v1/SenderPools/comms_senderpool_…`.
    public var path: String
    /// Query items in sending order, not yet encoded. Nil values are left out.
    public var query: [QueryItem] = []
    /// JSON body, for POST and PATCH.
    public var body: Data?
    /// The pool the path names, for logs that must not show the path's other ids.
    public var poolID: String?

    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public var method: String { endpoint.method }

    /// The encoded query string, without `?`; empty when there is none.
    public var queryString: String {
        query.map { "\(Self.percentEncode($0.name))=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    }

    /// What goes after the origin: path plus `?query` when there is one.
    public var target: String { query.isEmpty ? path : "\(path)?\(queryString)" }

    // MARK: Encoding

    /// Keeps only RFC 3986 unreserved characters; everything else becomes
    /// `%XX` of its UTF-8 bytes. So `+` in a date-time offset goes out as `%2B`
    /// and is never read as a space.
    public static func percentEncode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(UnicodeScalar(hex[Int(byte >> 4)])) + String(UnicodeScalar(hex[Int(byte & 0xF)]))
            }
        }
        return result
    }

    /// One path segment. `.` and `..` are encoded too, so no id can climb out
    /// of its collection.
    static func segment(_ id: String) -> String {
        if id == "." || id == ".." { return String(repeating: "%2E", count: id.count) }
        return percentEncode(id)
    }

    static func encodeJSON<Body: Encodable>(_ body: Body) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain value types cannot fail.
        return try! encoder.encode(body)
    }
}

// MARK: The endpoints

extension APIRequest {
    static func items(_ pairs: [(String, String?)]) -> [QueryItem] {
        pairs.compactMap { name, value in value.map { QueryItem(name: name, value: $0) } }
    }

    /// A window's date bounds.
    static func dates(_ window: ListWindow) -> [(String, String?)] {
        [("startDate", window.startDate), ("endDate", window.endDate)]
    }

    /// A window's page: last on every list.
    static func page(_ window: ListWindow) -> [(String, String?)] {
        [("pageToken", window.pageToken), ("pageSize", window.pageSize.map(String.init))]
    }

    /// `GET /v1/SenderPools`
    public static func listSenderPools(_ q: SenderPoolQuery) -> APIRequest {
        APIRequest(
            endpoint: .listSenderPools, path: "/v1/SenderPools",
            query: items(dates(q.window) + [("operationId", q.operationId)] + page(q.window)))
    }

    /// `POST /v1/SenderPools` with `{name?, tags?, senders?: [{senderId}]}`.
    public static func createSenderPool(_ body: CreateSenderPoolRequest) -> APIRequest {
        APIRequest(endpoint: .createSenderPool, path: "/v1/SenderPools", body: encodeJSON(body))
    }

    /// `GET /v1/SenderPools/{senderPoolId}`
    public static func fetchSenderPool(id: String) -> APIRequest {
        APIRequest(endpoint: .fetchSenderPool, path: "/v1/SenderPools/\(segment(id))", poolID: id)
    }

    /// `PATCH /v1/SenderPools/{senderPoolId}` with `{name?, tags?}`.
    public static func updateSenderPool(id: String, _ body: UpdateSenderPoolRequest) -> APIRequest {
        APIRequest(endpoint: .updateSenderPool, path: "/v1/SenderPools/\(segment(id))", body: encodeJSON(body), poolID: id)
    }

    /// `DELETE /v1/SenderPools/{senderPoolId}`
    public static func deleteSenderPool(id: String) -> APIRequest {
        APIRequest(endpoint: .deleteSenderPool, path: "/v1/SenderPools/\(segment(id))", poolID: id)
    }

    /// `GET /v1/SenderPools/{senderPoolId}/Senders`
    public static func listPoolSenders(poolID: String, _ q: SenderQuery) -> APIRequest {
        APIRequest(
            endpoint: .listPoolSenders, path: "/v1/SenderPools/\(segment(poolID))/Senders",
            query: items([("channel", q.channel?.rawValue), ("status", q.status?.rawValue)] + dates(q.window) + page(q.window)),
            poolID: poolID)
    }

    /// `POST /v1/SenderPools/{senderPoolId}/Senders` with a top-level array of `{senderId}`.
    public static func addSenders(poolID: String, senderIDs: [String]) -> APIRequest {
        APIRequest(
            endpoint: .addSenders, path: "/v1/SenderPools/\(segment(poolID))/Senders",
            body: encodeJSON(senderIDs.map(SenderReference.init(senderId:))), poolID: poolID)
    }

    /// `DELETE /v1/SenderPools/{senderPoolId}/Senders/{senderId}`
    public static func removeSender(poolID: String, senderID: String) -> APIRequest {
        APIRequest(
            endpoint: .removeSender, path: "/v1/SenderPools/\(segment(poolID))/Senders/\(segment(senderID))", poolID: poolID)
    }

    /// `GET /v1/SenderPools/Operations`
    public static func listOperations(_ q: OperationQuery) -> APIRequest {
        APIRequest(
            endpoint: .listOperations, path: "/v1/SenderPools/Operations",
            query: items(dates(q.window) + [("status", q.status?.rawValue)] + page(q.window)))
    }

    /// `GET /v1/SenderPools/Operations/{operationId}`
    public static func fetchOperation(id: String) -> APIRequest {
        APIRequest(endpoint: .fetchOperation, path: "/v1/SenderPools/Operations/\(segment(id))")
    }

    /// `GET /v1/SenderPools/{senderPoolId}/Senders/Operations/{operationId}`:
    /// the `operationLocation` Add Senders returns.
    public static func fetchPoolSendersOperation(poolID: String, operationID: String) -> APIRequest {
        APIRequest(
            endpoint: .fetchPoolSendersOperation,
            path: "/v1/SenderPools/\(segment(poolID))/Senders/Operations/\(segment(operationID))", poolID: poolID)
    }

    /// `GET /v1/Senders`. The inventory has no date filters, so `startDate` and
    /// `endDate` are not sent (a server that ignores them would mislead).
    public static func listSenders(_ q: SenderQuery) -> APIRequest {
        APIRequest(
            endpoint: .listSenders, path: "/v1/Senders",
            query: items([("channel", q.channel?.rawValue), ("status", q.status?.rawValue)] + page(q.window)))
    }
}

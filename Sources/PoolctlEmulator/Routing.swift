import Hummingbird
import PoolctlAPI

/// Exact, case-sensitive path matching: the path is split on `/` first,
/// then parameter segments are percent-decoded. Empty segments (a trailing
/// slash, `//`) never match.
enum Route {
    case api(APIPath, parameters: [String?])
    case admin(AdminPath)
    case notFound

    enum APIPath {
        case pools, operations, operation, pool, poolSenders, poolSender, poolSendersOperation, senders

        /// The endpoint for a method, or nil (405).
        func endpoint(_ method: HTTPRequest.Method) -> Endpoint? {
            switch (self, method) {
            case (.pools, .get): return .listSenderPools
            case (.pools, .post): return .createSenderPool
            case (.operations, .get): return .listOperations
            case (.operation, .get): return .fetchOperation
            case (.pool, .get): return .fetchSenderPool
            case (.pool, .patch): return .updateSenderPool
            case (.pool, .delete): return .deleteSenderPool
            case (.poolSenders, .get): return .listPoolSenders
            case (.poolSenders, .post): return .addSenders
            case (.poolSender, .delete): return .removeSender
            case (.poolSendersOperation, .get): return .fetchPoolSendersOperation
            case (.senders, .get): return .listSenders
            default: return nil
            }
        }

        var allow: String {
            switch self {
            case .pools, .poolSenders: return "GET, POST"
            case .pool: return "GET, PATCH, DELETE"
            case .poolSender: return "DELETE"
            case .operations, .operation, .poolSendersOperation, .senders: return "GET"
            }
        }
    }

    enum AdminPath {
        case state, reset, requests

        var method: HTTPRequest.Method { self == .reset ? .post : .get }
    }

    static func match(_ path: Substring) -> Route {
        guard path.first == "/" else { return .notFound }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { return .notFound }
        func decoded(_ i: Int) -> String? { PercentDecoding.decode(segments[i]) }
        switch segments.first {
        case "v1":
            break
        case "_emulator":
            guard segments.count == 2 else { return .notFound }
            switch segments[1] {
            case "state": return .admin(.state)
            case "reset": return .admin(.reset)
            case "requests": return .admin(.requests)
            default: return .notFound
            }
        default:
            return .notFound
        }
        if segments.count == 2 && segments[1] == "Senders" { return .api(.senders, parameters: []) }
        guard segments.count >= 2, segments[1] == "SenderPools" else { return .notFound }
        switch segments.count {
        case 2:
            return .api(.pools, parameters: [])
        case 3:
            if segments[2] == "Operations" { return .api(.operations, parameters: []) }
            return .api(.pool, parameters: [decoded(2)])
        case 4:
            if segments[2] == "Operations" { return .api(.operation, parameters: [decoded(3)]) }
            if segments[3] == "Senders" { return .api(.poolSenders, parameters: [decoded(2)]) }
            return .notFound
        case 5:
            guard segments[2] != "Operations", segments[3] == "Senders" else { return .notFound }
            return .api(.poolSender, parameters: [decoded(2), decoded(4)])
        case 6:
            guard segments[2] != "Operations", segments[3] == "Senders", segments[4] == "Operations" else { return .notFound }
            return .api(.poolSendersOperation, parameters: [decoded(2), decoded(5)])
        default:
            return .notFound
        }
    }
}

enum PercentDecoding {
    /// Percent-decodes (no `+` to space); nil for a bad escape or invalid UTF-8.
    static func decode(_ text: Substring) -> String? {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { out.append(byte); continue }
            guard let high = iterator.next().flatMap(JSONReader.hexValue),
                  let low = iterator.next().flatMap(JSONReader.hexValue) else { return nil }
            out.append(UInt8(high << 4 | low))
        }
        return String(validating: out, as: UTF8.self)
    }
}

/// The query string of one request.
struct QueryString {
    /// Decoded pairs in order; keys that do not decode are dropped.
    var pairs: [(key: String, value: String?)] = []

    init(_ query: Substring?) {
        guard let query, !query.isEmpty else { return }
        for piece in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key: Substring
            let value: Substring
            if let equals = piece.firstIndex(of: "=") {
                key = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                key = piece
                value = ""
            }
            guard let decodedKey = PercentDecoding.decode(key) else { continue }
            pairs.append((decodedKey, PercentDecoding.decode(value)))
        }
    }

    /// The known parameters, or a message for a 400 (repeated parameter,
    /// undecodable value). Unknown parameters are ignored.
    func known(_ names: Set<String>) -> Result<[String: String], QueryProblem> {
        var values: [String: String] = [:]
        for (key, value) in pairs where names.contains(key) {
            guard values[key] == nil else { return .failure(QueryProblem(message: "query parameter '\(key)' is repeated")) }
            guard let value else { return .failure(QueryProblem(message: "query parameter '\(key)' is not valid percent-encoded UTF-8")) }
            values[key] = value
        }
        return .success(values)
    }
}

struct QueryProblem: Error {
    var message: String
}

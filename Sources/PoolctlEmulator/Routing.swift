import Foundation
import Hummingbird
import PoolctlAPI
import PoolctlModel

/// Exact, case-sensitive path matching: the path is split on `/` first,
/// then parameter segments are percent-decoded. Empty segments (a trailing
/// slash, `//`) never match.
enum Route {
    case api(APIPath, parameters: [String?])
    case admin(AdminPath)
    case notFound

    enum APIPath {
        case pools, operations, operation, pool, poolSenders, poolSender, poolSendersOperation, senders

        /// Each path's methods, in `Allow` order, and their endpoints.
        static let methods: [APIPath: [(method: HTTPRequest.Method, endpoint: Endpoint)]] = [
            .pools: [(.get, .listSenderPools), (.post, .createSenderPool)],
            .operations: [(.get, .listOperations)],
            .operation: [(.get, .fetchOperation)],
            .pool: [(.get, .fetchSenderPool), (.patch, .updateSenderPool), (.delete, .deleteSenderPool)],
            .poolSenders: [(.get, .listPoolSenders), (.post, .addSenders)],
            .poolSender: [(.delete, .removeSender)],
            .poolSendersOperation: [(.get, .fetchPoolSendersOperation)],
            .senders: [(.get, .listSenders)],
        ]

        /// The endpoint for a method, or nil (405).
        func endpoint(_ method: HTTPRequest.Method) -> Endpoint? {
            Self.methods[self]?.first { $0.method == method }?.endpoint
        }

        /// The `Allow` header of a 405.
        var allow: String {
            (Self.methods[self] ?? []).map(\.method.rawValue).joined(separator: ", ")
        }
    }

    enum AdminPath {
        case state, reset, requests, writes

        var method: HTTPRequest.Method { self == .reset ? .post : .get }
    }

    static func match(_ path: Substring) -> Route {
        guard path.first == "/" else { return .notFound }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: \.isEmpty) { return .notFound }
        // Foundation's decoding only when there is something to decode.
        func decoded(_ i: Int) -> String? {
            segments[i].utf8.contains(UInt8(ascii: "%")) ? segments[i].removingPercentEncoding : String(segments[i])
        }
        switch segments.first {
        case "v1":
            break
        case "_emulator":
            guard segments.count == 2 else { return .notFound }
            switch segments[1] {
            case "state": return .admin(.state)
            case "reset": return .admin(.reset)
            case "requests": return .admin(.requests)
            case "writes": return .admin(.writes)
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

import Foundation
import PoolctlAPI

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
            // No `+` to space: clients send `%2B` (API-DECISIONS.md).
            guard let decodedKey = key.removingPercentEncoding else { continue }
            pairs.append((decodedKey, value.removingPercentEncoding))
        }
    }

    /// The known parameters, or a 400 (repeated parameter, undecodable
    /// value). Unknown parameters are ignored.
    func known(_ names: Set<String>) throws(APIError) -> [String: String] {
        var values: [String: String] = [:]
        for (key, value) in pairs where names.contains(key) {
            guard values[key] == nil else { throw APIError.http(400, "query parameter '\(key)' is repeated") }
            guard let value else { throw APIError.http(400, "query parameter '\(key)' is not valid percent-encoded UTF-8") }
            values[key] = value
        }
        return values
    }

    /// The window among the known parameters; the store checks its values.
    static func window(_ values: [String: String]) throws(APIError) -> ListWindow {
        ListWindow(
            startDate: values["startDate"], endDate: values["endDate"], pageSize: try pageSize(values), pageToken: values["pageToken"])
    }

    /// `pageSize` as digits only; the store checks the range.
    static func pageSize(_ values: [String: String]) throws(APIError) -> Int? {
        guard let text = values["pageSize"] else { return nil }
        guard !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(text) else {
            throw APIError.http(400, "pageSize must be an integer between 1 and 1000, got '\(FieldRules.clip(text))'")
        }
        return value
    }
}

/// Stops a listing whose pages keep naming a next page yet bring nothing
/// new: a fresh token each time slips past the repeated-token check, and
/// the listing would run forever without a word.
public struct PageStreak: Sendable {
    /// Pages in a row that may bring nothing: an API may return an empty
    /// page now and then (a filter, a deleted item), never this many.
    public static let limit = 10
    private var idle = 0
    /// The list's call, for the error (`GET /v1/SenderPools`).
    private let method: String
    private let path: String

    public init(method: String = "", path: String = "") {
        self.method = method
        self.path = path
    }

    /// After a page: `added`, the items it brought that were not seen
    /// before; `next`, whether it names another page.
    public mutating func record(added: Int, next: Bool) throws {
        idle = added == 0 && next ? idle + 1 : 0
        guard idle < Self.limit else {
            throw APIError(
                kind: .invalidResponse, method: method, path: path,
                message:
                    "the API returned \(Self.limit) pages in a row that brought nothing new, each naming another page; stopped paging to avoid an endless loop"
            )
        }
    }

    /// A next-page token the list already gave: following it would page forever.
    public static func repeatedToken(_ token: String, method: String, path: String) -> APIError {
        APIError(
            kind: .invalidResponse, method: method, path: path,
            message: "the API returned page token '\(token.prefix(40))' a second time; stopped paging to avoid an endless loop")
    }
}

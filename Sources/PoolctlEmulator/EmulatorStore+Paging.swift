import Algorithms
import PoolctlAPI

/// Keyset pagination shared by the four lists: the query's page size,
/// token and date bounds, and one page over a collection sorted by
/// (`createdAt` seconds, `id`).
extension EmulatorStore {
    struct ListParameters {
        var cursor: Cursor
        var pageSize: Int
        /// Items need `seconds >= lowerSeconds` and `seconds < upperSeconds`.
        var lowerSeconds: Int64?
        var upperSeconds: Int64?
    }

    static func listParameters(
        _ endpoint: Endpoint, kind: EmulatorIDKind, pageToken: String?, pageSize: Int?,
        startDate: String?, endDate: String?
    ) throws(APIError) -> ListParameters {
        var parameters = ListParameters(cursor: .start, pageSize: 50)
        if let pageSize {
            guard (1...1000).contains(pageSize) else { throw badRequest(endpoint, "pageSize must be between 1 and 1000, got \(pageSize)") }
            parameters.pageSize = pageSize
        }
        if let pageToken {
            guard let cursor = Cursor.decode(pageToken, kind: kind) else {
                throw badRequest(endpoint, "pageToken is not a valid page token for this list")
            }
            parameters.cursor = cursor
        }
        if let startDate {
            guard let instant = Timestamp.parseRFC3339(startDate) else {
                throw badRequest(endpoint, "startDate '\(FieldRules.clip(startDate))' is not an RFC 3339 date-time")
            }
            parameters.lowerSeconds = instant.ceilingSeconds
        }
        if let endDate {
            guard let instant = Timestamp.parseRFC3339(endDate) else {
                throw badRequest(endpoint, "endDate '\(FieldRules.clip(endDate))' is not an RFC 3339 date-time")
            }
            parameters.upperSeconds = instant.ceilingSeconds
        }
        return parameters
    }

    /// One page of the items `0..<count` (sorted by seconds, then id) that
    /// pass `include`: binary searches for the start and end, then a scan that
    /// stops after pageSize + 1 matches.
    static func page<Item>(
        count: Int, seconds: (Int) -> Int64, id: (Int) -> String, parameters: ListParameters,
        include: (Int) -> Bool, item: (Int) -> Item
    ) -> Page<Item> {
        let all = 0..<count
        var lower = 0
        if let position = parameters.cursor.position {
            lower = all.partitioningIndex { i in
                let s = seconds(i)
                return s != position.seconds ? s > position.seconds : id(i) >= position.id
            }
        }
        if let lowerSeconds = parameters.lowerSeconds {
            lower = max(lower, all.partitioningIndex { seconds($0) >= lowerSeconds })
        }
        let upper = parameters.upperSeconds.map { bound in all.partitioningIndex { seconds($0) >= bound } } ?? count
        var items: [Item] = []
        items.reserveCapacity(min(parameters.pageSize + 1, max(0, upper - lower)))
        var next: Cursor?
        for i in lower..<max(lower, upper) where include(i) {
            if items.count == parameters.pageSize {
                next = Cursor(position: .init(seconds: seconds(i), id: id(i)))
                break
            }
            items.append(item(i))
        }
        return Page(items: items, pagination: Pagination(next: next?.token, current: parameters.cursor.token))
    }
}

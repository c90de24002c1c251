import Algorithms
import PoolctlAPI
import PoolctlModel

/// Pagination shared by the four lists: the query's page size, token and
/// date bounds, and one page over a collection sorted by (`createdAt`
/// microseconds, `id`). By default a keyset cursor over that ascending
/// order; under `paging=offset` page numbers over the reverse order, newest
/// first, so that a create lands before every cursor.
extension EmulatorStore {
    struct ListParameters {
        var cursor: PageCursor
        var pageSize: Int
        /// Items need `micros >= lowerMicros` and `micros < upperMicros`.
        var lowerMicros: Int64?
        var upperMicros: Int64?
    }

    /// The window List SenderPools and List Operations serve: under
    /// `filters=ignored` their date bounds are neither checked nor applied.
    nonisolated func served(_ window: ListWindow) -> ListWindow {
        guard behaviors.filters == .ignored else { return window }
        var served = window
        served.startDate = nil
        served.endDate = nil
        return served
    }

    /// The page size a request gets: its own (1..1000, default 50), capped
    /// silently at `max-page-size`.
    nonisolated func listParameters(_ endpoint: Endpoint, kind: EmulatorIDKind, window: ListWindow) throws(APIError) -> ListParameters {
        let offset = behaviors.paging == .offset
        var parameters = ListParameters(
            cursor: offset ? .offset(OffsetToken(page: 0)) : .keyset(Cursor(position: nil, style: timestampStyle)), pageSize: 50)
        if let pageSize = window.pageSize {
            guard (1...1000).contains(pageSize) else {
                throw Self.badRequest(endpoint, "pageSize must be between 1 and 1000, got \(pageSize)")
            }
            parameters.pageSize = pageSize
        }
        parameters.pageSize = min(parameters.pageSize, behaviors.maxPageSize)
        if let pageToken = window.pageToken {
            if offset {
                guard let token = OffsetToken.decode(pageToken) else {
                    throw Self.badRequest(endpoint, "pageToken is not a valid page token for this list")
                }
                parameters.cursor = .offset(token)
            } else {
                guard let cursor = Cursor.decode(pageToken, kind: kind, style: timestampStyle) else {
                    throw Self.badRequest(endpoint, "pageToken is not a valid page token for this list")
                }
                parameters.cursor = .keyset(cursor)
            }
        }
        if let startDate = window.startDate {
            guard let instant = Timestamp.parseRFC3339(startDate) else {
                throw Self.badRequest(endpoint, "startDate '\(FieldRules.clip(startDate))' is not an RFC 3339 date-time")
            }
            parameters.lowerMicros = instant.ceilingMicros
        }
        if let endDate = window.endDate {
            guard let instant = Timestamp.parseRFC3339(endDate) else {
                throw Self.badRequest(endpoint, "endDate '\(FieldRules.clip(endDate))' is not an RFC 3339 date-time")
            }
            parameters.upperMicros = instant.ceilingMicros
        }
        return parameters
    }

    /// One page of the items `0..<count` (sorted by micros, then id) that
    /// pass `include`: binary searches for the date bounds (and the keyset
    /// cursor), then a scan that stops after pageSize + 1 matches. Under
    /// `paging=offset` the scan runs backwards and first skips page × pageSize
    /// matches.
    static func page<Item>(
        count: Int, micros: (Int) -> Int64, id: (Int) -> String, parameters: ListParameters,
        include: (Int) -> Bool, item: (Int) -> Item
    ) -> ListPage<Item> {
        let all = 0..<count
        var lower = parameters.lowerMicros.map { bound in all.partitioningIndex { micros($0) >= bound } } ?? 0
        let upper = parameters.upperMicros.map { bound in all.partitioningIndex { micros($0) >= bound } } ?? count
        var items: [Item] = []
        items.reserveCapacity(min(parameters.pageSize + 1, max(0, upper - lower)))

        switch parameters.cursor {
        case .keyset(let cursor):
            if let position = cursor.position {
                lower = max(
                    lower,
                    all.partitioningIndex { i in
                        let t = micros(i)
                        return t != position.micros ? t > position.micros : id(i) >= position.id
                    })
            }
            var next: Cursor?
            for i in lower..<max(lower, upper) where include(i) {
                if items.count == parameters.pageSize {
                    next = Cursor(position: .init(micros: micros(i), id: id(i)), style: cursor.style)
                    break
                }
                items.append(item(i))
            }
            return ListPage(items: items, next: next?.token, current: cursor.token)

        case .offset(let token):
            // page <= OffsetToken.maxPage and pageSize <= 1000: no overflow.
            var skip = token.page * parameters.pageSize
            var more = false
            for i in stride(from: upper - 1, through: lower, by: -1) where include(i) {
                if skip > 0 {
                    skip -= 1
                    continue
                }
                if items.count == parameters.pageSize {
                    more = true
                    break
                }
                items.append(item(i))
            }
            return ListPage(items: items, next: more ? OffsetToken(page: token.page + 1).token : nil, current: token.token)
        }
    }
}

/// One page of a list: its items, the token of the page after it (nil on
/// the last page) and its own token.
struct ListPage<Item> {
    var items: [Item]
    var next: String?
    var current: String

    func map<T>(_ transform: (Item) -> T) -> ListPage<T> {
        ListPage<T>(items: items.map(transform), next: next, current: current)
    }

    /// The body of this page of `list`, its items already JSON.
    func body(_ list: Wire.List) -> JSONValue where Item == JSONValue {
        Wire.page(list, items, next: next, current: current)
    }
}

extension ListPage: Sendable where Item: Sendable {}

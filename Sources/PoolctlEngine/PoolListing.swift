import PoolctlAPI
import PoolctlModel

/// One pass over List SenderPools, page by page. A listing is not a
/// snapshot: while other users write, offset paging can show a pool twice
/// (a create before the cursor shifts it forward) or skip one (a delete
/// before the cursor shifts it back). So a listing keeps each id once and
/// remembers where its page boundaries fell, and a pool missing from one
/// listing counts as absent only when a second listing with other
/// boundaries misses it too (`PoolSightings`).
public struct PoolListing: Sendable {
    /// Every pool seen, each id once, in the order first seen; a later
    /// sighting of the same id replaces the data (it is the fresher read).
    public private(set) var pools: [SenderPool]
    /// The `pageSize` asked for.
    public var requestedPageSize: Int
    /// Items each page returned, in order. The server may cap pages below
    /// the size asked for, so boundaries come from what it returned.
    public private(set) var pageLengths: [Int]
    /// Sightings of an id already seen: evidence that pages shifted.
    public private(set) var repeats: Int

    public init(requestedPageSize: Int) {
        self.pools = []
        self.requestedPageSize = requestedPageSize
        self.pageLengths = []
        self.repeats = 0
    }

    /// A listing made of pages already read (tests, or a single page).
    public init(pages: [[SenderPool]], requestedPageSize: Int) {
        self.init(requestedPageSize: requestedPageSize)
        for page in pages { append(page: page) }
    }

    private var index: [String: Int] = [:]

    public mutating func append(page items: [SenderPool]) {
        pageLengths.append(items.count)
        for pool in items {
            if let at = index[pool.id] {
                repeats += 1
                pools[at] = pool
            } else {
                index[pool.id] = pools.count
                pools.append(pool)
            }
        }
    }

    /// One response held the whole list, so paging could not skip or
    /// repeat anything in it.
    public var isSinglePage: Bool { pageLengths.count <= 1 }

    /// The page length the server actually used: the first page's.
    public var effectivePageSize: Int { pageLengths.first ?? requestedPageSize }

    /// A page size whose boundaries differ from this listing's: one less
    /// than the length the server used (one more when that is 1). With
    /// lengths L and L-1, boundary k (k*L vs k*(L-1)) differs for every k >= 1.
    public var differentPageSize: Int {
        let used = max(1, effectivePageSize)
        return used > 1 ? used - 1 : min(APIFormat.maxPageSize, used + 1)
    }

    public func contains(id: String) -> Bool { index[id] != nil }

    /// Reads every page with `pageSize`, following `pagination.next`, with
    /// the same filters on every page. A token that comes back stops paging
    /// with an error rather than looping.
    public static func read(_ api: any CommsAPI, pageSize: Int = APIFormat.maxPageSize, query: SenderPoolQuery = SenderPoolQuery())
        async throws -> PoolListing
    {
        var listing = PoolListing(requestedPageSize: pageSize)
        var seenTokens: Set<String> = []
        var token: String?
        repeat {
            var page = query
            page.pageSize = pageSize
            page.pageToken = token
            let response = try await api.listSenderPools(page)
            listing.append(page: response.items)
            token = response.pagination.next
            if let token, !seenTokens.insert(token).inserted {
                throw APIError(
                    kind: .invalidResponse,
                    message: "the API returned page token '\(token.prefix(40))' a second time; stopped paging to avoid an endless loop")
            }
        } while token != nil
        return listing
    }
}

/// Everything several listings saw. A pool seen in any listing exists; a
/// pool is confirmed absent only when two listings whose page boundaries
/// differ both miss it (or one listing that was a single page misses it).
public struct PoolSightings: Sendable {
    public private(set) var listings: [PoolListing] = []

    public init(_ listings: [PoolListing] = []) {
        for listing in listings { add(listing) }
    }

    public mutating func add(_ listing: PoolListing) { listings.append(listing) }

    /// Every pool any listing showed, each id once, with the data of the
    /// latest listing that showed it; in the order first seen.
    public var pools: [SenderPool] {
        var order: [String] = []
        var latest: [String: SenderPool] = [:]
        for listing in listings {
            for pool in listing.pools {
                if latest.updateValue(pool, forKey: pool.id) == nil { order.append(pool.id) }
            }
        }
        return order.map { latest[$0]! }
    }

    /// Whether what these listings missed can be trusted as absent: one
    /// single-page listing, or two listings with different page boundaries.
    public var confirmsAbsence: Bool {
        if listings.contains(where: \.isSinglePage) { return true }
        let sizes = Set(listings.map(\.effectivePageSize))
        return sizes.count >= 2
    }

    /// The page size for the next listing: one whose boundaries differ
    /// from the latest listing's.
    public var nextPageSize: Int { listings.last?.differentPageSize ?? APIFormat.maxPageSize }
}

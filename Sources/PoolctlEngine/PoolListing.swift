import Foundation
import PoolctlAPI
import PoolctlModel

/// One pass over List SenderPools, page by page. A listing is not a
/// snapshot: while other users write, offset paging can show a pool twice
/// (a create before the cursor shifts it forward) or skip one (a delete
/// before the cursor shifts it back). So a listing keeps each id once and
/// remembers where its page boundaries fell, and a pool missing from one
/// listing counts as absent only when a later listing shows that the first
/// one skipped nothing at any of its boundaries (`PoolSightings`).
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
    /// The page boundaries where a pool could have been skipped: the last id
    /// before each one and the first after it (nil after the last page when
    /// that came back empty). A boundary where the next page began inside
    /// the page before it is left out: pages shifted forward there, so the
    /// next page covers everything after. nil when a page other than the
    /// last came back empty, which leaves a boundary with no id before it.
    public private(set) var openBoundaries: [Adjacency]?

    /// Two ids with nothing between them, as one page showed them; `after`
    /// nil stands for the end of the list.
    public struct Adjacency: Hashable, Sendable {
        public var before: String
        public var after: String?
    }

    public init(requestedPageSize: Int) {
        self.pools = []
        self.requestedPageSize = requestedPageSize
        self.pageLengths = []
        self.repeats = 0
        self.openBoundaries = []
    }

    /// A listing made of pages already read (tests, or a single page).
    public init(pages: [[SenderPool]], requestedPageSize: Int) {
        self.init(requestedPageSize: requestedPageSize)
        for page in pages { append(page: page) }
    }

    private var index: [String: Int] = [:]
    /// Ids next to each other on one page.
    private var adjacent: Set<Adjacency> = []
    private var previousPage: Set<String> = []
    private var previousLast: String?

    public mutating func append(page items: [SenderPool]) {
        if !pageLengths.isEmpty {
            if let before = previousLast {
                if let first = items.first?.id {
                    if !previousPage.contains(first) { openBoundaries?.append(Adjacency(before: before, after: first)) }
                } else {
                    openBoundaries?.append(Adjacency(before: before, after: nil))
                }
            } else {
                openBoundaries = nil
            }
        }
        for (left, right) in zip(items, items.dropFirst()) { adjacent.insert(Adjacency(before: left.id, after: right.id)) }
        previousPage = Set(items.map(\.id))
        previousLast = items.last?.id
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

    /// The page length the server actually used: the first page's when
    /// another page followed it; a lone page says nothing about a cap, so
    /// it stands for the size asked (and a listing after it stays one page).
    public var effectivePageSize: Int { pageLengths.count > 1 ? pageLengths[0] : requestedPageSize }

    /// A page size whose boundaries differ from this listing's: one less
    /// than the length the server used (one more when that is 1). With
    /// lengths L and L-1, boundary k (k*L vs k*(L-1)) differs for every k >= 1.
    public var differentPageSize: Int {
        let used = max(1, effectivePageSize)
        return used > 1 ? used - 1 : min(APIFormat.maxPageSize, used + 1)
    }

    public func contains(id: String) -> Bool { index[id] != nil }

    /// Whether one page of this listing showed the two ids with nothing
    /// between them (for the end of the list: its last page, not empty,
    /// ended with `before`). A pool between them that existed when that
    /// page was read would have been on it, because a page is a contiguous
    /// slice of the list's order.
    public func shows(_ pair: Adjacency) -> Bool {
        guard let after = pair.after else { return previousLast == pair.before }
        return adjacent.contains(Adjacency(before: pair.before, after: after))
    }

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

/// Everything several listings saw. A pool seen in any listing exists. A
/// pool all of them missed counts as absent only when one listing provably
/// skipped nothing (pages in a stable order, ids never reused):
/// - it was a single page; or
/// - nothing repeated in it, and later listings show every pool it showed.
///   A skip needs more deletes than creates before the cursor between two
///   pages; a create there with no delete would have repeated an id, and a
///   delete removes a pool this listing had already shown, which no later
///   listing can show again; or
/// - at each of its page boundaries, the next page began inside the page
///   before it, or a later listing showed the ids on either side of the
///   boundary next to each other on one page: a pool skipped there sits
///   between those two, so a page that shows them adjacent proves it gone.
/// Two listings that merely differ in page size are not enough: while
/// other users delete pools, pages of L and L-1 can skip the same pool.
public struct PoolSightings: Sendable {
    /// Most listings any caller takes before giving up on confirmation.
    public static let maxListings = 10

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

    /// Whether the listing at `at` provably skipped nothing, judged by the
    /// listings after it.
    public func skippedNothing(at: Int) -> Bool {
        let listing = listings[at]
        if listing.isSinglePage { return true }
        let later = listings[(at + 1)...]
        if listing.repeats == 0, listing.pools.allSatisfy({ pool in later.contains { $0.contains(id: pool.id) } }) {
            return true
        }
        guard let open = listing.openBoundaries else { return false }
        return open.allSatisfy { pair in later.contains { $0.shows(pair) } }
    }

    /// Whether what these listings missed can be trusted as absent.
    public var confirmsAbsence: Bool {
        listings.indices.contains { skippedNothing(at: $0) }
    }

    /// Whether one more listing could still confirm absence: fewer than
    /// `maxListings`, and not three listings that all kept the same
    /// boundaries whatever `pageSize` asked (a server that ignores it, where
    /// only a pause in deletes could still confirm: not worth 10 listings).
    public var mayConfirmWithMoreListings: Bool {
        guard !confirmsAbsence, listings.count < Self.maxListings else { return false }
        return listings.count < 3 || Set(listings.map(\.effectivePageSize)).count >= 2
    }

    /// Why absence is not confirmed, for a diagnostic; nil when it is.
    public var unconfirmedReason: String? {
        guard !confirmsAbsence, let latest = listings.last else { return nil }
        if listings.count >= 3, Set(listings.map(\.effectivePageSize)).count < 2 {
            return
                "\(listings.count) listings of several pages each came back with the same page boundaries (\(latest.effectivePageSize) pools a page) whatever pageSize was asked, and pools were deleted while they paged, so a pool skipped by one could be skipped by all"
        }
        return
            "no listing of \(listings.count) was shown by a later one to have skipped nothing (pools were deleted or pages shifted while they paged), so a pool all of them missed may still exist"
    }

    /// The page size for the next listing: one whose boundaries differ
    /// from the latest listing's. Alternates between the first listing's
    /// size and one less, rather than shrinking pages (and adding calls,
    /// and with them more chances to shift) every time.
    public var nextPageSize: Int {
        guard let first = listings.first, let latest = listings.last else { return APIFormat.maxPageSize }
        return latest.effectivePageSize == first.effectivePageSize ? first.differentPageSize : first.requestedPageSize
    }
}

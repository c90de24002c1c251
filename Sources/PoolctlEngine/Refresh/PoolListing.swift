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
    public var pageLengths: [Int] { pageIDs.map(\.count) }
    /// Sightings of an id already seen: evidence that pages shifted.
    public private(set) var repeats: Int
    /// The ids of each page, in order.
    public private(set) var pageIDs: [[String]]
    /// The first page that repeated an id seen on an earlier page.
    public private(set) var firstRepeatPage: Int?

    public init(requestedPageSize: Int) {
        self.pools = []
        self.requestedPageSize = requestedPageSize
        self.repeats = 0
        self.pageIDs = []
    }

    /// A listing made of pages already read (tests, or a single page).
    public init(pages: [[SenderPool]], requestedPageSize: Int) {
        self.init(requestedPageSize: requestedPageSize)
        for page in pages { append(page: page) }
    }

    private var index: [String: Int] = [:]
    /// Where each id was seen: page and slot (the latest sighting).
    private var placement: [String: (page: Int, slot: Int)] = [:]

    public mutating func append(page items: [SenderPool]) {
        for (slot, pool) in items.enumerated() { placement[pool.id] = (pageIDs.count, slot) }
        for pool in items {
            if let at = index[pool.id] {
                repeats += 1
                if firstRepeatPage == nil { firstRepeatPage = pageIDs.count }
                pools[at] = pool
            } else {
                index[pool.id] = pools.count
                pools.append(pool)
            }
        }
        pageIDs.append(items.map(\.id))
    }

    /// One response held the whole list, so paging could not skip or
    /// repeat anything in it.
    public var isSinglePage: Bool { pageIDs.count <= 1 }

    /// The page length the server actually used: the first page's when
    /// another page followed it; a lone page says nothing about a cap, so
    /// it stands for the size asked (and a listing after it stays one page).
    public var effectivePageSize: Int { pageIDs.count > 1 ? pageIDs[0].count : requestedPageSize }

    /// A page size whose boundaries differ from this listing's: one less
    /// than the length the server used (one more when that is 1). With
    /// lengths L and L-1, boundary k (k*L vs k*(L-1)) differs for every k >= 1.
    public var differentPageSize: Int {
        let used = max(1, effectivePageSize)
        return used > 1 ? used - 1 : min(APIFormat.maxPageSize, used + 1)
    }

    public func contains(id: String) -> Bool { index[id] != nil }

    /// The page boundaries where a pool could have been skipped: boundary
    /// `i` lies between pages `i` and `i + 1`. A boundary where the next
    /// page began inside the page before it (repeated one of its ids) is
    /// left out: pages shifted forward there, so the next page covers
    /// everything after. Nil when a page other than the last came back
    /// empty, which leaves a boundary with nothing before it.
    public var openBoundaries: [Int]? {
        guard pageIDs.count > 1 else { return [] }
        var open: [Int] = []
        for i in 0..<(pageIDs.count - 1) {
            let before = pageIDs[i]
            if before.isEmpty { return nil }
            if let first = pageIDs[i + 1].first, before.contains(first) { continue }
            open.append(i)
        }
        return open
    }

    /// Whether this listing, taken after `earlier`, proves that `earlier`
    /// hid nothing that still exists at its boundary `i`: one of its pages
    /// shows a pool of `earlier`'s page `i` and, further on the same page, a
    /// pool of its page `i + 1`. A pool skipped at that boundary sits
    /// between every pool of page `i` and every pool of page `i + 1` (pages
    /// are contiguous slices of the order), so if it still exists, that page
    /// shows it. Any two will do, so pools deleted since (often the two at
    /// the boundary) do not keep the boundary open. After an empty last
    /// page, this listing's last page must show a pool of page `i`.
    public func closes(boundary i: Int, of earlier: PoolListing) -> Bool {
        let before = earlier.pageIDs[i]
        let after = earlier.pageIDs[i + 1]
        guard !after.isEmpty else {
            return before.contains { placement[$0]?.page == pageIDs.count - 1 }
        }
        // Per page of this listing: the first slot showing a pool of `before`.
        var firstBefore: [Int: Int] = [:]
        for id in before {
            guard let (page, slot) = placement[id] else { continue }
            firstBefore[page] = min(firstBefore[page] ?? slot, slot)
        }
        guard !firstBefore.isEmpty else { return false }
        return after.contains { id in
            guard let (page, slot) = placement[id], let start = firstBefore[page] else { return false }
            return start < slot
        }
    }

    /// Reads every page with `pageSize`, following `pagination.next`, with
    /// the same filters on every page. A token that comes back stops paging
    /// with an error rather than looping.
    public static func read(_ api: any CommsAPI, pageSize: Int = APIFormat.maxPageSize, query: SenderPoolQuery = SenderPoolQuery())
        async throws -> PoolListing
    {
        var listing = PoolListing(requestedPageSize: pageSize)
        var seenTokens: Set<String> = []
        var streak = PageStreak(method: "GET", path: "/v1/SenderPools")
        var token: String?
        repeat {
            var page = query
            page.window.pageSize = pageSize
            page.window.pageToken = token
            let response = try await api.listSenderPools(page)
            let before = listing.pools.count
            listing.append(page: response.items)
            token = response.pagination.next
            try streak.record(added: listing.pools.count - before, next: token != nil)
            if let token, !seenTokens.insert(token).inserted {
                throw PageStreak.repeatedToken(token, method: "GET", path: "/v1/SenderPools")
            }
        } while token != nil
        return listing
    }
}

/// Everything several listings saw. A pool seen in any listing exists. A
/// pool all of them missed counts as absent only when one listing provably
/// skipped nothing (pages in a stable order, ids never reused): it was a
/// single page, or each of its page boundaries is closed:
/// - the next page began inside the page before it (it repeated an id); or
/// - a later listing shows, on one page, a pool of the page before the
///   boundary and further on a pool of the page after it: whatever still
///   exists between them is on that page (`PoolListing.closes`); or
/// - no id repeated up to that boundary, and later listings show every pool
///   of the pages before it. A skip needs more deletes than creates before
///   the cursor; a create there with no delete would have repeated an id,
///   and a delete removes a pool this listing had already shown (or one
///   created during it, which comes back to the same), which no later
///   listing can show again.
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
    public var pools: [SenderPool] { listings.flatMap(\.pools).latestSightings(by: \.id) }

    /// Whether the listing at `at` provably skipped nothing, judged by the
    /// listings after it.
    public func skippedNothing(at: Int) -> Bool {
        let listing = listings[at]
        if listing.isSinglePage { return true }
        guard let open = listing.openBoundaries else { return false }
        if open.isEmpty { return true }
        let later = listings[(at + 1)...]
        guard !later.isEmpty else { return false }
        // The last page whose pools, and every earlier page's, later
        // listings all show, with no id repeated up to it.
        var shownThrough = -1
        for (page, ids) in listing.pageIDs.enumerated() {
            if let repeated = listing.firstRepeatPage, repeated <= page { break }
            guard ids.allSatisfy({ id in later.contains { $0.contains(id: id) } }) else { break }
            shownThrough = page
        }
        return open.allSatisfy { i in i <= shownThrough || later.contains { $0.closes(boundary: i, of: listing) } }
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

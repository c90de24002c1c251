import Foundation
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
/// pool all of them missed counts as absent only when the listings make a
/// skip of that pool improbable:
/// - one listing that was a single page (nothing could shift in it); or
/// - two listings with different page boundaries and no sign of shifting
///   (no id repeated, no pool missed between two listings that both show
///   it): a steady writer that hides a pool at one listing's boundary
///   cannot hide it at the other's; or
/// - when pages did shift, enough listings that the observed miss rate r
///   (shift evidence per pool listed) leaves r^n <= `tolerance`.
public struct PoolSightings: Sendable {
    /// Most listings any caller takes before giving up on confirmation.
    public static let maxListings = 10
    /// The chance, estimated from the observed shifts, that every listing
    /// skipped one given pool, below which a miss counts as absence.
    public static let tolerance = 1e-4

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

    /// Signs that pages shifted under writes: ids a listing returned twice,
    /// plus pools a listing missed although a listing before it and one
    /// after it both show them (ids are never reused, so it existed).
    public var shiftEvidence: Int {
        var evidence = listings.reduce(0) { $0 + $1.repeats }
        guard listings.count >= 3 else { return evidence }
        for middle in 1..<(listings.count - 1) {
            let before = Set(listings[..<middle].flatMap { $0.pools.map(\.id) })
            let after = Set(listings[(middle + 1)...].flatMap { $0.pools.map(\.id) })
            evidence += before.intersection(after).filter { !listings[middle].contains(id: $0) }.count
        }
        return evidence
    }

    /// The observed chance that one listing skips a given pool.
    public var missRate: Double {
        let listed = listings.reduce(0) { $0 + $1.pools.count }
        return listed == 0 ? 1 : min(1, Double(shiftEvidence) / Double(listed))
    }

    /// Whether what these listings missed can be trusted as absent.
    public var confirmsAbsence: Bool {
        if listings.contains(where: \.isSinglePage) { return true }
        guard Set(listings.map(\.effectivePageSize)).count >= 2 else { return false }
        let evidence = shiftEvidence
        if evidence == 0 { return true }
        return pow(missRate, Double(listings.count)) <= Self.tolerance
    }

    /// Whether one more listing could still confirm absence: fewer than
    /// `maxListings`, and not three listings that all kept the same
    /// boundaries whatever `pageSize` asked (a server that ignores it).
    public var mayConfirmWithMoreListings: Bool {
        guard !confirmsAbsence, listings.count < Self.maxListings else { return false }
        return listings.count < 3 || Set(listings.map(\.effectivePageSize)).count >= 2
    }

    /// Why absence is not confirmed, for a diagnostic; nil when it is.
    public var unconfirmedReason: String? {
        guard !confirmsAbsence, let latest = listings.last else { return nil }
        if Set(listings.map(\.effectivePageSize)).count < 2 {
            return
                "\(listings.count) listings of several pages each came back with the same page boundaries (\(latest.effectivePageSize) pools a page) whatever pageSize was asked, so a pool skipped by one could be skipped by all"
        }
        return
            "pages shifted under other writes in each of \(listings.count) listings (\(shiftEvidence) pools repeated or skipped, a miss rate of \(Int((missRate * 100).rounded()))%), so a pool all of them missed may still exist"
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

import PoolctlAPI
import PoolctlModel
import PoolctlPlan
import Synchronization

/// Listings of every pool, repeated until what they miss can be trusted as
/// absent (issue 19). The first listing is the refresh; more, with other
/// page boundaries, are taken only when the caller needs absence confirmed
/// (a create, or a pool a saved plan depends on that the listing did not
/// show) and the first listing was several pages.
struct ConfirmedListing: Sendable {
    /// Own listings at most: enough for the churn `PoolSightings` expects
    /// to see through.
    static let maxListings = PoolSightings.maxListings

    var api: any CommsAPI

    struct Result: Sendable {
        var sightings: PoolSightings
        /// Listings this read made (prior ones not counted).
        var listings: Int
        /// Every pool seen in any listing, prior ones included.
        var pools: [SenderPool]
        var absence: Planner.Absence
        /// Calls of one more listing like the latest: what confirming a
        /// create costs a later saved-plan check (0 when one page held all).
        var confirmationCalls: Int
    }

    /// Lists once, unless `prior` (the lease's listings, taken a moment
    /// ago under the lease) already confirms absence; then again, with other
    /// boundaries, while `needsConfirmation` says a missing pool matters and
    /// the listings do not yet confirm absence.
    func read(prior: PoolSightings, needsConfirmation: ([SenderPool]) -> Bool) async throws -> Result {
        var sightings = prior
        var listings = 0
        func list() async throws {
            let pageSize = sightings.listings.isEmpty ? APIFormat.maxPageSize : sightings.nextPageSize
            sightings.add(try await PoolListing.read(api, pageSize: pageSize))
            listings += 1
        }
        if sightings.listings.isEmpty || !sightings.confirmsAbsence { try await list() }
        while sightings.mayConfirmWithMoreListings && listings < Self.maxListings && needsConfirmation(sightings.pools) {
            try await list()
        }
        let latest = sightings.listings.last!
        let absence: Planner.Absence = sightings.unconfirmedReason.map { .unconfirmed($0) } ?? .confirmed
        return Result(
            sightings: sightings, listings: listings, pools: sightings.pools, absence: absence,
            confirmationCalls: latest.isSinglePage ? 0 : latest.pageIDs.count)
    }
}

/// The pools that the latest listing of a workflow (its plan's refresh or
/// its saved-plan check, under the lease) showed carrying a stack's
/// ownership tag: the only pools its apply may write to, besides the
/// pools the apply creates and a declared adopt's target.
public final class ListedOwnership: Sendable {
    private let owned = Mutex<[String: Set<String>]>([:])

    public init() {}

    func record(stack: String, pools: [SenderPool]) {
        let ids = Set(pools.filter { Ownership(tags: $0.tags)?.stack == stack }.map(\.id))
        owned.withLock { $0[stack] = ids }
    }

    /// Nil when no listing of the stack was taken.
    public func poolIDs(stack: String) -> Set<String>? { owned.withLock { $0[stack] } }
}

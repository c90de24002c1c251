import PoolctlAPI
import Testing

@testable import PoolctlEngine

/// When what listings missed counts as absent (issue 19): a listing that was
/// one page, or one that later listings show skipped nothing.
struct PoolSightingsTests {
    static func pool(_ n: Int) -> SenderPool {
        SenderPool(id: "comms_senderpool_\(n)", name: "p\(n)", tags: [:], createdAt: "", updatedAt: "")
    }

    /// `ids` in pages of `size`.
    static func listing(_ ids: [Int], size: Int) -> PoolListing {
        PoolListing(
            pages: stride(from: 0, to: ids.count, by: size).map { ids[$0..<min($0 + size, ids.count)].map(pool) },
            requestedPageSize: size)
    }

    static func pages(_ pages: [[Int]], size: Int) -> PoolListing {
        PoolListing(pages: pages.map { $0.map(pool) }, requestedPageSize: size)
    }

    @Test func aSinglePageConfirmsAbsenceAlone() {
        #expect(PoolSightings([Self.listing(Array(0..<5), size: 1000)]).confirmsAbsence)
        #expect(!PoolSightings([Self.listing(Array(0..<50), size: 7)]).confirmsAbsence)
    }

    @Test func theSameBoundariesWithDeletesNeverConfirmAndThreeSuchListingsStop() {
        // Each listing of 7 a page skips pool 6: a new pool, shown first, is deleted before page 2.
        func skipping(_ new: Int) -> PoolListing {
            Self.pages([[new, 0, 1, 2, 3, 4, 5], [7, 8, 9, 10, 11, 12, 13], [14, 15]], size: 7)
        }
        var sightings = PoolSightings([skipping(100), skipping(101)])
        #expect(!sightings.confirmsAbsence)
        #expect(sightings.mayConfirmWithMoreListings)
        sightings.add(skipping(102))
        #expect(!sightings.mayConfirmWithMoreListings)
        #expect(sightings.unconfirmedReason?.contains("same page boundaries") == true)
    }

    @Test func aLaterListingThatShowsEveryPoolConfirms() {
        // Nothing repeated and nothing deleted: the same page size is enough.
        #expect(PoolSightings([Self.listing(Array(0..<50), size: 7), Self.listing(Array(0..<50), size: 7)]).confirmsAbsence)
        #expect(PoolSightings([Self.listing(Array(0..<50), size: 7), Self.listing(Array(0..<50), size: 6)]).confirmsAbsence)
        // A new pool in the later listing changes nothing; the last listing alone proves nothing.
        let sightings = PoolSightings([Self.listing(Array(0..<50), size: 7), Self.listing(Array(0..<51), size: 6)])
        #expect(sightings.skippedNothing(at: 0) && !sightings.skippedNothing(at: 1))
        #expect(sightings.unconfirmedReason == nil)
    }

    @Test func poolsShownAgainCloseTheBoundariesBeforeThem() {
        // Pages of 3 over 0...11; nothing changed while it paged, but 10 was deleted after.
        let whole = Self.pages([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]], size: 3)
        let after = Self.pages([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 11]], size: 3)
        // Same boundaries, so no adjacency closes any; but every pool before the
        // last boundary is shown again, and nothing repeated.
        #expect(!(0..<3).contains { after.closes(boundary: $0, of: whole) })
        #expect(PoolSightings([whole, after]).skippedNothing(at: 0))
        // Here 4 is deleted after page 1, so page 2 skips 6: boundary 1 stays open.
        let skipping = Self.pages([[0, 1, 2], [3, 4, 5], [7, 8, 9], [10, 11]], size: 3)
        let later = Self.pages([[0, 1, 2], [3, 5, 6], [7, 8, 9], [10, 11]], size: 3)
        #expect(!later.closes(boundary: 1, of: skipping))
        #expect(!PoolSightings([skipping, later]).skippedNothing(at: 0))
    }

    /// The case two page sizes alone get wrong: deletes land before the
    /// cursor during both listings, and pages of 7 and of 6 both skip pool
    /// 14, which still exists. Nothing repeats, so nothing looks shifted.
    @Test func deletesCanHideAPoolFromTwoPageSizesAndThatIsNotAbsence() {
        // Pages of 7 over 0...25; pool 3 is deleted after page 1, so page 2 starts at 15.
        let sevens = Self.pages(
            [[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13], [15, 16, 17, 18, 19, 20, 21], [22, 23, 24, 25]], size: 7)
        // Pages of 6 over what is left; 1 is deleted after page 0 (7 is skipped), 2 after page 1 (14 is skipped).
        let sixes = Self.pages([[0, 1, 2, 4, 5, 6], [8, 9, 10, 11, 12, 13], [15, 16, 17, 18, 19, 20], [21, 22, 23, 24, 25]], size: 6)
        var sightings = PoolSightings([sevens, sixes])
        #expect(sevens.repeats == 0 && sixes.repeats == 0)
        #expect(!sightings.confirmsAbsence)
        #expect(sightings.mayConfirmWithMoreListings)
        #expect(sightings.unconfirmedReason?.contains("skipped nothing") == true)
        // A third listing that shows 14 makes it exist, whatever the others missed.
        var shows14 = sightings
        shows14.add(Self.pages([[0, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16], [17, 18, 19, 20, 21, 22, 23], [24, 25]], size: 7))
        #expect(shows14.pools.contains { $0.id == "comms_senderpool_14" })
        // Once 14 is gone, a third listing that shows 6|7, 13|15 and 21|22 on single pages
        // proves pages of 7 skipped nothing still there.
        sightings.add(Self.pages([[0, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 15, 16, 17], [18, 19, 20, 21, 22, 23, 24], [25]], size: 7))
        #expect(sightings.skippedNothing(at: 0))
        #expect(sightings.confirmsAbsence)
    }

    @Test func aBoundaryIsClosedOnlyByTheTwoIdsAdjacentOnOnePage() {
        // Pages of 7 over 0...17; pool 3 is deleted after page 1, so 14 is skipped.
        let skipping = Self.pages([[0, 1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13], [15, 16, 17]], size: 7)
        // A later listing with 13 and 15 on either side of its own boundary proves nothing about 14.
        let straddling = Self.pages([[0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], [15, 16, 17]], size: 13)
        #expect(!PoolSightings([skipping, straddling]).skippedNothing(at: 0))
        // One that shows 13 and 15 on one page proves 14 is gone.
        let showing = Self.pages([[0, 1, 2, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 15, 16], [17]], size: 5)
        #expect(showing.closes(boundary: 1, of: skipping))
        #expect(PoolSightings([skipping, showing]).skippedNothing(at: 0))
        // So does one where 13 and 15 are gone too, but 12 is followed by 16.
        let thinner = Self.pages([[0, 1, 2, 4, 5], [6, 7, 8, 9, 10], [11, 12, 16, 17]], size: 5)
        #expect(thinner.closes(boundary: 1, of: skipping))
        // Or where 14 still sits between them: that page shows it.
        let between = Self.pages([[0, 1, 2, 4, 5], [6, 7, 8, 9, 10], [11, 12, 14, 16, 17]], size: 5)
        #expect(between.closes(boundary: 1, of: skipping))
        #expect(PoolSightings([skipping, between]).pools.contains { $0.id == "comms_senderpool_14" })
        // Not when the two are on different pages.
        let split = Self.pages([[0, 1, 2, 4, 5], [6, 7, 8, 9, 10], [11, 12], [14, 16, 17]], size: 5)
        #expect(!split.closes(boundary: 1, of: skipping))
    }

    @Test func aNextPageThatBeginsInsideThePreviousLeavesNoBoundaryOpen() {
        // Creates before the cursor shift every page forward by one: each page repeats the last id.
        let shifted = Self.pages([[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8]], size: 4)
        #expect(shifted.openBoundaries == [])
        #expect(shifted.repeats == 2 && shifted.firstRepeatPage == 1)
        #expect(PoolSightings([shifted]).confirmsAbsence)
        // Repeats alone, with a boundary left open, prove nothing.
        let repeatedThenSkipped = Self.pages([[0, 1, 2, 3], [3, 4, 5, 6], [8, 9]], size: 4)
        #expect(!PoolSightings([repeatedThenSkipped, Self.listing(Array(0..<10), size: 4)]).confirmsAbsence)
    }

    @Test func anEmptyLastPageLeavesTheEndOpenUntilALaterListingEndsThere() {
        // 2 deleted after page 1: the empty last page may have skipped a pool after 8.
        let endsEmpty = Self.pages([[0, 1, 2, 3], [4, 5, 6, 8], []], size: 4)
        #expect(endsEmpty.openBoundaries == [0, 1])
        let without2 = [0, 1, 3, 4, 5, 6, 8]
        // A later last page with no pool of page 1 proves nothing about what followed 8.
        #expect(!PoolSightings([endsEmpty, Self.listing(without2 + [9, 10, 11, 12], size: 4)]).confirmsAbsence)
        #expect(PoolSightings([endsEmpty, Self.listing(without2, size: 4)]).confirmsAbsence)
        // An empty page before the last leaves a boundary with nothing before it.
        #expect(Self.pages([[0, 1], [], [2, 3]], size: 2).openBoundaries == nil)
    }

    @Test func aListingAfterASinglePageStaysOnePage() {
        // Four pools in one page of the 1,000 asked: the next listing asks 999, not 3.
        let sightings = PoolSightings([PoolListing(pages: [Array(0..<4).map(Self.pool)], requestedPageSize: 1000)])
        #expect(sightings.nextPageSize == 999)
    }

    @Test func nextListingsAlternateBetweenTwoPageSizes() {
        // The server caps pages at 7 whatever is asked.
        var sightings = PoolSightings([PoolListing(pages: [Array(0..<7).map(Self.pool), [Self.pool(7)]], requestedPageSize: 1000)])
        #expect(sightings.nextPageSize == 6)
        sightings.add(Self.listing(Array(0..<8), size: 6))
        #expect(sightings.nextPageSize == 1000)
    }
}

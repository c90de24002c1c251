import PoolctlAPI
import Testing

@testable import PoolctlEngine

/// When what listings missed counts as absent (issue 19): a single page, two
/// listings with other boundaries and no sign of shifting, or, once pages
/// shifted, enough listings for the observed miss rate.
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

    @Test func aSinglePageConfirmsAbsenceAlone() {
        #expect(PoolSightings([Self.listing(Array(0..<5), size: 1000)]).confirmsAbsence)
        #expect(!PoolSightings([Self.listing(Array(0..<50), size: 7)]).confirmsAbsence)
    }

    @Test func twoListingsWithOtherBoundariesAndNoShiftConfirm() {
        let sightings = PoolSightings([Self.listing(Array(0..<50), size: 7), Self.listing(Array(0..<50), size: 6)])
        #expect(sightings.shiftEvidence == 0)
        #expect(sightings.confirmsAbsence)
    }

    @Test func theSameBoundariesNeverConfirmAndThreeSuchListingsStop() {
        var sightings = PoolSightings([Self.listing(Array(0..<50), size: 7), Self.listing(Array(0..<50), size: 7)])
        #expect(!sightings.confirmsAbsence)
        #expect(sightings.mayConfirmWithMoreListings)
        sightings.add(Self.listing(Array(0..<50), size: 7))
        #expect(!sightings.mayConfirmWithMoreListings)
        #expect(sightings.unconfirmedReason?.contains("same page boundaries") == true)
    }

    @Test func repeatedIdsDemandMoreListings() {
        // Each listing repeats 4 ids in 50 (a create before the cursor shifts a page forward).
        let shifted = Array(0..<50) + [3, 10, 17, 24]
        var sightings = PoolSightings([Self.listing(shifted, size: 7), Self.listing(shifted, size: 6)])
        #expect(sightings.shiftEvidence == 8)
        // A miss rate of 8%: two listings leave a 0.6% chance that both skipped one pool.
        #expect(!sightings.confirmsAbsence)
        #expect(sightings.unconfirmedReason?.contains("pages shifted") == true)
        sightings.add(Self.listing(shifted, size: 7))
        #expect(!sightings.confirmsAbsence)  // 0.05%
        sightings.add(Self.listing(shifted, size: 6))
        #expect(sightings.confirmsAbsence)  // 0.004%, under 0.01%
    }

    @Test func aPoolMissedBetweenTwoListingsThatShowItIsASkip() {
        let all = Array(0..<30)
        let skipping = all.filter { $0 != 14 }
        let sightings = PoolSightings([
            Self.listing(all, size: 7), Self.listing(skipping, size: 6), Self.listing(all, size: 7),
        ])
        #expect(sightings.shiftEvidence == 1)
        #expect(sightings.pools.count == 30)
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

import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import Synchronization
import Testing

/// Issue 19, item 1: listings are not snapshots. An account of 20 stack
/// pools and 30 foreign ones, listed 7 a page by offset while others write.
private func stackPool(_ index: Int) -> SenderPool {
    SenderPool(
        id: "comms_senderpool_s\(index)", name: "k\(index)", tags: ["poolctl": "v1~web~k\(index)"],
        createdAt: "2025-01-01T00:00:\(10 + index)Z", updatedAt: "u")
}

private func foreignPool(_ index: Int) -> SenderPool {
    SenderPool(
        id: "comms_senderpool_f\(index)", name: "theirs-\(index)", tags: ["team": "other"], createdAt: "2025-01-01T00:00:00Z",
        updatedAt: "u")
}

/// Stack pool `k0` sits at `index` (0-based, newest first); the rest follow.
private func account(k0At index: Int) -> [SenderPool] {
    var pools = (0..<30).map(foreignPool)
    pools.insert(stackPool(0), at: index)
    pools.append(contentsOf: (1..<20).map(stackPool))
    return pools
}

private let desired = DesiredState(stack: "web", prune: true, pools: (0..<20).map { DesiredPool(key: "k\($0)", name: "k\($0)") })

private let foreignCount = Mutex(100)

/// Someone creates a pool before every listing and deletes the newest
/// foreign pool just before the page at `skipAt`: that page skips the item
/// that sat at its boundary. Same boundaries, same skip, every listing.
private func skipChurn(at skipAt: Int) -> @Sendable (Int, inout [SenderPool]) -> Void {
    { offset, pools in
        if offset == 0 {
            pools.insert(
                foreignPool(
                    foreignCount.withLock {
                        $0 += 1
                        return $0
                    }), at: 0)
        } else if offset == skipAt, let front = pools.firstIndex(where: { $0.tags["team"] != nil }) {
            pools.remove(at: front)
        }
    }
}

@Suite struct ListingSafetyTests {
    @Test func aPoolRepeatedByOffsetPagingIsOnePoolAndNeverItsOwnDuplicate() async throws {
        // A create lands before page 2: page 2 repeats the last item of page 1, which is k0.
        let repeatChurn: @Sendable (Int, inout [SenderPool]) -> Void = { offset, pools in
            if offset == 7 {
                pools.insert(
                    foreignPool(
                        foreignCount.withLock {
                            $0 += 1
                            return $0
                        }), at: 0)
            }
        }
        let raw = try await PagedAccount(pools: account(k0At: 6), maxPageSize: 7, churn: repeatChurn).allSenderPools().collect()
        #expect(raw.filter { $0.id == "comms_senderpool_s0" }.count == 2, "the double must really repeat k0")
        // The planner alone, given the raw listing, keeps the pool once.
        let members = raw.map {
            LivePool(id: $0.id, name: $0.name, tags: $0.tags, createdAt: $0.createdAt, updatedAt: $0.updatedAt, members: [])
        }
        let pure = Planner().plan(desired: desired, live: LiveState(pools: members))
        #expect(pure.changes.allSatisfy { $0.action == .noChange })

        let api = PagedAccount(pools: account(k0At: 6), maxPageSize: 7, churn: repeatChurn)
        let planned = try await Workflow(api: api, clock: ManualClock().clock).plan(desired: desired)
        #expect(planned.plan.changes.count == 20)
        #expect(planned.plan.changes.allSatisfy { $0.action == .noChange })
        // Nothing to create: one listing (8 pages) plus members of the 20 pools.
        #expect(api.listCalls == 8)
    }

    @Test func aPoolSkippedByOffsetPagingIsFoundByAListingWithOtherBoundaries() async throws {
        let api = PagedAccount(pools: account(k0At: 6), maxPageSize: 7, churn: skipChurn(at: 7))
        let raw = try await PagedAccount(pools: account(k0At: 6), maxPageSize: 7, churn: skipChurn(at: 7)).allSenderPools().collect()
        #expect(!raw.contains { $0.id == "comms_senderpool_s0" }, "the double must really skip k0")

        let planned = try await Workflow(api: api, clock: ManualClock().clock).plan(desired: desired)
        #expect(!planned.plan.changes.contains { $0.action == .create })
        #expect(planned.plan.changes.first { $0.key == "k0" }?.poolID == "comms_senderpool_s0")
        // The first listing took 8 pages of 7; the confirming one, 9 pages of 6.
        #expect(api.listCalls == 8 + 9)
        #expect(planned.plan.diagnostics.isEmpty)
    }

    @Test func aKeyWhoseAbsenceCannotBeConfirmedIsAConflictNotACreate() async throws {
        // The server ignores pageSize: every listing has the same boundaries, so the same skip
        // (and the pool each one deleted, which no later listing shows).
        let api = PagedAccount(pools: account(k0At: 6), maxPageSize: 7, ignoresPageSize: true, churn: skipChurn(at: 7))
        let planned = try await Workflow(api: api, clock: ManualClock().clock).plan(desired: desired)
        #expect(!planned.plan.changes.contains { $0.action == .create })
        #expect(planned.plan.changes.first { $0.key == "k0" }?.action == .conflict)
        #expect(planned.plan.hasConflicts)
        #expect(planned.plan.diagnostics.first?.message.contains("could not be confirmed") == true)
        #expect(api.writes.isEmpty)
        // Bounded: three listings of 8 pages, then it gives up.
        #expect(api.listCalls == 3 * 8)
    }

    @Test func aCreateIsConfirmedByASecondListingAndCountedInTheEstimate() async throws {
        let pools = account(k0At: 6).filter { $0.id != "comms_senderpool_s0" }
        let api = PagedAccount(pools: pools, maxPageSize: 7)
        let planned = try await Workflow(api: api, clock: ManualClock().clock).plan(desired: desired)
        #expect(planned.plan.changes.first { $0.key == "k0" }?.action == .create)
        // 49 pools: 7 pages of 7, then 9 pages of 6 to confirm k0 has no pool.
        #expect(api.listCalls == 7 + 9)
        // The saved-plan check confirms it again: 9 more listing calls in the estimate
        // (1 create, 1 poll round, 1 verification listing, 9 confirming, and 1 reading
        // back the new pool's fingerprint).
        #expect(planned.plan.estimate.byEndpoint["GET /v1/SenderPools"] == 1 + 9 + 1)

        // One page holds every pool: no second listing, nothing extra in the estimate.
        let small = PagedAccount(pools: pools)
        let single = try await Workflow(api: small, clock: ManualClock().clock).plan(desired: desired)
        #expect(small.listCalls == 1)
        #expect(single.plan.estimate.byEndpoint["GET /v1/SenderPools"] == 1 + 1)
    }

    @Test func theLeasesListingsConfirmAbsenceForFree() async throws {
        let pools = account(k0At: 6).filter { $0.id != "comms_senderpool_s0" }
        let api = PagedAccount(pools: pools, maxPageSize: 7)
        let prior = try await PoolListing.read(PagedAccount(pools: pools, maxPageSize: 7))
        let planned = try await Workflow(api: api, clock: ManualClock().clock).plan(desired: desired, prior: PoolSightings([prior]))
        #expect(planned.plan.changes.first { $0.key == "k0" }?.action == .create)
        // Its own listing used other boundaries (pages of 6): one listing, no more.
        #expect(api.listCalls == 9)
    }

    @Test func aSavedPlanAppliedLaterDeletesNothingThatExistsOnce() async throws {
        // Planned while a create made pages repeat: nothing to delete.
        var renamed = desired
        renamed.pools[0].name = "k0-renamed"
        let stable = account(k0At: 6)
        let planned = try await Workflow(api: PagedAccount(pools: stable, maxPageSize: 7), clock: ManualClock().clock).plan(
            desired: renamed)
        #expect(planned.plan.changes.filter(\.action.isChange).map(\.key) == ["k0"])
        let saved = try PlanFile.decode(Array(PlanFile(plan: planned.plan, poolctlVersion: "test").json().utf8)).plan

        // Applied later while deletes make the first listing skip k0: the plan still holds.
        let api = PagedAccount(pools: stable, maxPageSize: 7, churn: skipChurn(at: 7))
        let workflow = Workflow(api: api, clock: ManualClock().clock)
        let check = try await workflow.checkSavedPlan(saved)
        #expect(check.differences == [])
        let report = await workflow.apply(saved)
        #expect(report.outcome == .converged)
        #expect(api.writes == [PagedAccount.Write(method: "PATCH", poolID: "comms_senderpool_s0")])
        let live = api.pools.filter { $0.tags["poolctl"] != nil }
        #expect(live.count == 20)
    }

    @Test func aSavedPlansCreateIsRefusedWhenItsKeyNowHasAPoolThatOneListingSkips() async throws {
        let without = account(k0At: 6).filter { $0.id != "comms_senderpool_s0" }
        let planned = try await Workflow(api: PagedAccount(pools: without, maxPageSize: 7), clock: ManualClock().clock).plan(
            desired: desired)
        #expect(planned.plan.changes.first { $0.key == "k0" }?.action == .create)
        // Since then someone created k0's pool; the first listing skips it.
        let api = PagedAccount(pools: account(k0At: 6), maxPageSize: 7, churn: skipChurn(at: 7))
        let check = try await Workflow(api: api, clock: ManualClock().clock).checkSavedPlan(planned.plan)
        #expect(check.differences == ["pool 'k0' now exists (comms_senderpool_s0); the plan would create it again"])
    }

    /// `poolctl unlock` reads the leases as the rival check does: a lease
    /// that offset paging skipped in one listing is shown from a later
    /// listing with other page boundaries, not reported as "no lease".
    @Test func unlockShowsALeaseThatOffsetPagingSkipped() async throws {
        let dead = SenderPool(
            id: "comms_senderpool_lease", name: "poolctl lease: web (dead-host)", tags: ["poolctl-lease": "v1~web~dead-host.9~120"],
            createdAt: "2025-01-01T00:00:00Z", updatedAt: "2025-01-01T00:00:00Z")
        var pools = (0..<12).map(foreignPool)
        pools.insert(dead, at: 6)
        let api = PagedAccount(pools: pools, maxPageSize: 7, churn: skipChurn(at: 7))
        // One listing, 7 a page, misses it: the churn shifts it across the boundary.
        let once = try await PoolListing.read(api)
        #expect(!once.contains(id: dead.id) && once.pageLengths.count == 2)

        let shown = try await StackLease(api: api, clock: ManualClock().clock).leases(of: "web")
        #expect(shown.map(\.poolID) == [dead.id])
        // Two listings: 7 a page (2 pages), then 6 a page (3 pages), whose second page shows
        // the pools on both sides of the first listing's boundary, and the lease between them.
        #expect(api.listCalls == 2 + 2 + 3)
    }

    @Test func unlockListsASinglePageAccountOnce() async throws {
        let dead = SenderPool(
            id: "comms_senderpool_lease", name: "poolctl lease: web (dead-host)", tags: ["poolctl-lease": "v1~web~dead-host.9~120"],
            createdAt: "2025-01-01T00:00:00Z", updatedAt: "2025-01-01T00:00:00Z")
        let api = PagedAccount(pools: [foreignPool(0), dead])
        let shown = try await StackLease(api: api, clock: ManualClock().clock).leases(of: "web")
        #expect(shown.map(\.poolID) == [dead.id])
        #expect(api.listCalls == 1)
    }
}

/// Audit, 7 Dec: the same pools again and again, each time with a fresh
/// next token, kept `plan` listing forever.
@Suite struct EndlessListingTests {
    @Test func pagesRepeatingWhatWasSeenWithFreshTokensEndTheListing() async {
        let pool = stackPool(1)
        let api = ScriptedAPI(
            (0..<PageStreak.limit + 1).map { (.listSenderPools(operationId: nil), .poolsPage([pool], next: "t\($0)")) })
        await #expect(throws: APIError.self) { _ = try await PoolListing.read(api) }
        // The first page brought the pool; the next ten brought nothing.
        #expect(api.unanswered == 0)
    }
}

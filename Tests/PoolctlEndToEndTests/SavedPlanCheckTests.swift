import Foundation
import PoolctlAPI
import PoolctlEmulator
import PoolctlEngine
import PoolctlPlan
import Testing

/// `Workflow.checkSavedPlan` against the emulator: a plan holds until a
/// pool it read changes or disappears.
@Suite struct SavedPlanCheckTests {
    let directory = GoldenPlanTests.directory.appendingPathComponent("update")

    @Test func anUnchangedAccountKeepsThePlan() async throws {
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let plan = try await rig.plan(desired)
        let check = try await rig.workflow().checkSavedPlan(plan)
        #expect(!check.isStale, "\(check.differences)")
        #expect(check.calls == 0, "the store counts nothing, so the workflow must report 0")
    }

    /// The update fixture's plan, its pool changed by `change` 5 s later:
    /// the pool's id and what the saved-plan check then finds.
    private func differences(
        afterPlanning change: (EmulatorStore, String) async throws -> Void
    ) async throws -> (poolID: String, differences: [String]) {
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let plan = try await rig.plan(desired)
        let poolID = try #require(plan.fingerprints.first?.poolID)
        rig.clock.advance(seconds: 5)
        try await change(rig.store, poolID)
        return (poolID, try await rig.workflow().checkSavedPlan(plan).differences)
    }

    @Test func aRenamedPoolMakesThePlanStale() async throws {
        let (poolID, differences) = try await differences { store, poolID in
            _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: "Renamed", tags: nil))
        }
        #expect(
            differences == [
                "pool 'alpha' (\(poolID)): name \"Old name\" -> \"Renamed\", updatedAt 2025-01-01T00:00:00Z -> 2025-01-01T00:00:05Z"
            ])
    }

    @Test func aDeletedPoolMakesThePlanStale() async throws {
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let plan = try await rig.plan(desired)
        let poolID = try #require(plan.fingerprints.first?.poolID)
        _ = try await rig.store.deleteSenderPool(id: poolID)
        let check = try await rig.workflow().checkSavedPlan(plan)
        #expect(check.differences == ["pool 'alpha' (\(poolID)) no longer exists"])
    }

    @Test func aPoolThatAppearsUnderAMovesNewKeyMakesThePlanStale() async throws {
        let directory = GoldenPlanTests.directory.appendingPathComponent("move")
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let plan = try await rig.plan(desired)
        let move = try #require(plan.changes.first { $0.action == .move })
        #expect(try await rig.workflow().checkSavedPlan(plan).differences == [])
        _ = try await rig.store.createSenderPool(
            CreateSenderPoolRequest(name: "Sales - EMEA", tags: ["poolctl": "v1~web~sales-emea~protected"], senders: nil))
        let differences = try await rig.workflow().checkSavedPlan(plan).differences
        #expect(differences.count == 1)
        #expect(
            differences.first.map {
                $0.hasPrefix("pool 'sales-emea' now exists (comms_senderpool_")
                    && $0.hasSuffix("); the plan would move 'sales' (\(move.poolID ?? "")) onto the same key")
            } == true, "\(differences)")
    }

    /// A write lands only on a pool that still carries the ownership the
    /// plan read on it: a plan whose update names another key's pool (a
    /// hand-edited file, or a pool re-tagged since) is stale, although every
    /// pool it read is unchanged.
    @Test func anUpdateOfAPoolOwnedByAnotherKeyMakesThePlanStale() async throws {
        let directory = GoldenPlanTests.directory.appendingPathComponent("targeted")
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        var plan = try await rig.plan(desired)
        let update = try #require(plan.changes.firstIndex { $0.action == .update && $0.key == "alpha" })
        let beta = try #require(plan.fingerprints.first { $0.key == "beta" }?.poolID)
        #expect(try await rig.workflow().checkSavedPlan(plan).differences == [])
        plan.changes[update].poolID = beta
        #expect(
            try await rig.workflow().checkSavedPlan(plan).differences == [
                "pool \(beta), which the plan updates, no longer carries the ownership of 'web/alpha' (now 'web/beta')"
            ])
    }

    /// Another tool strips the ownership tag: the check no longer reads
    /// the pool's members, and must not report them as gone.
    @Test func aPoolThatLostItsOwnershipTagIsNotSaidToHaveLostItsMembers() async throws {
        let (poolID, differences) = try await differences { store, poolID in
            _ = try await store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: nil, tags: ["team": "growth"]))
            #expect(try await store.allPoolSenders(poolID: poolID).collect().count == 1)
        }
        #expect(
            differences == [
                "pool 'alpha' (\(poolID)): updatedAt 2025-01-01T00:00:00Z -> 2025-01-01T00:00:05Z",
                "pool \(poolID), which the plan updates, no longer carries the ownership of 'web/alpha' (now untagged)",
            ])
    }

    /// An adopt is stale once its pool carries an ownership tag.
    @Test func anAdoptOfAPoolOwnedSinceMakesThePlanStale() async throws {
        let directory = GoldenPlanTests.directory.appendingPathComponent("adopt")
        let rig = try Rig(seedPath: directory.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(directory, store: rig.store).desired)
        let plan = try await rig.plan(desired)
        let adopt = try #require(plan.changes.first { $0.action == .adopt })
        let poolID = try #require(adopt.poolID)
        rig.clock.advance(seconds: 5)
        _ = try await rig.store.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: nil, tags: ["poolctl": "v1~other~ops"]))
        let differences = try await rig.workflow().checkSavedPlan(plan).differences
        #expect(
            differences.contains("pool \(poolID), which the plan adopts as 'ops', is no longer unowned (now 'other/ops')"), "\(differences)"
        )
    }

    /// A targeted plan depends only on its own pools: the check reads only
    /// their members, and a change to a pool left out does not make it stale.
    @Test func aTargetedPlanIsCheckedAgainstItsOwnPoolsOnly() async throws {
        let targeted = GoldenPlanTests.directory.appendingPathComponent("targeted")
        let rig = try Rig(seedPath: targeted.appendingPathComponent("seed.yaml").path)
        let desired = try #require(try await loadFixtureManifests(targeted, store: rig.store).desired)
        let api = CountingAPI(base: rig.store)
        let workflow = Workflow(api: api, calls: api.counter, parallelism: 4, clock: rig.applyClock)
        let plan = try await workflow.plan(desired: desired, selection: KeySelection(targets: ["alpha", "retired-1"])).plan
        // One listing and the members of alpha and retired-1, not of all five owned pools.
        #expect(api.counter.total == 3)
        let beta = try #require(try await rig.store.allSenderPools().collect().first { $0.name == "beta" })
        rig.clock.advance(seconds: 5)
        _ = try await rig.store.updateSenderPool(id: beta.id, UpdateSenderPoolRequest(name: "Beta renamed", tags: nil))
        let check = try await workflow.checkSavedPlan(PlanFile.decode(Array(PlanFile(plan: plan, poolctlVersion: "test").json().utf8)).plan)
        #expect(!check.isStale, "\(check.differences)")
        #expect(check.calls == 3)
    }
}

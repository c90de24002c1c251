import PoolctlModel
import PoolctlPlan
import Testing

@Suite struct TargetingTests {
    let declared = ["alpha", "beta", "delta"]
    let owned = ["alpha", "beta", "gamma", "retired"]

    @Test func noSelectionIsAFullPlan() throws {
        #expect(try KeySelection().resolve(declared: declared, owned: owned) == nil)
    }

    @Test func targetsKeepOnlyTheirKeys() throws {
        let targeting = try #require(try KeySelection(targets: ["retired", "alpha", "alpha"]).resolve(declared: declared, owned: owned))
        #expect(targeting.targets == ["alpha", "retired"])
        #expect(targeting.leftOut == ["beta", "delta", "gamma"])
        #expect(targeting.includes("alpha") && targeting.includes("retired") && !targeting.includes("beta"))
    }

    @Test func excludesLeaveKeysOut() throws {
        let targeting = try #require(try KeySelection(excludes: ["gamma"]).resolve(declared: declared, owned: owned))
        #expect(targeting.leftOut == ["gamma"])
        #expect(targeting.includes("alpha") && !targeting.includes("gamma"))
        let both = try #require(try KeySelection(targets: ["alpha", "beta"], excludes: ["beta"]).resolve(declared: declared, owned: owned))
        #expect(both.leftOut == ["beta", "delta", "gamma", "retired"])
    }

    @Test func unknownKeysAreErrorsWithSuggestions() {
        #expect(throws: TargetingError.self) { try KeySelection(targets: ["alpah"]).resolve(declared: declared, owned: owned) }
        do {
            _ = try KeySelection(targets: ["alpah", "zzz-unrelated"], excludes: ["gama"]).resolve(declared: declared, owned: owned)
            Issue.record("accepted unknown keys")
        } catch {
            #expect(
                error.problems == [
                    "--target 'alpah' is neither declared in the manifests nor an owned pool of the stack; did you mean 'alpha'?",
                    "--target 'zzz-unrelated' is neither declared in the manifests nor an owned pool of the stack",
                    "--exclude 'gama' is neither declared in the manifests nor an owned pool of the stack; did you mean 'gamma'?",
                ])
        }
    }

    /// Desired and owned pools alike are filtered, so prune deletes only
    /// targeted undeclared keys and untargeted pools are neither read nor shown.
    @Test func thePlannerFiltersDesiredAndOwnedPools() throws {
        func pool(_ key: String) -> LivePool {
            LivePool(id: "comms_senderpool_\(key)", name: key, tags: ["poolctl": "v1~web~\(key)"], members: [])
        }
        let live = LiveState(pools: owned.map(pool))
        let desired = DesiredState(
            stack: "web", prune: true, pools: declared.map { DesiredPool(key: $0, name: $0 == "alpha" ? "renamed" : $0) })
        let targeting = try #require(try KeySelection(targets: ["alpha", "gamma", "delta"]).resolve(declared: declared, owned: owned))
        let plan = Planner().plan(desired: desired, live: live, targeting: targeting)
        #expect(plan.changes.map { "\($0.key) \($0.action.rawValue)" } == ["alpha update", "delta create", "gamma delete"])
        #expect(plan.fingerprints.map(\.key) == ["alpha", "gamma"])
        #expect(plan.targeting == targeting)
        let full = Planner().plan(desired: desired, live: live)
        #expect(full.changes.filter { $0.action == .delete }.map(\.key) == ["gamma", "retired"])
    }

    /// A move's new and old keys are one pool: targeting either covers both,
    /// so `--target new` plans the move, not a create beside the old pool.
    @Test func aMovesKeysAreTargetedAndExcludedTogether() throws {
        let live = LiveState(pools: [
            LivePool(id: "comms_senderpool_old", name: "old", tags: ["poolctl": "v1~web~old"], members: []),
            LivePool(id: "comms_senderpool_beta", name: "beta", tags: ["poolctl": "v1~web~beta"], members: []),
        ])
        let desired = DesiredState(
            stack: "web", prune: true,
            pools: [DesiredPool(key: "new", name: "old", movedFrom: "old"), DesiredPool(key: "beta", name: "beta")])
        let moves = ["new": "old"]
        for target in ["new", "old"] {
            let targeting = try #require(
                try KeySelection(targets: [target]).resolve(declared: ["new", "beta"], owned: ["old", "beta"], moves: moves))
            #expect(targeting.targets == ["new", "old"])
            #expect(targeting.leftOut == ["beta"])
            let plan = Planner().plan(desired: desired, live: live, targeting: targeting)
            #expect(plan.changes.map { "\($0.key) \($0.action.rawValue)" } == ["new move"])
        }
        let excluded = try #require(
            try KeySelection(excludes: ["old"]).resolve(declared: ["new", "beta"], owned: ["old", "beta"], moves: moves))
        #expect(excluded.leftOut == ["new", "old"])
        #expect(Planner().plan(desired: desired, live: live, targeting: excluded).changes.map(\.key) == ["beta"])
    }

    /// The old key of a move stays a key of the stack after its pool changed
    /// hands (or before it exists), so naming it is not an error.
    @Test func aMovesOldKeyIsKnownWithoutALivePool() throws {
        let targeting = try #require(
            try KeySelection(targets: ["gone"]).resolve(declared: ["new", "beta"], owned: ["new", "beta"], moves: ["new": "gone"]))
        #expect(targeting.targets == ["gone", "new"])
        #expect(targeting.leftOut == ["beta"])
    }

    @Test func suggestionsKeepSomethingOfWhatWasTyped() {
        #expect(Suggestion.nearest(to: "zz", in: ["x", "ab"]) == nil)
        #expect(Suggestion.nearest(to: "", in: ["x"]) == nil)
        #expect(Suggestion.nearest(to: "alpah", in: ["alpha", "beta"]) == "alpha")
    }
}

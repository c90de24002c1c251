import PoolctlModel
import PoolctlPlan
import Testing

/// Diffing each pool as its members arrive (`LivePoolSource`) gives the
/// same plan as holding every member: over the planner cases and over
/// random accounts with duplicates, moves, adoptions, prune and targeting.
@Suite struct StreamedPlanTests {
    static func streamed(_ desired: DesiredState, _ live: LiveState, targeting: Targeting? = nil) async throws -> Plan {
        let listing = LiveState(
            pools: live.pools.map { pool in
                var bare = pool
                bare.members = nil
                return bare
            })
        let source = LivePoolsInMemory(live.pools.compactMap { pool in pool.members.map { (pool.id, $0.shuffled()) } })
        return try await Planner().plan(desired: desired, listing: listing, source: source, targeting: targeting)
    }

    @Test(arguments: plannerCases) func plannerCasesPlanTheSame(_ c: PlannerCase) async throws {
        let live = LiveState(pools: c.live)
        #expect(try await Self.streamed(c.desired, live) == Planner().plan(desired: c.desired, live: live))
    }

    @Test func randomAccountsPlanTheSame() async throws {
        var rng = SystemRandomNumberGenerator()
        let senders = (0..<40).map { "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v" + ($0 < 10 ? "0" : "") + String($0) }
        for round in 0..<300 {
            let keys = ["a", "b", "c", "d", "e"]
            var pools: [DesiredPool] = []
            for key in keys where Bool.random(using: &rng) {
                var pool = DesiredPool(
                    key: key, name: key.uppercased(), senders: senders.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 },
                    membership: Bool.random(using: &rng) ? .exact : .additive)
                if Int.random(in: 0..<5, using: &rng) == 0 { pool.movedFrom = keys.randomElement(using: &rng) }
                if Int.random(in: 0..<6, using: &rng) == 0 { pool.adopt = "comms_senderpool_\(Int.random(in: 0..<8, using: &rng))" }
                pools.append(pool)
            }
            let desired = DesiredState(stack: "web", prune: Bool.random(using: &rng), pools: pools)
            var live: [LivePool] = []
            for n in 0..<Int.random(in: 0..<8, using: &rng) {
                let key = keys.randomElement(using: &rng)!
                let stack = Int.random(in: 0..<6, using: &rng) == 0 ? "other" : "web"
                let tags = Int.random(in: 0..<6, using: &rng) == 0 ? [:] : ["poolctl": Ownership(stack: stack, key: key).tagValue]
                let members = senders.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }.map {
                    LiveMember(id: $0, address: "+1\($0.suffix(2))", channel: "SMS")
                }
                live.append(
                    LivePool(
                        id: "comms_senderpool_\(n)", name: key.uppercased(), tags: tags, createdAt: "2026-01-0\(n + 1)T00:00:00Z",
                        members: members))
            }
            let state = LiveState(pools: live)
            let targeting: Targeting? =
                Int.random(in: 0..<4, using: &rng) == 0
                ? Targeting(targets: keys.filter { _ in Bool.random(using: &rng) }, excludes: [], leftOut: []) : nil
            let whole = Planner().plan(desired: desired, live: state, targeting: targeting)
            let streamed = try await Self.streamed(desired, state, targeting: targeting)
            #expect(streamed == whole, "round \(round)")
        }
    }
}

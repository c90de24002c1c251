import PoolctlModel
import Testing

@testable import PoolctlEngine

@Suite struct ExportSelectionTests {
    static func id(_ n: Int) -> String {
        "comms_senderpool_01h9krwprkeee8fzqspvwy6n" + String(format: "%02d", n).replacingOccurrences(of: "0", with: "a")
    }
    static let s1 = "comms_sender_01h9krwprkeee8fzqspvwy6nq1"
    static let s2 = "comms_sender_01h9krwprkeee8fzqspvwy6nq2"

    static let pools: [LivePool] = [
        LivePool(id: id(1), name: "Sales", tags: ["team": "a", "n": "007"], createdAt: "2024-01-02T00:00:00Z"),
        LivePool(id: id(2), name: "sales", tags: ["team": "b"], createdAt: "2024-01-01T00:00:00Z"),
        LivePool(id: id(3), name: "Mine", tags: ["poolctl": "v1~web~kept~protected", "team": "a"], createdAt: "2024-01-03T00:00:00Z"),
        LivePool(id: id(4), name: "Theirs", tags: ["poolctl": "v1~other~x"], createdAt: "2024-01-03T00:00:00Z"),
        LivePool(id: id(5), name: "poolctl lease: web (host)", tags: ["poolctl-lease": "v1~web~host~120"]),
        LivePool(id: id(6), name: "Crowded", tags: Dictionary(uniqueKeysWithValues: (0..<10).map { ("k\($0)", "v") })),
        LivePool(id: id(7), name: "Broken owner tag", tags: ["poolctl": "not-ours", "team": "a"], createdAt: "2024-01-04T00:00:00Z"),
        LivePool(id: id(8), name: "Mine too", tags: ["poolctl": "v1~web~kept"], createdAt: "2024-01-05T00:00:00Z"),
        LivePool(id: id(9), name: "Sales", tags: ["poolctl": "v1~web~sales"], createdAt: "2024-01-06T00:00:00Z"),
        // poolctl's form, unreadable here: another version's (or a hand edit) may be another stack's.
        LivePool(id: id(10), name: "Newer", tags: ["poolctl": "v2~billing~invoices"]),
        LivePool(id: id(11), name: "Edited", tags: ["poolctl": "v1~Billing~invoices"]),
    ]

    @Test func selectsUnownedAndOwnPoolsAndSaysWhyOthersAreLeftOut() throws {
        let selection = ExportSelection.select(Self.pools.reversed(), stack: "web", filter: try ExportFilter())
        #expect(selection.pools.map(\.id) == [Self.id(1), Self.id(2), Self.id(3), Self.id(7), Self.id(9)])
        #expect(selection.leases == 1)
        #expect(
            selection.skipped == [
                .init(id: Self.id(11), name: "Edited", reason: .unreadableOwnership("v1~Billing~invoices")),
                .init(id: Self.id(10), name: "Newer", reason: .unreadableOwnership("v2~billing~invoices")),
                .init(id: Self.id(4), name: "Theirs", reason: .ownedByOtherStack(Ownership(stack: "other", key: "x"))),
                .init(id: Self.id(6), name: "Crowded", reason: .tooManyTags(10)),
                .init(id: Self.id(8), name: "Mine too", reason: .duplicateOwnership(key: "kept", exportedID: Self.id(3))),
            ])
    }

    @Test func filtersByNameAndTags() throws {
        let byName = ExportSelection.select(Self.pools, stack: "web", filter: try ExportFilter(namePattern: "^[Ss]ales$"))
        #expect(byName.pools.map(\.id) == [Self.id(1), Self.id(2), Self.id(9)])
        let byTag = ExportSelection.select(Self.pools, stack: "web", filter: try ExportFilter(tags: [("team", "a")]))
        #expect(byTag.pools.map(\.id) == [Self.id(1), Self.id(3), Self.id(7)])
        let either = ExportSelection.select(Self.pools, stack: "web", filter: try ExportFilter(tags: [("team", "a"), ("team", "b")]))
        #expect(either.pools.map(\.id) == [Self.id(1), Self.id(2), Self.id(3), Self.id(7)])
        let both = ExportSelection.select(
            Self.pools, stack: "web", filter: try ExportFilter(namePattern: "ales", tags: [("team", "a"), ("n", "007")]))
        #expect(both.pools.map(\.id) == [Self.id(1)])
        // Only matching pools of other stacks are reported.
        #expect(both.skipped.isEmpty)
        #expect(throws: ExportFilter.InvalidPattern.self) { try ExportFilter(namePattern: "([") }
    }

    /// `--tag team=b` leaves out the owned pool keyed `sales`; the adopted
    /// "sales" must still not take that key, or plan refuses the export.
    @Test func aFilteredExportNeverTakesAKeyTheStackOwns() throws {
        let selection = ExportSelection.select(Self.pools, stack: "web", filter: try ExportFilter(tags: [("team", "b")]))
        #expect(selection.pools.map(\.id) == [Self.id(2)])
        #expect(selection.ownedKeys == ["kept", "sales"])
        let desired = ExportSelection.manifest(stack: "web", pools: selection.pools, protect: true, reserved: selection.ownedKeys)
        #expect(desired.pools.map(\.key) == ["sales-2"])
    }

    @Test func buildsAdoptionsAndKeepsOwnedKeysAndProtection() throws {
        let selected = ExportSelection.select(Self.pools, stack: "web", filter: try ExportFilter()).pools.map { pool in
            var pool = pool
            pool.members = pool.id == Self.id(1) ? [LiveMember(id: Self.s2), LiveMember(id: Self.s1)] : []
            return pool
        }
        let desired = ExportSelection.manifest(stack: "web", pools: selected, protect: true)
        #expect(desired.stack == "web" && desired.prune == false)
        #expect(
            desired.pools == [
                // The older "sales" keeps "sales-2": "sales" is the owned pool's key.
                DesiredPool(key: "broken-owner-tag", name: "Broken owner tag", tags: ["team": "a"], protect: true, adopt: Self.id(7)),
                DesiredPool(key: "kept", name: "Mine", tags: ["team": "a"], protect: true),
                DesiredPool(key: "sales", name: "Sales", protect: false),
                DesiredPool(key: "sales-2", name: "sales", tags: ["team": "b"], protect: true, adopt: Self.id(2)),
                DesiredPool(
                    key: "sales-3", name: "Sales", tags: ["team": "a", "n": "007"], senders: [Self.s1, Self.s2], protect: true,
                    adopt: Self.id(1)),
            ])
        let unprotected = ExportSelection.manifest(stack: "web", pools: selected, protect: false)
        #expect(unprotected.pools.map(\.protect) == [false, true, false, false, false])
        // The same live state in another order gives the same manifest.
        #expect(ExportSelection.manifest(stack: "web", pools: selected.reversed(), protect: true) == desired)
    }
}

import PoolctlAPI
import PoolctlModel

extension Workflow {
    /// What `export` found: the desired state to write, the pools left out,
    /// and the calls it took.
    public struct Exported: Sendable {
        /// Every exported pool; from `export(…, each:)`, without senders
        /// (each pool went to `each` with its senders as it was read).
        public var desired: DesiredState
        public var skipped: [ExportSelection.Skipped]
        /// Live pools listed, leases included.
        public var poolsRead: Int
        public var leases: Int
        public var calls: Int
    }

    /// Reads the live pools with the fewest calls, ceil(pools / 1000) plus,
    /// per exported pool only, max(1, ceil(members / 1000)), and builds the
    /// manifest for them. Read-only: it never writes to the API.
    public func export(stack: String, filter: ExportFilter, protect: Bool) async throws -> Exported {
        var pools: [DesiredPool] = []
        var exported = try await export(stack: stack, filter: filter, protect: protect) { pools.append($0) }
        exported.desired.pools = pools
        return exported
    }

    /// The same export, streamed: `each` receives every exported pool with
    /// its senders, in key order, as soon as its members are read, so only
    /// the pools being read (a bounded window) hold members at once. Keys
    /// are derived from every listed name before the first member is read.
    public func export(
        stack: String, filter: ExportFilter, protect: Bool, each: (DesiredPool) throws -> Void
    ) async throws -> Exported {
        let before = calls.total
        let listed = try await PoolListing.read(api).pools
        let pools = listed.map { LivePool(id: $0.id, name: $0.name, tags: $0.tags, createdAt: $0.createdAt, updatedAt: $0.updatedAt) }
        let selection = ExportSelection.select(pools, stack: stack, filter: filter)
        // Keys, names and tags from the listing; senders follow pool by pool.
        let outline = ExportSelection.manifest(stack: stack, pools: selection.pools, protect: protect, reserved: selection.ownedKeys)
        var ownedIDs: [String: String] = [:]
        for pool in selection.pools {
            if let ownership = pool.ownership, ownership.stack == stack { ownedIDs[ownership.key] = pool.id }
        }
        let order = outline.pools.map { $0.adopt ?? ownedIDs[$0.key] ?? "" }
        var next = 0
        // The refresh's width (`--parallelism`), not the apply's pools at once
        // (1,024): the read-ahead window is twice it, and at 1,024 a late pool
        // held up to 2,048 pools' members (110 MiB at 5,000 x 300).
        try await refresher.forEachPoolInOrder(of: order) { _, members in
            var pool = outline.pools[next]
            next += 1
            pool.senders = members.map(\.id)
            try each(DesiredPool(copying: pool))
        }
        return Exported(
            desired: outline, skipped: selection.skipped, poolsRead: listed.count, leases: selection.leases, calls: calls.total - before)
    }
}

extension DesiredPool {
    /// The same pool with `senders` sorted and distinct again.
    init(copying pool: DesiredPool) {
        self.init(
            key: pool.key, name: pool.name, tags: pool.tags, senders: pool.senders, membership: pool.membership, protect: pool.protect,
            adopt: pool.adopt, aliases: pool.aliases, location: pool.location, movedFrom: pool.movedFrom, ignoreTags: pool.ignoreTags)
    }
}

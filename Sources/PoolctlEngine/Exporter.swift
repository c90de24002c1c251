import PoolctlAPI
import PoolctlModel

extension Workflow {
    /// What `export` found: the desired state to write, the pools left out,
    /// and the calls it took.
    public struct Exported: Sendable {
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
        let before = calls.total
        let listed = try await PoolListing.read(api).pools
        let pools = listed.map { LivePool(id: $0.id, name: $0.name, tags: $0.tags, createdAt: $0.createdAt, updatedAt: $0.updatedAt) }
        let selection = ExportSelection.select(pools, stack: stack, filter: filter)
        let members = try await Refresher(api: api, parallelism: parallelism).readMembers(of: selection.pools.map(\.id))
        let read = selection.pools.map { pool in
            LivePool(
                id: pool.id, name: pool.name, tags: pool.tags, createdAt: pool.createdAt, updatedAt: pool.updatedAt,
                members: members[pool.id] ?? [])
        }
        return Exported(
            desired: ExportSelection.manifest(stack: stack, pools: read, protect: protect),
            skipped: selection.skipped, poolsRead: listed.count, leases: selection.leases, calls: calls.total - before)
    }
}

import PoolctlAPI
import PoolctlModel

/// Reads the live state a plan needs with the fewest calls: every pool
/// (pages of 1,000), then the members of only the pools that matter (owned
/// by the stack, or adopted), a bounded number of pools at a time.
///
/// Calls: ceil(pools / 1000), at least 1, plus, per relevant pool,
/// ceil(members / 1000), at least 1 (an empty pool still takes one call to
/// learn that it is empty).
public struct Refresher: Sendable {
    public var api: any CommsAPI
    public var parallelism: Int

    public init(api: any CommsAPI, parallelism: Int = 16) {
        self.api = api
        self.parallelism = max(1, parallelism)
    }

    /// The live state for a stack, with members read for its pools and for
    /// the given adopt targets.
    public func read(stack: String, adopting: Set<String>, including: (String) -> Bool = { _ in true }) async throws -> LiveState {
        try await read(pools: try await listPools(), stack: stack, adopting: adopting, including: including)
    }

    /// Every pool, without members, each id once.
    public func listPools() async throws -> [SenderPool] {
        try await PoolListing.read(api).pools
    }

    /// The live state from an existing listing: members are read for the
    /// adopt targets and the stack's pools whose key is included (a targeted
    /// plan reads only its own pools).
    public func read(pools: [SenderPool], stack: String, adopting: Set<String>, including: (String) -> Bool) async throws -> LiveState {
        let relevant = Self.relevant(pools, stack: stack, adopting: adopting, including: including)
        let members = try await readMembers(of: relevant.map(\.id))
        return LiveState(
            pools: pools.map { pool in
                LivePool(
                    id: pool.id, name: pool.name, tags: pool.tags, createdAt: pool.createdAt, updatedAt: pool.updatedAt,
                    members: members[pool.id])
            })
    }

    /// The pools whose members a plan reads: the adopt targets and the
    /// stack's pools whose key is included.
    public static func relevant(_ pools: [SenderPool], stack: String, adopting: Set<String>, including: (String) -> Bool) -> [SenderPool] {
        pools.filter { pool in
            if adopting.contains(pool.id) { return true }
            guard let ownership = Ownership(tags: pool.tags), ownership.stack == stack else { return false }
            return including(ownership.key)
        }
    }

    /// The members of `poolIDs` as a `LivePoolSource`: `parallelism` pools
    /// are read at once, and each is handed over as soon as it is complete,
    /// so at most that many pools' members are in memory.
    public func source(of poolIDs: [String]) -> some LivePoolSource {
        MemberSource(refresher: self, poolIDs: poolIDs)
    }

    struct MemberSource: LivePoolSource {
        let refresher: Refresher
        let poolIDs: [String]
        func forEachPool(_ body: (String, [LiveMember]) throws -> Void) async throws {
            try await refresher.forEachPool(of: poolIDs, body)
        }
    }

    /// Members of each pool, `parallelism` pools at a time.
    public func readMembers(of poolIDs: [String]) async throws -> [String: [LiveMember]] {
        var result: [String: [LiveMember]] = [:]
        result.reserveCapacity(poolIDs.count)
        try await forEachPool(of: poolIDs) { id, members in result[id] = members }
        return result
    }

    /// Reads `parallelism` pools at a time and calls `body` with each one's
    /// members as it completes.
    func forEachPool(of poolIDs: [String], _ body: (String, [LiveMember]) throws -> Void) async throws {
        let api = self.api
        try await BoundedTasks.run(poolIDs, limit: parallelism) { id in
            try await Self.members(of: id, api: api)
        } receive: { outcome in
            let (id, members) = try outcome.get()
            try body(id, members)
            return true
        }
    }

    /// Like `forEachPool(of:_:)`, but `body` sees the pools in the order of
    /// `poolIDs`: a pool read early waits for those before it, and no more
    /// than twice `parallelism` pools are read ahead of the next one due.
    public func forEachPoolInOrder(of poolIDs: [String], _ body: (String, [LiveMember]) throws -> Void) async throws {
        let api = self.api
        let window = 2 * parallelism
        try await withThrowingTaskGroup(of: (Int, String, [LiveMember]).self) { group in
            var launched = 0
            var delivered = 0
            var inFlight = 0
            var ready: [Int: (String, [LiveMember])] = [:]
            while true {
                while launched < poolIDs.count && inFlight < parallelism && launched - delivered < window {
                    let at = launched
                    let id = poolIDs[at]
                    group.addTask { (at, id, try await Self.members(of: id, api: api).1) }
                    launched += 1
                    inFlight += 1
                }
                guard let (at, id, members) = try await group.next() else { return }
                inFlight -= 1
                ready[at] = (id, members)
                while let (id, members) = ready.removeValue(forKey: delivered) {
                    try body(id, members)
                    delivered += 1
                }
            }
        }
    }

    static func members(of poolID: String, api: any CommsAPI) async throws -> (String, [LiveMember]) {
        // Whole pages of (id, address, channel): nothing else is decoded.
        var members: [LiveMember] = []
        for try await page in api.allPoolMembers(poolID: poolID).pages { members.append(contentsOf: page) }
        return (poolID, members)
    }
}

import PoolctlAPI

/// `GET /_emulator/state`: every pool with its members.
extension EmulatorStore {
    /// Every pool with its members (ids sorted), pools sorted by id, after
    /// settling due operations.
    public func state() -> EmulatorState {
        _ = tick()
        let inventory = self.inventory
        let list = pools.values.map { pool in
            EmulatorState.Pool(
                id: pool.id, name: pool.name, tags: pool.tags,
                senders: pool.members.map { inventory[Int($0)].id }.sorted())
        }
        return EmulatorState(pools: list.sorted { $0.id < $1.id })
    }
}

/// The body of `GET /_emulator/state`.
public struct EmulatorState: Sendable, Hashable, Encodable {
    public struct Pool: Sendable, Hashable, Encodable {
        public var id: String
        public var name: String
        public var tags: Tags
        public var senders: [String]
    }

    public var pools: [Pool]
}

import DequeModule
import PoolctlAPI
import PoolctlModel

/// The emulator's state: the sender inventory, pools, memberships and
/// operations, behind one actor. It implements `CommsAPI` directly (errors
/// are `APIError.http` with the status the HTTP front would send), so
/// in-process tests and the HTTP front share one implementation.
///
/// Time comes from an injected clock, and operations settle lazily: every
/// call first completes the operations whose deadline has passed. Nothing
/// runs in the background. The endpoints, settling, paging and seeding live
/// in the `EmulatorStore+…` files.
public actor EmulatorStore: CommsAPI {
    public nonisolated let clock: PoolctlClock
    /// What the seed produced: counts and a few sender ids to show.
    public nonisolated let summary: EmulatorSeedSummary
    nonisolated let operationDelayMS: Int64
    nonisolated let cancelRate: Double
    /// The `--behavior` answers to the open API questions.
    public nonisolated let behaviors: EmulatorBehaviors

    /// The account's senders, sorted by `createdAt` then `id` (never changes).
    nonisolated let inventory: [Sender]
    nonisolated let inventorySeconds: [Int64]
    nonisolated let inventoryIndex: [String: Int32]

    /// `scheme://host:port` used in locations returned to in-process callers.
    public private(set) var origin: String

    var pools: [String: PoolRecord] = [:]
    /// Sorted by `createdAt`, then `id` (insertion order in practice).
    var poolOrder: [PoolRecord] = []
    var operations: [String: OperationRecord] = [:]
    /// Sorted by `createdAt`, then `id` (always insertion order).
    var operationOrder: [OperationRecord] = []
    /// Operations to complete and `writes=async` effects to land, by due
    /// time (FIFO: both are due `operationDelayMS` after the request).
    var pending: Deque<Due> = []
    /// Under `list-lag`: deleted pools the lists still show, by deletion time.
    var lingering: Deque<PoolRecord> = []
    var ids: ULIDGenerator
    var rng: SplitMix64
    var lastNow: Int64

    let seeded: SeededState

    /// A store seeded from `configuration.seedPath` (or the standard
    /// 20-sender inventory when there is none).
    public init(configuration: EmulatorConfiguration, clock: PoolctlClock = .system) throws(EmulatorSeedError) {
        let seed = try configuration.seedPath.map { path throws(EmulatorSeedError) in try EmulatorSeed.load(path: path) } ?? .standard
        try self.init(seed: seed, configuration: configuration, clock: clock)
    }

    /// A store with an explicit seed. Uses `operationDelayMS`, `cancelRate`
    /// and `randomSeed` from `configuration`.
    public init(
        seed: EmulatorSeed = .standard, configuration: EmulatorConfiguration = EmulatorConfiguration(), clock: PoolctlClock = .system
    ) throws(EmulatorSeedError) {
        self.clock = clock
        self.operationDelayMS = Int64(max(0, configuration.operationDelayMS))
        self.cancelRate = configuration.cancelRate
        self.behaviors = configuration.behaviors
        self.origin =
            configuration.behaviors.locations == .foreign
            ? EmulatorBehaviors.foreignOrigin : EmulatorServer.baseURL(host: configuration.host, port: configuration.port)

        let inventory = try seed.inventory()
        self.inventory = inventory
        self.inventorySeconds = inventory.map { Timestamp.parseCanonical($0.createdAt) ?? 0 }
        var index: [String: Int32] = [:]
        index.reserveCapacity(inventory.count)
        for (i, sender) in inventory.enumerated() { index[sender.id] = Int32(i) }
        self.inventoryIndex = index

        let seeded = try Self.seededState(seed, inventoryIndex: index, configuration: configuration, now: clock.milliseconds())
        self.seeded = seeded
        self.ids = seeded.ids
        self.rng = seeded.rng
        self.lastNow = seeded.now
        self.summary = EmulatorSeedSummary(
            senders: inventory.count,
            pools: seeded.pools.count,
            sampleSenderIDs: Array(inventory.lazy.filter { $0.status == .activated }.prefix(3).map(\.id))
        )
        // Actor state is fully initialised: build the records.
        (pools, poolOrder) = Self.buildPools(seeded)
        poolOrder.forEach(rememberInitial)
    }

    /// Sets the origin used in locations returned to in-process callers
    /// (kept foreign under `locations=foreign`).
    public func setOrigin(_ origin: String) {
        if behaviors.locations == .own { self.origin = origin }
    }

    /// Back to the seeded state: seeded pools with their ids, no operations,
    /// the id generator and fault dice as they were after seeding.
    public func reset() {
        (pools, poolOrder) = Self.buildPools(seeded)
        poolOrder.forEach(rememberInitial)
        operations = [:]
        operationOrder = []
        pending = []
        lingering = []
        ids = seeded.ids
        rng = seeded.rng
        lastNow = max(lastNow, seeded.now)
    }
}

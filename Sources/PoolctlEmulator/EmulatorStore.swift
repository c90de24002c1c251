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
    /// How responses render times (`timestamps`).
    nonisolated let timestampStyle: TimestampStyle
    /// `--background-writes`: expected foreign writes before each `/v1` request.
    public nonisolated let backgroundRate: Double

    /// The account's senders, sorted by `createdAt` then `id` (never changes).
    nonisolated let inventory: [Sender]
    /// Each sender's `createdAt` in microseconds (`Timestamp`).
    nonisolated let inventoryMicros: [Int64]
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
    /// The latest record time handed out, in microseconds (`stamp`).
    var lastStamp: Int64 = .min
    /// Another user's automation (`--background-writes`).
    var background: EmulatorBackground
    /// `GET /_emulator/writes`: the latest writes that took effect.
    var writeLog = WriteLog()

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
        let style: TimestampStyle = configuration.behaviors.timestamps == .fractional ? .fractional : .whole
        self.timestampStyle = style
        self.backgroundRate = configuration.backgroundWrites
        self.background = EmulatorBackground(configuration: configuration)
        self.origin =
            configuration.behaviors.locations == .foreign
            ? EmulatorBehaviors.foreignOrigin : EmulatorServer.baseURL(host: configuration.host, port: configuration.port)

        var inventory = try seed.inventory()
        let inventoryMicros = inventory.map { (Timestamp.parseCanonical($0.createdAt) ?? 0) * Timestamp.microsPerSecond }
        self.inventoryMicros = inventoryMicros
        if style == .fractional {
            // Every response renders times alike, the inventory's included.
            for i in inventory.indices {
                let created = inventoryMicros[i]
                inventory[i].createdAt = style.render(micros: created)
                let updated = Timestamp.parseRFC3339(inventory[i].updatedAt)?.ceilingMicros ?? created
                inventory[i].updatedAt = style.render(micros: updated)
            }
        }
        self.inventory = inventory
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
            sampleSenderIDs: Array(inventory.lazy.filter { $0.status == .activated }.prefix(3).map(\.id)),
            backgroundPools: seeded.background.count
        )
        // Actor state is fully initialised: build the records.
        let built = Self.buildPools(seeded, style: style)
        (pools, poolOrder) = built
        background.reset(initial: seeded.background.compactMap { built.0[$0.id] })
        poolOrder.forEach(rememberInitial)
    }

    /// Sets the origin used in locations returned to in-process callers
    /// (kept foreign under `locations=foreign`).
    public func setOrigin(_ origin: String) {
        if behaviors.locations == .own { self.origin = origin }
    }

    /// Back to the seeded state: seeded pools with their ids, no operations,
    /// the id generator, fault dice and background writer as they were after
    /// seeding, and an empty write log.
    public func reset() {
        (pools, poolOrder) = Self.buildPools(seeded, style: timestampStyle)
        poolOrder.forEach(rememberInitial)
        operations = [:]
        operationOrder = []
        pending = []
        lingering = []
        ids = seeded.ids
        rng = seeded.rng
        lastNow = max(lastNow, seeded.now)
        writeLog = WriteLog()
        background.reset(initial: seeded.background.compactMap { pools[$0.id] })
    }

    /// The record time (microseconds) of an event at `ms`, now: its whole
    /// second by default. Under `timestamps=fractional` the millisecond, and
    /// events within one millisecond get successive microseconds, so every
    /// write has its own real time.
    func stamp(_ ms: Int64) -> Int64 {
        var micros = timestampStyle.micros(atMS: ms)
        if timestampStyle == .fractional, lastStamp >= micros, lastStamp < micros + 999 { micros = lastStamp + 1 }
        lastStamp = max(lastStamp, micros)
        return micros
    }
}

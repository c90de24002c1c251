import PoolctlAPI

/// The emulator's state: the sender inventory, pools, memberships and
/// operations, behind one actor. It implements `CommsAPI` directly (errors
/// are `APIError.http` with the status the HTTP front would send), so
/// in-process tests and the HTTP front share one implementation.
///
/// Time comes from an injected clock, and operations settle lazily: every
/// call first completes the operations whose deadline has passed. Nothing
/// runs in the background.
public actor EmulatorStore: CommsAPI {
    public nonisolated let clock: EmulatorClock
    /// What the seed produced: counts and a few sender ids to show.
    public nonisolated let summary: EmulatorSeedSummary
    nonisolated let operationDelayMS: Int64
    nonisolated let cancelRate: Double

    /// The account's senders, sorted by `createdAt` then `id` (never changes).
    nonisolated let inventory: [Sender]
    nonisolated let inventorySeconds: [Int64]
    nonisolated let inventoryIndex: [String: Int32]

    /// `scheme://host:port` used in locations returned to in-process callers.
    public private(set) var origin: String

    private var pools: [String: PoolRecord] = [:]
    /// Sorted by `createdAt`, then `id` (insertion order in practice).
    private var poolOrder: [PoolRecord] = []
    private var operations: [String: OperationRecord] = [:]
    /// Sorted by `createdAt`, then `id` (always insertion order).
    private var operationOrder: [OperationRecord] = []
    /// PROCESSING operations by deadline (FIFO: the delay is constant).
    private var pending: [OperationRecord] = []
    private var pendingHead = 0
    private var ids: ULIDGenerator
    private var rng: SplitMix64
    private var lastNow: Int64

    private let seeded: SeededState

    struct SeededPool {
        var id: String
        var name: String
        var tags: Tags
        var members: [Int32]
    }

    struct SeededState {
        var pools: [SeededPool]
        var ids: ULIDGenerator
        var rng: SplitMix64
        var now: Int64
    }

    // MARK: - Initialisation

    /// A store seeded from `configuration.seedPath` (or the standard
    /// 20-sender inventory when there is none).
    public init(configuration: EmulatorConfiguration, clock: EmulatorClock = .system) throws(EmulatorSeedError) {
        let seed = try configuration.seedPath.map { path throws(EmulatorSeedError) in try EmulatorSeed.load(path: path) } ?? .standard
        try self.init(seed: seed, configuration: configuration, clock: clock)
    }

    /// A store with an explicit seed. Uses `operationDelayMS`, `cancelRate`
    /// and `randomSeed` from `configuration`.
    public init(seed: EmulatorSeed = .standard, configuration: EmulatorConfiguration = EmulatorConfiguration(), clock: EmulatorClock = .system) throws(EmulatorSeedError) {
        self.clock = clock
        self.operationDelayMS = Int64(max(0, configuration.operationDelayMS))
        self.cancelRate = configuration.cancelRate
        self.origin = "http://\(Self.hostForURL(configuration.host)):\(configuration.port)"

        let inventory = try seed.inventory()
        self.inventory = inventory
        self.inventorySeconds = inventory.map { Timestamp.parseCanonical($0.createdAt) ?? 0 }
        var index: [String: Int32] = [:]
        index.reserveCapacity(inventory.count)
        for (i, sender) in inventory.enumerated() { index[sender.id] = Int32(i) }
        self.inventoryIndex = index

        var ids = ULIDGenerator(seed: configuration.randomSeed ^ 0x1D5_0F_5EED)
        let now = clock.milliseconds()
        var problems: [EmulatorSeedError.Problem] = []
        var seededPools: [SeededPool] = []
        var usedIDs = Set<String>()
        for (n, pool) in seed.pools.enumerated() {
            let what = "pool \(n + 1)"
            if let id = pool.id, let problem = FieldRules.idProblem(id, kind: .senderPool, what: "\(what) id") {
                problems.append(.init(message: problem))
                continue
            }
            if let problem = FieldRules.nameProblem(pool.name) ?? FieldRules.tagsProblem(pool.tags) {
                problems.append(.init(message: "\(what): \(problem)"))
                continue
            }
            var members: [Int32] = []
            var missing = false
            for sender in pool.senders {
                guard let i = index[sender] else {
                    problems.append(.init(message: "\(what): sender '\(sender)' is not in the inventory"))
                    missing = true
                    continue
                }
                members.append(i)
            }
            if missing { continue }
            let id = pool.id ?? EmulatorIDKind.senderPool.prefix + ids.next(milliseconds: now)
            guard usedIDs.insert(id).inserted else {
                problems.append(.init(message: "\(what): pool id '\(id)' is used twice"))
                continue
            }
            members.sort()
            seededPools.append(SeededPool(id: id, name: pool.name, tags: pool.tags, members: Self.uniqued(members)))
        }
        if !problems.isEmpty { throw EmulatorSeedError(file: nil, problems: problems) }
        let rng = SplitMix64(seed: configuration.randomSeed &+ 0xCA9C_E15E_ED00_0001)
        self.seeded = SeededState(pools: seededPools, ids: ids, rng: rng, now: now)
        self.ids = ids
        self.rng = rng
        self.lastNow = now
        self.summary = EmulatorSeedSummary(
            senders: inventory.count,
            pools: seededPools.count,
            sampleSenderIDs: Array(inventory.lazy.filter { $0.status == .activated }.prefix(3).map(\.id))
        )
        // Actor state is fully initialised: build the records.
        let (byID, order) = Self.buildPools(seeded)
        self.pools = byID
        self.poolOrder = order
    }

    private static func buildPools(_ seeded: SeededState) -> ([String: PoolRecord], [PoolRecord]) {
        let stamp = Timestamp.format(seconds: Timestamp.floorDiv(seeded.now, 1000))
        var byID: [String: PoolRecord] = [:]
        var order: [PoolRecord] = []
        for pool in seeded.pools {
            let record = PoolRecord(id: pool.id, seconds: Timestamp.floorDiv(seeded.now, 1000), createdAt: stamp,
                                    name: pool.name, tags: pool.tags)
            record.members = pool.members
            byID[pool.id] = record
            order.append(record)
        }
        order.sort { $0.position < $1.position }
        return (byID, order)
    }

    static func uniqued(_ sorted: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(sorted.count)
        for value in sorted where out.last != value { out.append(value) }
        return out
    }

    static func hostForURL(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }

    /// Sets the origin used in locations returned to in-process callers.
    public func setOrigin(_ origin: String) {
        self.origin = origin
    }

    /// Back to the seeded state: seeded pools with their ids, no operations,
    /// the id generator and fault dice as they were after seeding.
    public func reset() {
        let (byID, order) = Self.buildPools(seeded)
        pools = byID
        poolOrder = order
        operations = [:]
        operationOrder = []
        pending = []
        pendingHead = 0
        ids = seeded.ids
        rng = seeded.rng
        lastNow = max(lastNow, seeded.now)
    }

    // MARK: - Time and settling

    /// The current time (never going back), after settling due operations.
    private func tick() -> Int64 {
        let now = clock.milliseconds()
        if now > lastNow { lastNow = now }
        settle(lastNow)
        return lastNow
    }

    private func settle(_ now: Int64) {
        while pendingHead < pending.count, pending[pendingHead].deadline <= now {
            complete(pending[pendingHead])
            pendingHead += 1
        }
        if pendingHead > 64, pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    private func complete(_ operation: OperationRecord) {
        operation.updatedAt = Timestamp.format(seconds: Timestamp.floorDiv(operation.deadline, 1000))
        let pool = pools[operation.poolID]
        if pool?.activeOperation === operation { pool?.activeOperation = nil }
        if operation.cancel {
            operation.status = .canceled
            operation.failed = operation.total
            return
        }
        operation.status = .completed
        guard let pool else {
            operation.failed = operation.total
            return
        }
        pool.members = Self.merge(pool.members, operation.known)
        operation.created = operation.known.count
        operation.failed = operation.total - operation.known.count
    }

    /// Sorted union of two sorted, duplicate-free arrays.
    static func merge(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        if b.isEmpty { return a }
        if a.isEmpty { return b }
        if a.last! < b.first! { return a + b }
        var out: [Int32] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            if a[i] < b[j] { out.append(a[i]); i += 1 } else if b[j] < a[i] { out.append(b[j]); j += 1 } else {
                out.append(a[i]); i += 1; j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    // MARK: - Errors

    static func error(_ endpoint: Endpoint, _ status: Int, _ message: String, path: String? = nil) -> APIError {
        APIError.http(status, message, method: endpoint.method, path: path ?? String(endpoint.rawValue.drop { $0 != " " }.dropFirst()),
                      code: EmulatorErrors.code(for: status))
    }

    static func badRequest(_ endpoint: Endpoint, _ message: String) -> APIError { error(endpoint, 400, message) }

    private func requireID(_ id: String, _ kind: EmulatorIDKind, _ endpoint: Endpoint, what: String) throws(APIError) {
        if let problem = FieldRules.idProblem(id, kind: kind, what: what) { throw Self.badRequest(endpoint, problem) }
    }

    private func existingPool(_ id: String, _ endpoint: Endpoint) throws(APIError) -> PoolRecord {
        guard let pool = pools[id] else { throw Self.error(endpoint, 404, "SenderPool \(id) was not found") }
        return pool
    }

    private func requireIdle(_ pool: PoolRecord, _ endpoint: Endpoint) throws(APIError) {
        if let operation = pool.activeOperation {
            throw Self.error(endpoint, 409, "SenderPool \(pool.id) has operation \(operation.id) in progress; retry when it has finished")
        }
    }

    // MARK: - List parameters

    struct ListParameters {
        var cursor: Cursor
        var pageSize: Int
        /// Items need `seconds >= lowerSeconds` and `seconds < upperSeconds`.
        var lowerSeconds: Int64?
        var upperSeconds: Int64?
    }

    static func listParameters(_ endpoint: Endpoint, kind: EmulatorIDKind, pageToken: String?, pageSize: Int?,
                               startDate: String?, endDate: String?) throws(APIError) -> ListParameters {
        var parameters = ListParameters(cursor: .start, pageSize: 50)
        if let pageSize {
            guard (1...1000).contains(pageSize) else { throw badRequest(endpoint, "pageSize must be between 1 and 1000, got \(pageSize)") }
            parameters.pageSize = pageSize
        }
        if let pageToken {
            guard let cursor = Cursor.decode(pageToken, kind: kind) else {
                throw badRequest(endpoint, "pageToken is not a valid page token for this list")
            }
            parameters.cursor = cursor
        }
        if let startDate {
            guard let instant = Timestamp.parseRFC3339(startDate) else {
                throw badRequest(endpoint, "startDate '\(FieldRules.clip(startDate))' is not an RFC 3339 date-time")
            }
            parameters.lowerSeconds = instant.ceilingSeconds
        }
        if let endDate {
            guard let instant = Timestamp.parseRFC3339(endDate) else {
                throw badRequest(endpoint, "endDate '\(FieldRules.clip(endDate))' is not an RFC 3339 date-time")
            }
            parameters.upperSeconds = instant.ceilingSeconds
        }
        return parameters
    }

    static func checkSenderFilters(_ query: SenderQuery, _ endpoint: Endpoint) throws(APIError) {
        if let channel = query.channel, !Channel.documented.contains(channel) {
            throw badRequest(endpoint, "channel '\(FieldRules.clip(channel.rawValue))' is not one of \(Channel.documented.map(\.rawValue).joined(separator: ", "))")
        }
        if let status = query.status, !SenderStatus.documented.contains(status) {
            throw badRequest(endpoint, "status '\(FieldRules.clip(status.rawValue))' is not one of ACTIVATED, DEACTIVATED")
        }
    }

    /// One page over a collection sorted by (seconds, id): binary searches
    /// for the start and end, then a scan that stops after pageSize + 1 matches.
    static func page(count: Int, seconds: (Int) -> Int64, id: (Int) -> String, parameters: ListParameters,
                     include: (Int) -> Bool) -> (indices: [Int], next: Cursor?, current: Cursor) {
        func partition(_ predicate: (Int) -> Bool) -> Int {
            var low = 0
            var high = count
            while low < high {
                let mid = (low + high) / 2
                if predicate(mid) { high = mid } else { low = mid + 1 }
            }
            return low
        }
        var lower = 0
        if let position = parameters.cursor.position {
            lower = partition { i in
                let s = seconds(i)
                return s != position.seconds ? s > position.seconds : id(i) >= position.id
            }
        }
        if let lowerSeconds = parameters.lowerSeconds {
            lower = max(lower, partition { seconds($0) >= lowerSeconds })
        }
        let upper = parameters.upperSeconds.map { bound in partition { seconds($0) >= bound } } ?? count
        var indices: [Int] = []
        indices.reserveCapacity(min(parameters.pageSize + 1, max(0, upper - lower)))
        var i = lower
        var next: Cursor?
        while i < upper {
            if include(i) {
                if indices.count == parameters.pageSize {
                    next = Cursor(position: .init(seconds: seconds(i), id: id(i)))
                    break
                }
                indices.append(i)
            }
            i += 1
        }
        return (indices, next, parameters.cursor)
    }

    static func pagination(next: Cursor?, current: Cursor) -> Pagination {
        Pagination(next: next?.token, current: current.token)
    }

    // MARK: - CommsAPI: pools

    public func listSenderPools(_ query: SenderPoolQuery) throws(APIError) -> Page<SenderPool> {
        let endpoint = Endpoint.listSenderPools
        let parameters = try Self.listParameters(endpoint, kind: .senderPool, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        if let operationID = query.operationId {
            try requireID(operationID, .operation, endpoint, what: "operationId")
        }
        _ = tick()
        if let operationID = query.operationId {
            // At most one pool: the one the operation was started against.
            let candidates = operations[operationID].flatMap { pools[$0.poolID] }.map { [$0] } ?? []
            let result = Self.page(count: candidates.count, seconds: { candidates[$0].seconds }, id: { candidates[$0].id },
                                   parameters: parameters, include: { _ in true })
            return Page(items: result.indices.map { candidates[$0].wire }, pagination: Self.pagination(next: result.next, current: result.current))
        }
        let order = poolOrder
        let result = Self.page(count: order.count, seconds: { order[$0].seconds }, id: { order[$0].id },
                               parameters: parameters, include: { _ in true })
        return Page(items: result.indices.map { order[$0].wire }, pagination: Self.pagination(next: result.next, current: result.current))
    }

    public func createSenderPool(_ request: CreateSenderPoolRequest) throws(APIError) -> OperationAccepted {
        try createSenderPool(request, origin: origin)
    }

    func createSenderPool(_ request: CreateSenderPoolRequest, origin: String) throws(APIError) -> OperationAccepted {
        let endpoint = Endpoint.createSenderPool
        let name = request.name ?? ""
        let tags = request.tags ?? [:]
        let senderIDs = (request.senders ?? []).map(\.senderId)
        if let problem = FieldRules.nameProblem(name) ?? FieldRules.tagsProblem(tags)
            ?? FieldRules.senderListProblem(senderIDs, allowEmpty: true) {
            throw Self.badRequest(endpoint, problem)
        }
        let now = tick()
        let seconds = Timestamp.floorDiv(now, 1000)
        let stamp = Timestamp.format(seconds: seconds)
        let pool = PoolRecord(id: EmulatorIDKind.senderPool.prefix + ids.next(milliseconds: now), seconds: seconds,
                              createdAt: stamp, name: name, tags: tags)
        let operation = startOperation(pool: pool, senderIDs: senderIDs, now: now)
        pools[pool.id] = pool
        insertPool(pool)
        return OperationAccepted(operationId: operation.id, operationLocation: origin + "/v1/SenderPools/Operations/" + operation.id)
    }

    private func startOperation(pool: PoolRecord, senderIDs: [String], now: Int64) -> OperationRecord {
        let seconds = Timestamp.floorDiv(now, 1000)
        var known: [Int32] = []
        known.reserveCapacity(senderIDs.count)
        for id in senderIDs {
            if let index = inventoryIndex[id] { known.append(index) }
        }
        known.sort()
        let operation = OperationRecord(
            id: EmulatorIDKind.operation.prefix + ids.next(milliseconds: now),
            poolID: pool.id,
            seconds: seconds,
            createdAt: Timestamp.format(seconds: seconds),
            total: senderIDs.count,
            known: Self.uniqued(known),
            deadline: now + operationDelayMS,
            cancel: rng.chance(cancelRate)
        )
        pool.activeOperation = operation
        operations[operation.id] = operation
        operationOrder.append(operation)
        pending.append(operation)
        return operation
    }

    private func insertPool(_ pool: PoolRecord) {
        if let last = poolOrder.last, !(last.position < pool.position) {
            let index = poolIndex(pool.position)
            poolOrder.insert(pool, at: index)
        } else {
            poolOrder.append(pool)
        }
    }

    /// First index whose position is >= `position`.
    private func poolIndex(_ position: Cursor.Position) -> Int {
        var low = 0
        var high = poolOrder.count
        while low < high {
            let mid = (low + high) / 2
            if poolOrder[mid].position < position { low = mid + 1 } else { high = mid }
        }
        return low
    }

    public func fetchSenderPool(id: String) throws(APIError) -> SenderPool {
        let endpoint = Endpoint.fetchSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        _ = tick()
        return try existingPool(id, endpoint).wire
    }

    public func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) throws(APIError) -> ResourceAccepted {
        try updateSenderPool(id: id, request, origin: origin)
    }

    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest, origin: String) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.updateSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        if request.name == nil && request.tags == nil { throw Self.badRequest(endpoint, "give at least one of name and tags") }
        if let name = request.name, let problem = FieldRules.nameProblem(name) { throw Self.badRequest(endpoint, problem) }
        if let tags = request.tags, let problem = FieldRules.tagsProblem(tags) { throw Self.badRequest(endpoint, problem) }
        let now = tick()
        let pool = try existingPool(id, endpoint)
        try requireIdle(pool, endpoint)
        if let name = request.name { pool.name = name }
        if let tags = request.tags { pool.tags = tags }
        pool.updatedAt = Timestamp.format(seconds: Timestamp.floorDiv(now, 1000))
        return ResourceAccepted(resourceId: id, resourceLocation: origin + "/v1/SenderPools/" + id)
    }

    public func deleteSenderPool(id: String) throws(APIError) -> ResourceAccepted {
        try deleteSenderPool(id: id, origin: origin)
    }

    func deleteSenderPool(id: String, origin: String) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.deleteSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        _ = tick()
        let pool = try existingPool(id, endpoint)
        try requireIdle(pool, endpoint)
        pools[id] = nil
        let index = poolIndex(pool.position)
        if index < poolOrder.count, poolOrder[index] === pool { poolOrder.remove(at: index) }
        return ResourceAccepted(resourceId: id, resourceLocation: origin + "/v1/SenderPools/" + id)
    }

    // MARK: - CommsAPI: members

    public func listPoolSenders(poolID: String, _ query: SenderQuery) throws(APIError) -> Page<Sender> {
        let endpoint = Endpoint.listPoolSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        let parameters = try Self.listParameters(endpoint, kind: .sender, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        try Self.checkSenderFilters(query, endpoint)
        _ = tick()
        let pool = try existingPool(poolID, endpoint)
        let members = pool.members
        let inventory = self.inventory
        let seconds = self.inventorySeconds
        let result = Self.page(
            count: members.count,
            seconds: { seconds[Int(members[$0])] },
            id: { inventory[Int(members[$0])].id },
            parameters: parameters,
            include: Self.senderFilter(query, inventory: inventory, map: { Int(members[$0]) })
        )
        return Page(items: result.indices.map { inventory[Int(members[$0])] }, pagination: Self.pagination(next: result.next, current: result.current))
    }

    static func senderFilter(_ query: SenderQuery, inventory: [Sender], map: @escaping (Int) -> Int) -> (Int) -> Bool {
        switch (query.channel, query.status) {
        case (nil, nil): return { _ in true }
        case (let channel?, nil): return { inventory[map($0)].channel == channel }
        case (nil, let status?): return { inventory[map($0)].status == status }
        case (let channel?, let status?): return { let s = inventory[map($0)]; return s.channel == channel && s.status == status }
        }
    }

    public func addSenders(poolID: String, senderIDs: [String]) throws(APIError) -> OperationAccepted {
        try addSenders(poolID: poolID, senderIDs: senderIDs, origin: origin)
    }

    func addSenders(poolID: String, senderIDs: [String], origin: String) throws(APIError) -> OperationAccepted {
        let endpoint = Endpoint.addSenders
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        if let problem = FieldRules.senderListProblem(senderIDs, allowEmpty: false) { throw Self.badRequest(endpoint, problem) }
        let now = tick()
        let pool = try existingPool(poolID, endpoint)
        try requireIdle(pool, endpoint)
        let operation = startOperation(pool: pool, senderIDs: senderIDs, now: now)
        return OperationAccepted(operationId: operation.id,
                                 operationLocation: origin + "/v1/SenderPools/" + poolID + "/Senders/Operations/" + operation.id)
    }

    public func removeSender(poolID: String, senderID: String) throws(APIError) -> ResourceAccepted {
        try removeSender(poolID: poolID, senderID: senderID, origin: origin)
    }

    func removeSender(poolID: String, senderID: String, origin: String) throws(APIError) -> ResourceAccepted {
        let endpoint = Endpoint.removeSender
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        try requireID(senderID, .sender, endpoint, what: "senderId")
        _ = tick()
        let pool = try existingPool(poolID, endpoint)
        try requireIdle(pool, endpoint)
        guard let index = inventoryIndex[senderID], let position = Self.search(pool.members, index) else {
            throw Self.error(endpoint, 404, "Sender \(senderID) is not a member of SenderPool \(poolID)")
        }
        pool.members.remove(at: position)
        return ResourceAccepted(resourceId: senderID, resourceLocation: origin + "/v1/SenderPools/" + poolID + "/Senders/" + senderID)
    }

    static func search(_ sorted: [Int32], _ value: Int32) -> Int? {
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low < sorted.count && sorted[low] == value ? low : nil
    }

    // MARK: - CommsAPI: operations

    public func listOperations(_ query: OperationQuery) throws(APIError) -> Page<SenderPoolOperation> {
        let endpoint = Endpoint.listOperations
        let parameters = try Self.listParameters(endpoint, kind: .operation, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        if let status = query.status, !OperationStatus.documented.contains(status) {
            throw Self.badRequest(endpoint, "status '\(FieldRules.clip(status.rawValue))' is not one of PROCESSING, COMPLETED, CANCELED")
        }
        _ = tick()
        let order = operationOrder
        let include: (Int) -> Bool = query.status.map { status in { order[$0].status == status } } ?? { _ in true }
        let result = Self.page(count: order.count, seconds: { order[$0].seconds }, id: { order[$0].id },
                               parameters: parameters, include: include)
        return Page(items: result.indices.map { order[$0].wire }, pagination: Self.pagination(next: result.next, current: result.current))
    }

    public func fetchOperation(id: String) throws(APIError) -> SenderPoolOperation {
        let endpoint = Endpoint.fetchOperation
        try requireID(id, .operation, endpoint, what: "operationId")
        _ = tick()
        guard let operation = operations[id] else { throw Self.error(endpoint, 404, "Operation \(id) was not found") }
        return operation.wire
    }

    /// `GET /v1/SenderPools/{poolId}/Senders/Operations/{operationId}`: 404
    /// unless the operation was started against that pool (which need not
    /// still exist).
    public func fetchOperation(poolID: String, id: String) throws(APIError) -> SenderPoolOperation {
        let endpoint = Endpoint.fetchPoolSendersOperation
        try requireID(poolID, .senderPool, endpoint, what: "senderPoolId")
        try requireID(id, .operation, endpoint, what: "operationId")
        _ = tick()
        guard let operation = operations[id], operation.poolID == poolID else {
            throw Self.error(endpoint, 404, "Operation \(id) was not found for SenderPool \(poolID)")
        }
        return operation.wire
    }

    // MARK: - Inventory

    /// `GET /v1/Senders`: the account's inventory, filtered by channel and status.
    public func listSenders(_ query: SenderQuery) throws(APIError) -> Page<Sender> {
        let endpoint = Endpoint.listSenders
        let parameters = try Self.listParameters(endpoint, kind: .sender, pageToken: query.pageToken, pageSize: query.pageSize,
                                                 startDate: query.startDate, endDate: query.endDate)
        try Self.checkSenderFilters(query, endpoint)
        let inventory = self.inventory
        let seconds = self.inventorySeconds
        let result = Self.page(count: inventory.count, seconds: { seconds[$0] }, id: { inventory[$0].id },
                               parameters: parameters, include: Self.senderFilter(query, inventory: inventory, map: { $0 }))
        return Page(items: result.indices.map { inventory[$0] }, pagination: Self.pagination(next: result.next, current: result.current))
    }

    // MARK: - Admin

    /// Every pool with its members (ids sorted), pools sorted by id, after
    /// settling due operations.
    public func state() -> EmulatorState {
        _ = tick()
        let inventory = self.inventory
        let list = pools.values.map { pool in
            EmulatorState.Pool(id: pool.id, name: pool.name, tags: pool.tags,
                               senders: pool.members.map { inventory[Int($0)].id }.sorted())
        }
        return EmulatorState(pools: list.sorted { $0.id < $1.id })
    }
}

/// Counts and a few sender ids, for the CLI to print at start-up.
public struct EmulatorSeedSummary: Sendable, Hashable, CustomStringConvertible {
    public var senders: Int
    public var pools: Int
    /// Up to three ACTIVATED sender ids from the inventory.
    public var sampleSenderIDs: [String]

    public init(senders: Int, pools: Int, sampleSenderIDs: [String]) {
        self.senders = senders
        self.pools = pools
        self.sampleSenderIDs = sampleSenderIDs
    }

    public var description: String {
        var text = "\(senders) sender\(senders == 1 ? "" : "s") in the inventory, \(pools) pool\(pools == 1 ? "" : "s")"
        if !sampleSenderIDs.isEmpty { text += "; e.g. " + sampleSenderIDs.joined(separator: ", ") }
        return text
    }
}

/// `GET /_emulator/state`.
public struct EmulatorState: Sendable, Hashable, Codable {
    public struct Pool: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var tags: Tags
        public var senders: [String]
    }

    public var pools: [Pool]
}

final class PoolRecord {
    let id: String
    let seconds: Int64
    let createdAt: String
    var name: String
    var tags: Tags
    var updatedAt: String
    var members: [Int32] = []
    var activeOperation: OperationRecord?

    init(id: String, seconds: Int64, createdAt: String, name: String, tags: Tags) {
        self.id = id
        self.seconds = seconds
        self.createdAt = createdAt
        self.name = name
        self.tags = tags
        self.updatedAt = createdAt
    }

    var position: Cursor.Position { Cursor.Position(seconds: seconds, id: id) }

    var wire: SenderPool {
        SenderPool(id: id, name: name, tags: tags, createdAt: createdAt, updatedAt: updatedAt)
    }
}

final class OperationRecord {
    let id: String
    let poolID: String
    let seconds: Int64
    let createdAt: String
    var updatedAt: String
    var status: OperationStatus = .processing
    let total: Int
    var created = 0
    var failed = 0
    /// Requested senders that are in the inventory, sorted.
    let known: [Int32]
    let deadline: Int64
    let cancel: Bool

    init(id: String, poolID: String, seconds: Int64, createdAt: String, total: Int, known: [Int32], deadline: Int64, cancel: Bool) {
        self.id = id
        self.poolID = poolID
        self.seconds = seconds
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.total = total
        self.known = known
        self.deadline = deadline
        self.cancel = cancel
    }

    var wire: SenderPoolOperation {
        let queued = status == .processing ? total : 0
        return SenderPoolOperation(id: id, status: status,
                                   stats: OperationStats(total: total, queued: queued, created: created, failed: failed),
                                   createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// Error codes of the emulator (one per HTTP status).
public enum EmulatorErrors {
    public static func code(for status: Int) -> Int {
        switch status {
        case 400: return 20001
        case 401: return 20003
        case 404: return 20404
        case 405: return 20004
        case 409: return 20409
        case 429: return 20429
        case 503: return 20503
        default: return status >= 500 ? 20500 : 20000 + status
        }
    }

    public static func moreInfo(code: Int) -> String { "https://www.twilio.com/docs/errors/\(code)" }
}

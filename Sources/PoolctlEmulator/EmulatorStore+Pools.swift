import Algorithms
import PoolctlAPI
import PoolctlModel

/// The SenderPool endpoints: list, create, fetch, update and delete.
extension EmulatorStore {
    /// One page of List SenderPools, each pool shown as `item` makes it.
    func listPools<Item>(_ query: SenderPoolQuery, _ item: (PoolRecord, PoolVersion) -> Item) throws(APIError) -> ListPage<Item> {
        let endpoint = Endpoint.listSenderPools
        let parameters = try listParameters(endpoint, kind: .senderPool, window: served(query.window))
        // filters=ignored: operationId is neither checked nor applied either.
        let operationID = behaviors.filters == .ignored ? nil : query.operationId
        if let operationID {
            try requireID(operationID, .operation, endpoint, what: "operationId")
        }
        _ = tick()
        // Under list-lag the list shows the pools as they were listLag ago.
        let t = listTime
        // With an operationId, at most one pool: the one the operation was started against.
        let order = operationID.map { id in operations[id].map { [$0.pool] } ?? [] } ?? poolOrder
        return Self.page(
            count: order.count, micros: { order[$0].micros }, id: { order[$0].id }, parameters: parameters,
            include: { self.listed(order[$0], at: t) != nil },
            item: { i in
                let pool = order[i]
                return item(pool, self.listed(pool, at: t)!)  // `include` let it through
            })
    }

    func createSenderPool(_ request: CreateSenderPoolRequest, origin: String, source: WriteSource) throws(APIError) -> Accepted {
        try create(request, origin: origin, source: source).accepted
    }

    /// Create, returning the new pool's record too (hidden ones included).
    func create(_ request: CreateSenderPoolRequest, origin: String, source: WriteSource) throws(APIError) -> (
        accepted: Accepted, pool: PoolRecord
    ) {
        let endpoint = Endpoint.createSenderPool
        let name = request.name ?? ""
        let tags = request.tags ?? [:]
        let senderIDs = (request.senders ?? []).map(\.senderId)
        if let problem = FieldRules.nameProblem(name) ?? FieldRules.tagsProblem(tags)
            ?? FieldRules.senderListProblem(senderIDs, allowEmpty: true, limit: behaviors.addBatchLimit)
        {
            throw Self.badRequest(endpoint, problem)
        }
        let now = tick()
        let micros = stamp(now)
        // Under create-visibility=after-completion the pool appears when its operation completes.
        let hidden = behaviors.createVisibility == .afterCompletion
        let pool = PoolRecord(
            id: EmulatorIDKind.senderPool.prefix + ids.next(milliseconds: now), micros: micros,
            createdAt: timestampStyle.render(micros: micros), name: name, tags: tags, visibleFrom: hidden ? now + operationDelayMS : now)
        let operation = startOperation(.create, pool: pool, senderIDs: senderIDs, now: now)
        if !hidden { reveal(pool) }
        logWrite(.createSenderPool, source: source, poolID: pool.id, status: 202, tagsBefore: nil, tagsAfter: tags, at: now)
        let accepted = Accepted(kind: .operation, id: operation.id, location: origin + "/v1/SenderPools/Operations/" + operation.id)
        return (accepted, pool)
    }

    /// Fetch a SenderPool: its record, for `item` to show.
    func fetchPool(id: String) throws(APIError) -> PoolRecord {
        let endpoint = Endpoint.fetchSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        _ = tick()
        return try existingPool(id, endpoint)
    }

    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest, origin: String, source: WriteSource) throws(APIError)
        -> Accepted
    {
        let endpoint = Endpoint.updateSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        if request.name == nil && request.tags == nil { throw Self.badRequest(endpoint, "give at least one of name and tags") }
        if let name = request.name, let problem = FieldRules.nameProblem(name) { throw Self.badRequest(endpoint, problem) }
        if let tags = request.tags, let problem = FieldRules.tagsProblem(tags) { throw Self.badRequest(endpoint, problem) }
        let now = tick()
        let pool = try existingPool(id, endpoint)
        try requireIdle(pool, endpoint)
        if behaviors.patchTags == .merge, let tags = request.tags {
            let merged = pool.tags.merging(tags) { $1 }
            if let problem = FieldRules.tagsProblem(merged) { throw Self.badRequest(endpoint, "after merging: \(problem)") }
        }
        let tagsBefore = pool.tags
        perform(.update(pool, name: request.name, tags: request.tags), now: now)
        logWrite(
            .updateSenderPool, source: source, poolID: id, status: 202, tagsBefore: tagsBefore,
            tagsAfter: request.tags.map { patchedTags(tagsBefore, $0) } ?? tagsBefore, at: now)
        return Accepted(kind: .resource, id: id, location: origin + "/v1/SenderPools/" + id)
    }

    func deleteSenderPool(id: String, origin: String, source: WriteSource) throws(APIError) -> Accepted {
        let endpoint = Endpoint.deleteSenderPool
        try requireID(id, .senderPool, endpoint, what: "senderPoolId")
        let now = tick()
        let pool = try existingPool(id, endpoint)
        try requireIdle(pool, endpoint)
        perform(.delete(pool), now: now)
        logWrite(
            .deleteSenderPool, source: source, poolID: id, status: behaviors.deleteStatus, tagsBefore: pool.tags, tagsAfter: nil, at: now)
        return Accepted(kind: .resource, id: id, location: origin + "/v1/SenderPools/" + id)
    }

    /// A PATCH's `tags` applied to `current`: replaced, or under
    /// `patch-tags=merge` the given keys set and the others kept.
    nonisolated func patchedTags(_ current: Tags, _ tags: Tags) -> Tags {
        behaviors.patchTags == .merge ? current.merging(tags) { $1 } : tags
    }

    /// PATCH's effect (`patchedTags`). Bumps `updatedAt` even when nothing
    /// changed, except under `noop-patch=unchanged`.
    func applyUpdate(_ pool: PoolRecord, name: String?, tags: Tags?, at: Int64) {
        guard pool.deletedAt == nil else { return }
        let newName = name ?? pool.name
        let newTags = tags.map { patchedTags(pool.tags, $0) } ?? pool.tags
        // Names compare code point for code point, as stored: Swift's == would hold "é" and "e\u{301}" equal.
        let sameName = newName.unicodeScalars.elementsEqual(pool.name.unicodeScalars)
        if behaviors.noopPatch == .unchanged && sameName && newTags == pool.tags { return }
        pool.name = newName
        pool.tags = newTags
        pool.updatedAt = timestampStyle.render(micros: stamp(at))
        changed(pool, at: at)
    }

    /// DELETE's effect: the pool and its memberships are gone (the lists
    /// still show it for `list-lag`).
    func applyDelete(_ pool: PoolRecord, at: Int64) {
        guard pool.deletedAt == nil else { return }
        pools[pool.id] = nil
        pool.deletedAt = at
        if listLag > 0 { linger(pool) } else { removeFromOrder(pool) }
    }

    /// The pool becomes visible: in Fetch, the lists and the writes.
    func reveal(_ pool: PoolRecord) {
        pools[pool.id] = pool
        insertPool(pool)
        rememberInitial(pool)
    }

    func removeFromOrder(_ pool: PoolRecord) {
        let index = poolIndex(pool.position)
        if index < poolOrder.count, poolOrder[index] === pool { poolOrder.remove(at: index) }
    }

    private func insertPool(_ pool: PoolRecord) {
        if let last = poolOrder.last, !(last.position < pool.position) {
            poolOrder.insert(pool, at: poolIndex(pool.position))
        } else {
            poolOrder.append(pool)
        }
    }

    /// First index in `poolOrder` whose position is >= `position`.
    private func poolIndex(_ position: Cursor.Position) -> Int {
        poolOrder.partitioningIndex { !($0.position < position) }
    }
}

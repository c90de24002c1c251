import Foundation
import PoolctlAPI
import PoolctlModel

/// The steps of acquiring: create our lease, find it, and list until it shows (its deletes: StackLease+Deletes).
extension StackLease {

    struct OwnLease {
        var id: String
        /// A listing that already shows it, when finding it took one.
        var listing: PoolListing?
    }

    /// Creates our lease, waits for its operation and finds its id. A create
    /// whose outcome is unknown (5xx, reset, timeout) may have made the
    /// pool: before creating again, look for this run's unique tag value;
    /// a second lease that this makes anyway is deleted as an extra.
    /// `run` keeps what a failure leaves for the sweep.
    /// `shownBy`: when a wait for a list to show a completed create ends.
    func createOwn(name: String, tag: LeaseTag, shownBy: Duration, run: inout Attempts) async throws -> OwnLease {
        var lastError: APIError?
        var waits = options.stepBackoffs.waits()
        for attempt in 0..<options.stepAttempts {
            if attempt > 0 { try await clock.sleep(waits.next(random: random())) }
            // An interrupted acquisition sends no further create.
            try Task.checkCancellation()
            if run.uncertain {
                switch try await look(tag, name: name, excluding: run.withdrawn) {
                case .found(let own): return own
                case .absent: break
                case .failed(let error):
                    lastError = error
                    continue
                }
            }
            let accepted: OperationAccepted
            let sentAt = clock.now()
            do {
                accepted = try await api.createSenderPool(CreateSenderPoolRequest(name: name, tags: tag.tags))
            } catch let error as APIError where error.isTransient {
                run.uncertain = true
                lastError = error
                // The lease looks for its own create: the client's advice to check is not the user's to follow.
                var brief = error
                brief.message = error.cause
                report(.createRetried(error: brief.description))
                continue
            }
            // It exists from here on: a failure before it is found leaves it to the sweep.
            run.unfound = true
            guard let reference = OperationReference(accepted, poolID: nil) else {
                // Accepted, so it exists: found by its tag, never created again.
                run.uncertain = true
                return try await awaitByTag(tag, name: name, shownBy: shownBy, run: run)
            }
            run.operations[reference.id] = sentAt
            do {
                if let (found, lag) = try await awaitOwn(reference, tag: tag, name: name, shownBy: shownBy, run: run) {
                    run.listLag = lag
                    return OwnLease(id: found.0, listing: found.1)
                }
            } catch let error as APIError where error.isTransient {
                lastError = error
            }
            run.uncertain = true
        }
        if run.uncertain, case .found(let own) = try await look(tag, name: name, excluding: run.withdrawn) { return own }
        // A lease we made but never found is never renewed: it goes stale
        // after its TTL and the next apply deletes it.
        throw notTaken(tag, lastError: lastError)
    }

    /// Why `createOwn` gave up: the last transient failure, else that no pool showed.
    private func notTaken(_ tag: LeaseTag, lastError: APIError?) -> APIError {
        guard let lastError else {
            return APIError(
                kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
                message: "no lease pool tagged \(LeaseTag.tagKey)=\(tag.tagValue) was found after \(options.stepAttempts) creates")
        }
        return APIError(
            kind: lastError.kind, method: lastError.method, path: lastError.path, status: lastError.status, code: lastError.code,
            message:
                "the stack's lease (an empty pool tagged \(LeaseTag.tagKey)) could not be taken in \(options.stepAttempts) tries; no pool of the stack was changed; last: \(lastError.cause)"
        )
    }

    /// Polls our create's operation, then finds its pool, and how long the
    /// lists took to show it once the operation was seen to end. Any final
    /// status will do: a lease holds no senders, and an operation that ended
    /// CANCELED or FAILED may still have made the pool; `find` tells (nil:
    /// look by tag, then create again). One that ended COMPLETED did make
    /// it, so it is never created again, whatever a read answers: a list
    /// that lags is read again with growing waits (one filtered page, and
    /// the tag listing unless an earlier create's outcome was unknown and
    /// only the filter may decide) until `shownBy`. Past that the
    /// acquisition fails: a second lease would only add one more pool that
    /// the lists do not show.
    func awaitOwn(_ reference: OperationReference, tag: LeaseTag, name: String, shownBy: Duration, run: Attempts) async throws -> (
        found: (String, PoolListing?), lag: Duration
    )? {
        let started = clock.now()
        let operation = try await poll(reference)
        let ended = clock.now()
        let uncertain = run.uncertain
        guard operation.status == .completed else {
            return try await find(operationID: reference.id, tag: tag, name: name, waitForFilter: uncertain, excluding: run.withdrawn)
                .map { ($0, clock.now() - ended) }
        }
        var waits = options.sightingBackoff.waits()
        var rounds = 0
        while true {
            do {
                // The first round as for any create; then one read of each a round.
                if let found = try await find(
                    operationID: reference.id, tag: tag, name: name, waitForFilter: uncertain, excluding: run.withdrawn,
                    attempts: rounds == 0 ? 3 : 1, fallBack: rounds == 0 || !uncertain)
                {
                    return (found, clock.now() - ended)
                }
            } catch let error as APIError where error.isTransient {
                // The pool exists: a failed read is no reason to make another.
            }
            guard clock.now() + waits.scheduled <= shownBy else { break }
            // Said once: without it, apply would seem to hang for the lists' lag.
            if rounds == 0 { report(.notShownYet(operationID: reference.id, giveUpIn: shownBy - clock.now())) }
            rounds += 1
            try await clock.sleep(waits.next())
        }
        throw APIError(
            kind: .invalidResponse, method: "GET", path: "/v1/SenderPools?operationId=\(reference.id)",
            message:
                "the lease's create operation \(reference.id) COMPLETED, but no listing showed its pool within \((clock.now() - started).inWholeSecondsRoundedUp) s: the API's lists lag more than poolctl waits for; no pool of the stack was changed, and the unseen lease (tagged \(LeaseTag.tagKey)=\(tag.tagValue)) expires after its TTL"
        )
    }

    /// How long to wait for a list to show our lease: `visibilityLimit`, or
    /// three quarters of the time its TTL leaves for writes when that is
    /// shorter (the rest is for the rival check; a lease shown later is
    /// withdrawn unused, `ensureWriteTimeLeft`).
    func visibilityWindow(_ tag: LeaseTag) -> Duration {
        let ttl = Duration.seconds(tag.ttlSeconds)
        return min(options.visibilityLimit, HeldLease.writeTime(ttl: ttl) * 3 / 4)
    }

    func poll(_ reference: OperationReference) async throws -> SenderPoolOperation {
        var poller = options.poller
        var action = poller.start()
        let started = clock.now()
        var told = false
        while true {
            switch action {
            case .wait(let duration):
                try await clock.sleep(duration)
                let operation = try await retrying { try await api.fetchOperation(reference) }
                action = poller.received(operation)
                // Said once: without it, apply would seem to hang on a slow create.
                let waited = clock.now() - started
                if case .wait(let next) = action, !told, waited >= options.slowCreateNotice {
                    told = true
                    // The poller's waits left, the next one included; a slow poll adds its own time.
                    report(
                        .stillCreating(
                            operationID: reference.id, status: operation.status.rawValue, waited: waited,
                            giveUpIn: next + poller.remaining))
                }
            case .done(let operation):
                return operation
            case .timedOut:
                throw APIError(
                    kind: .deadlineExceeded, method: "GET", path: "/v1/SenderPools/Operations/\(reference.id)",
                    message: "the lease's create operation \(reference.id) had not finished after \(poller.polls) polls")
            }
        }
    }

    /// Our lease's id: by the `operationId` filter if the pool it returns
    /// carries our exact tag value and name, else by tag and name in a full
    /// listing (which is then reused), leaving out our leases `excluding`
    /// (withdrawn, but a lagging listing may show them). Nil when neither
    /// shows it yet.
    ///
    /// With `waitForFilter` (an earlier create's outcome was unknown), an
    /// empty filtered page is asked again before the listing: the oldest
    /// pool with our tag may be that earlier pool, and adopting it would
    /// leave this completed create out of the survey, which only trusts
    /// listings that show the adopted lease. A page with someone else's
    /// pool means the API ignores the filter: look by tag at once.
    /// `fallBack`: after an empty page on the last attempt, look by tag even
    /// when `waitForFilter`.
    func find(
        operationID: String, tag: LeaseTag, name: String, waitForFilter: Bool, excluding: Set<String>, attempts: Int = 3,
        fallBack: Bool = true
    ) async throws -> (String, PoolListing?)? {
        var waits = options.sightingBackoff.waits()
        for attempt in 0..<attempts {
            if attempt > 0 { try await clock.sleep(waits.next()) }
            let page = try await retrying { try await api.listSenderPools(SenderPoolQuery(operationId: operationID, pageSize: 1)) }
            if let pool = page.items.first, Self.isExactly(pool, tag: tag), pool.name == name {
                return (pool.id, nil)
            }
            let lookByTag = !waitForFilter || !page.items.isEmpty || (fallBack && attempt == attempts - 1)
            if lookByTag, let found = try await findByTag(tag, name: name, excluding: excluding) { return found }
        }
        return nil
    }

    /// What a look by tag for our lease showed.
    enum Look {
        case found(OwnLease)
        case absent
        /// A transient failure: it proves nothing, so no create may follow it.
        case failed(APIError)
    }

    /// `findByTag`, its transient failure told apart from absence; any other failure is thrown.
    private func look(_ tag: LeaseTag, name: String, excluding: Set<String>) async throws -> Look {
        do {
            return try await findByTag(tag, name: name, excluding: excluding).map { .found(OwnLease(id: $0.0, listing: $0.1)) } ?? .absent
        } catch let error as APIError where error.isTransient {
            return .failed(error)
        }
    }

    /// A create the API accepted without naming its operation: its pool
    /// exists, so it is looked for by tag, with growing waits, until
    /// `shownBy`; never created again. Past that the acquisition fails.
    private func awaitByTag(_ tag: LeaseTag, name: String, shownBy: Duration, run: Attempts) async throws -> OwnLease {
        var waits = options.sightingBackoff.waits()
        while true {
            if case .found(let own) = try await look(tag, name: name, excluding: run.withdrawn) { return own }
            guard clock.now() + waits.scheduled <= shownBy else { break }
            try await clock.sleep(waits.next())
        }
        throw APIError(
            kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
            message:
                "the API accepted the lease's create without naming its operation, and no listing showed the pool (tagged \(LeaseTag.tagKey)=\(tag.tagValue)) in time; no pool of the stack was changed"
        )
    }

    /// The oldest pool with our exact tag value and name in a full listing,
    /// other than `excluding`.
    func findByTag(_ tag: LeaseTag, name: String, excluding: Set<String>) async throws -> (String, PoolListing)? {
        let listing = try await retrying { try await PoolListing.read(api) }
        let mine = listing.pools.filter { Self.isExactly($0, tag: tag) && $0.name == name && !excluding.contains($0.id) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        return mine.first.map { ($0.id, listing) }
    }

    /// Listings that show our own lease: the rule is only safe on listings
    /// that already show completed creates. One listing when it was a single
    /// page; else more with other page boundaries, since paging under other
    /// users' writes can skip a rival's lease.
    /// A list that lags is read `listingAttempts` times, or until `giveUp`
    /// (the acquisition's visibility window) when that is later.
    func listingsShowing(_ ownID: String, first: PoolListing?, giveUp: Duration) async throws -> ([PoolListing], unconfirmed: String?) {
        var showing = first.flatMap { $0.contains(id: ownID) ? $0 : nil }
        var attempt = 0
        var waits = options.sightingBackoff.waits()
        while showing == nil {
            guard attempt < options.listingAttempts || clock.now() + waits.scheduled <= giveUp else {
                throw APIError(
                    kind: .invalidResponse, method: "GET", path: "/v1/SenderPools",
                    message:
                        "no listing showed the completed lease pool \(ownID) in \(attempt) reads; the lease cannot be trusted, so it is deleted and no pool of the stack was changed"
                )
            }
            if attempt > 0 { try await clock.sleep(waits.next()) }
            attempt += 1
            let listing = try await retrying { try await PoolListing.read(api) }
            if listing.contains(id: ownID) { showing = listing }
        }
        let sightings = try await confirmingListings(showing!)
        // A rival's lease all listings skipped would let two applies proceed: never guess.
        return (sightings.listings, sightings.unconfirmedReason)
    }

    /// The server's time: from the client's `Date` headers, else our own
    /// lease's `updatedAt` plus the local time since the listing was read.
    func serverTime(own: SenderPool?, listedAt: Duration) -> Date? {
        if let estimate = (api as? ServerClock)?.estimatedServerTime() { return estimate }
        guard let updated = own.flatMap({ WireTime.parseRFC3339($0.updatedAt) }) else { return nil }
        return updated.addingTimeInterval((clock.now() - listedAt).inSeconds)
    }
}

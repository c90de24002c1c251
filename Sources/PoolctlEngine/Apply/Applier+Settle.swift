import PoolctlAPI
import PoolctlModel
import PoolctlPlan

extension Applier {
    /// Re-reads every touched pool and compares it with the plan, settling
    /// until nothing is in doubt. One listing of all pools (1 call per 1,000)
    /// replaces a fetch per pool. The live state decides: a step may have
    /// failed yet its effect landed (a lost response), or the other way
    /// round. Returns the pools the last listings showed.
    func verifyAll(
        _ work: [PoolChange], _ final: inout [PoolResult], stack: String, refused: [String: String], deadline: Duration
    ) async -> [String: SenderPool] {
        var doubt = Array(final.indices.filter { final[$0].status != .skipped && refused[Self.id(work[$0])] == nil })
        var lastListing: [String: SenderPool] = [:]
        _ = await settle(deadline: deadline) {
            guard !doubt.isEmpty else { return .settled }
            let listed = try? await PoolListing.read(api).pools
            let livePools = listed.map { Dictionary($0.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }) }
            for (id, pool) in livePools ?? [:] { lastListing[id] = pool }
            let carriers = Self.ownershipCarriers(listed ?? [], stack: stack)
            for index in doubt {
                final[index].remaining = await remaining(
                    work[index], &final[index], livePools: livePools, carriers: listed == nil ? nil : carriers)
            }
            doubt = doubt.filter { !final[$0].remaining.isEmpty }
            if doubt.isEmpty { return .settled }
            guard listed != nil else { return .unread }
            // A pool the next plan would not see, and (without the lease) create again. A listed
            // duplicate is not waited for: waiting cannot repair it.
            let unlisted = doubt.contains {
                final[$0].poolID == nil && Self.completedCreate(final[$0]) != nil && (carriers[work[$0].key] ?? []).isEmpty
            }
            return unlisted ? .writesNotShown : .inDoubt
        }
        return lastListing
    }

    /// The create operation of a pool that ended COMPLETED: its pool exists.
    static func completedCreate(_ result: PoolResult) -> OperationResult? {
        result.operations.first { $0.kind == .create && $0.status == OperationStatus.completed.rawValue }
    }

    /// What is left to do for one pool. `carriers` is nil when the listing failed.
    func remaining(
        _ change: PoolChange, _ result: inout PoolResult, livePools: [String: SenderPool]?, carriers: [String: [String]]?
    ) async -> [String] {
        // A create that sent nothing after its operation is found here, by its ownership tag.
        if result.poolID == nil, change.action == .create, let ids = carriers?[change.key], ids.count == 1 {
            result.poolID = ids[0]
        }
        if result.poolID == nil, change.action == .create {
            let found = carriers?[change.key] ?? []
            if found.count > 1 {
                return [Self.duplicates(found)]
            }
            // Its pool exists: never "not created".
            if let made = Self.completedCreate(result) {
                let why =
                    carriers == nil
                    ? "but the last listing, which would show its pool, failed"
                    : "but no listing showed the pool (the API's lists lag behind its writes)"
                return [
                    "its create operation \(made.id) COMPLETED, \(why); the next apply finds it once the lists show it: under the lease it waits for that, with --lock=false it does not and could create it again"
                ]
            }
            // The create failed or timed out, possibly after the API accepted it: say so, not "not created".
            if result.error != nil {
                return [
                    carriers == nil
                        ? "its pool could not be looked for (the listing failed): the create may or may not have been made; the next plan finds the pool if it exists (no second create)"
                        : "no pool carries its ownership yet: the create may not have been made, or may still be running; the next plan finds the pool if it exists (no second create)"
                ]
            }
        }
        let membersProven = !options.verifyFull && Self.operationsProveMembers(change, result)
        var remaining = await verify(
            change, poolID: result.poolID, livePools: livePools, readMembers: !membersProven, patched: result.error == nil)
        // Never call a key converged while another live pool carries its ownership.
        if !change.action.deletesPool, let carriers {
            let ids = carriers[change.key] ?? []
            if ids.count > 1 { remaining.append(Self.duplicates(ids)) }
        }
        return remaining
    }

    static func duplicates(_ ids: [String]) -> String {
        "\(ids.count) live pools carry its ownership (\(ids.joined(separator: ", "))); the next plan repairs the duplicates"
    }

    /// Each pool's status from what verification left.
    static func conclude(_ work: [PoolChange], _ final: inout [PoolResult], refused: [String: String]) {
        for index in final.indices where final[index].status != .skipped {
            // A refused write stays failed, whatever the pool looks like now.
            if let refusal = refused[Self.id(work[index])] {
                final[index].status = .failed
                final[index].error = refusal
            } else if final[index].remaining.isEmpty {
                final[index].status = .converged
                final[index].error = nil
            } else {
                final[index].status = .failed
                // Only when nothing failed: a refused PATCH (e.g. a 400) is the error to keep.
                if final[index].error == nil, let kept = Self.keptTags(work[index], remaining: final[index].remaining) {
                    final[index].error = kept
                }
            }
        }
    }

    /// Writes and listings may show a change a moment later: runs `round`
    /// (one re-read; true when nothing is left in doubt) again after 250 ms,
    /// then twice as long each time, within the settle window (the budget,
    /// or the lists' measured lag) and the deadline. Returns how long it waited,
    /// and whether the deadline cut it short.
    func settle(deadline: Duration, _ round: () async -> SettleRound) async -> Settled {
        var waits = Self.settleBackoff(options).waits()
        var settled = Duration.zero
        var window = options.settleWindow
        while true {
            switch await round() {
            case .settled: return Settled(waited: settled, cutByDeadline: false)
            // Writes the API accepted are waited for longer than doubts: a pool the
            // lists do not show yet would be planned again.
            case .writesNotShown: window = max(options.settleWindow, options.visibilityLimit)
            case .inDoubt: window = options.settleWindow
            // A failed read tells nothing: the window stays what the last read set.
            case .unread: break
            }
            var wait = waits.scheduled
            if settled + wait > window {
                // A window set by the lists' measured lag gets a last round at its end, not one wait short of it.
                guard window > options.settleBudget, settled < window else { break }
                wait = window - settled
            }
            if clock.now() + wait > deadline { return Settled(waited: settled, cutByDeadline: true) }
            _ = waits.next()
            try? await clock.sleep(wait)
            settled += wait
        }
        return Settled(waited: settled, cutByDeadline: false)
    }

    /// How a settle loop ended: how long it waited, and whether the apply's
    /// deadline (`--timeout`) ended it before its window did.
    struct Settled: Sendable, Hashable {
        var waited: Duration
        var cutByDeadline: Bool

        /// For a message about what was still not shown: "within N ms", or
        /// that the time limit, not the window, ended the wait.
        var described: String {
            let waited = "\(self.waited.inMilliseconds) ms"
            return cutByDeadline ? "before the apply's --timeout ran out (after \(waited) of re-reading)" : "within \(waited)"
        }
    }

    /// What one settle round left.
    enum SettleRound: Sendable, Hashable {
        case settled
        /// Something may still change, or may have failed.
        case inDoubt
        /// Among what is left, writes the API accepted (a create whose
        /// operation COMPLETED, a fingerprint PATCH) that its lists do not
        /// show yet: waited for up to `visibilityLimit`.
        case writesNotShown
        /// The round's listing failed.
        case unread
    }

    /// Waits out someone else's operation on the pool (409), a bounded number of times.
    func withConflictRetry<T: Sendable>(deadline: Duration, _ body: () async throws -> T) async throws -> T {
        var waits = Self.conflictBackoff.waits()
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as APIError where error.isConflict {
                attempt += 1
                if attempt > options.conflictRetries || clock.now() + waits.scheduled > deadline { throw error }
                try await clock.sleep(waits.next())
            }
        }
    }

    /// 250 ms, doubling: nothing longer than the settle budget can be waited.
    static func settleBackoff(_ options: ApplyOptions) -> Backoff {
        Backoff(initial: .milliseconds(250), cap: max(options.settleWindow, .milliseconds(250)))
    }

    /// Someone else's operation usually ends within seconds.
    static let conflictBackoff = Backoff(initial: .milliseconds(250), cap: .seconds(5))
}

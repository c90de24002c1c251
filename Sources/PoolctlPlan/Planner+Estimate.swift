import PoolctlModel

/// The API calls a plan costs.
extension Planner {
    /// The calls apply will make, the minimum: one create per new pool (up
    /// to `batch` senders inline, the API's 10,000 unless `apply --max-batch`
    /// says fewer; a lookup of its id only when Add Senders calls follow),
    /// add batches of `batch`, one PATCH for name and tags
    /// together, one call per removed sender, one delete; operations are
    /// polled together, one listing per 1,000 per round, at least one round;
    /// verification lists the pools (1 call per 1,000) and re-reads the
    /// members only of pools that had removals; a changed pool's fingerprint
    /// costs a PATCH after verification unless it rode in the change's own,
    /// and those PATCHes are read back (1 listing per 1,000). Every delete, adopt
    /// and move first reads its pool by id (a duplicate's kept pool too), and a plan that creates
    /// counts `confirmationCalls`, the listing that confirms the key has no
    /// pool (0 when one page held every pool).
    static func estimate(_ changes: [PoolChange], confirmationCalls: Int = 0, batch: Int = maxSendersPerAdd) -> CallEstimate {
        var calls: [String: Int] = [:]
        func batches(_ count: Int, _ size: Int) -> Int { (count + size - 1) / size }
        var operations = 0
        var touched = 0
        var fingerprints = 0
        for change in changes where change.action.isChange {
            touched += 1
            // The fingerprint's own PATCH, once the pool has converged, read back below.
            if change.recordsAppliedAfterVerify {
                calls[Endpoint.updateSenderPool.rawValue, default: 0] += 1
                fingerprints += 1
            }
            switch change.action {
            case .create:
                let extra = max(0, change.addSenders.count - min(batch, maxSendersPerCreate))
                let addBatches = batches(extra, min(batch, maxSendersPerAdd))
                calls[Endpoint.createSenderPool.rawValue, default: 0] += 1
                if addBatches > 0 { calls[Endpoint.listSenderPools.rawValue, default: 0] += 1 }
                calls[Endpoint.addSenders.rawValue, default: 0] += addBatches
                operations += 1 + addBatches
            case .update, .adopt, .move:
                if change.action != .update { calls[Endpoint.fetchSenderPool.rawValue, default: 0] += 1 }
                if change.patchesPool { calls[Endpoint.updateSenderPool.rawValue, default: 0] += 1 }
                let addBatches = batches(change.addSenders.count, min(batch, maxSendersPerAdd))
                calls[Endpoint.addSenders.rawValue, default: 0] += addBatches
                operations += addBatches
                calls[Endpoint.removeSender.rawValue, default: 0] += change.removeSenders.count
                if !change.removeSenders.isEmpty {
                    calls[Endpoint.listPoolSenders.rawValue, default: 0] += max(1, batches(change.membersAfter, 1000))
                }
            case .delete:
                calls[Endpoint.fetchSenderPool.rawValue, default: 0] += 1
                calls[Endpoint.deleteSenderPool.rawValue, default: 0] += 1
            case .deleteDuplicate:
                calls[Endpoint.fetchSenderPool.rawValue, default: 0] += 2
                calls[Endpoint.deleteSenderPool.rawValue, default: 0] += 1
            case .deleteBlocked, .conflict, .noChange:
                break
            }
        }
        if operations > 0 { calls[Endpoint.listOperations.rawValue, default: 0] += batches(operations, 1000) }
        if touched > 0 { calls[Endpoint.listSenderPools.rawValue, default: 0] += batches(touched, 1000) }
        if fingerprints > 0 { calls[Endpoint.listSenderPools.rawValue, default: 0] += batches(fingerprints, 1000) }
        if changes.contains(where: { $0.action == .create }) { calls[Endpoint.listSenderPools.rawValue, default: 0] += confirmationCalls }
        return CallEstimate(byEndpoint: calls.filter { $0.value > 0 })
    }
}

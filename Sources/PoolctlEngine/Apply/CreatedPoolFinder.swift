import PoolctlAPI
import PoolctlModel

/// Finds the ids of pools this apply created, in batches: one listing of
/// the pools created since the apply started (`startDate`, 1,000 per call)
/// serves every create waiting at that moment, matched by ownership tag.
/// Creates that arrive during a listing wait for the next one. A move in
/// the same apply cannot be mistaken for a create: it re-tags an older pool
/// to a key no create of the plan has, and its old key is declared nowhere.
actor CreatedPoolFinder {
    private let api: any CommsAPI
    private let since: String
    private var waiting: [String: [CheckedContinuation<String?, Never>]] = [:]
    private var listing: Task<Void, Never>?
    private(set) var listings = 0

    init(api: any CommsAPI, since: String) {
        self.api = api
        self.since = since
    }

    /// The id of the live pool carrying `ownership`, from the next listing;
    /// nil when that listing does not show it (yet).
    func find(_ ownership: Ownership) async -> String? {
        await withCheckedContinuation { continuation in
            waiting[ownership.identity, default: []].append(continuation)
            if listing == nil { listing = Task { await self.list() } }
        }
    }

    private func list() async {
        while !waiting.isEmpty {
            let batch = waiting
            waiting = [:]
            listings += 1
            var found: [String: String] = [:]
            do {
                for try await pool in api.allSenderPools(SenderPoolQuery(startDate: since)) {
                    if let ownership = Ownership(tags: pool.tags), batch[ownership.identity] != nil, found[ownership.identity] == nil {
                        found[ownership.identity] = pool.id
                    }
                }
            } catch {
                // No verdict from a failed listing: the caller falls back.
            }
            for (identity, continuations) in batch {
                for continuation in continuations { continuation.resume(returning: found[identity]) }
            }
        }
        listing = nil
    }
}

import PoolctlAPI
import PoolctlModel
import PoolctlPlan

/// The end of an apply: what the live state shows, pool by pool.
extension Applier {
    /// Live pool ids by the key whose ownership they carry, for one stack.
    static func ownershipCarriers(_ pools: [SenderPool], stack: String) -> [String: [String]] {
        var carriers: [String: [String]] = [:]
        for pool in pools {
            if let ownership = Ownership(tags: pool.tags), ownership.stack == stack {
                carriers[ownership.key, default: []].append(pool.id)
            }
        }
        return carriers.mapValues { $0.sorted() }
    }

    /// The explanation when the only thing left is tags the API kept after a
    /// PATCH without them: the API merges tags instead of replacing them, and
    /// poolctl has no call that removes a tag. Said once, never retried.
    static func keptTags(_ change: PoolChange, remaining: [String]) -> String? {
        let kept = remaining.filter { $0.hasSuffix(": the API kept it after a PATCH that left it out") }
        guard !kept.isEmpty else { return nil }
        let keys = kept.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        return
            "the API kept tag\(keys.count == 1 ? "" : "s") \(keys.joined(separator: ", ")) after a PATCH that sent the full tag map without \(keys.count == 1 ? "it" : "them"): it merges tags instead of replacing them, and the API has no call that removes a tag. Remove \(keys.count == 1 ? "it" : "them") another way (e.g. in the console); the next plan shows the difference until then"
    }

    /// Differences between the live pool and what the plan asked for.
    /// `livePools` is the listing taken after all writes (nil if it failed,
    /// and then the pool is fetched on its own).
    /// Whether the operations alone show every planned member in place: no
    /// removals, and completed operations whose stats account for every
    /// sender the plan adds (`created == total`, `failed == 0`). A pool in
    /// any doubt has its members re-read.
    static func operationsProveMembers(_ change: PoolChange, _ result: PoolResult) -> Bool {
        guard change.removeSenders.isEmpty, result.error == nil else { return false }
        if change.addSenders.isEmpty { return true }
        let completed = result.operations.allSatisfy {
            $0.status == OperationStatus.completed.rawValue && $0.failed == 0 && $0.created == $0.total
        }
        return completed && result.operations.reduce(0) { $0 + $1.total } == change.addSenders.count
    }

    /// `patched`: the pool's writes ended without an error, so a PATCH that
    /// left a tag out did land (a kept tag is then the API's doing).
    func verify(
        _ change: PoolChange, poolID: String?, livePools: [String: SenderPool]?, readMembers: Bool = true, patched: Bool = true
    ) async -> [String] {
        guard let id = poolID else {
            return change.action == .create ? ["pool was not created"] : []
        }
        do {
            let pool: SenderPool
            if let livePools {
                guard let listed = livePools[id] else {
                    return change.action.deletesPool ? [] : ["pool \(id) does not exist"]
                }
                pool = listed
            } else {
                do {
                    pool = try await api.fetchSenderPool(id: id)
                } catch let error as APIError where error.isNotFound {
                    return change.action.deletesPool ? [] : ["pool \(id) does not exist"]
                }
            }
            if change.action.deletesPool { return ["pool \(id) still exists"] }
            let members: Set<String>
            if readMembers {
                members = Set(try await api.allPoolSenders(poolID: id).collect().map(\.id))
            } else {
                members = Set(change.addSenders.map(\.id))
            }
            var remaining: [String] = []
            if let name = change.name.after, ValueChange(before: pool.name, after: name).changed {
                remaining.append("name is \"\(pool.name)\", not \"\(name)\"")
            }
            // Another tool may rewrite an ignored tag at any time: not a difference.
            let ignored = Set(change.ignoredTags)
            for key in Set(pool.tags.keys).union(change.desiredTags.keys).sorted()
            where pool.tags[key] != change.desiredTags[key] && !ignored.contains(key) {
                if change.desiredTags[key] == nil, change.patchesPool, patched, let value = pool.tags[key] {
                    remaining.append("tag \(key) is still \"\(value)\": the API kept it after a PATCH that left it out")
                } else {
                    remaining.append(
                        "tag \(key) is \(pool.tags[key].map { "\"\($0)\"" } ?? "missing"), not \(change.desiredTags[key].map { "\"\($0)\"" } ?? "absent")"
                    )
                }
            }
            let missing = change.addSenders.filter { !members.contains($0.id) }
            if !missing.isEmpty {
                remaining.append(
                    "\(missing.count) \(missing.count == 1 ? "sender is not a member" : "senders are not members"): \(missing.prefix(5).map(\.id).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")"
                )
            }
            let extra = change.removeSenders.filter { members.contains($0.id) }
            if !extra.isEmpty {
                remaining.append(
                    "\(extra.count) \(extra.count == 1 ? "sender is still a member" : "senders are still members"): \(extra.prefix(5).map(\.id).joined(separator: ", "))\(extra.count > 5 ? ", …" : "")"
                )
            }
            return remaining
        } catch {
            return ["could not verify: \(error)"]
        }
    }
}

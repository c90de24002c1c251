import PoolctlAPI
import PoolctlModel
import PoolctlPlan

extension Applier {
    /// An adopt or a move rewrites a pool's ownership tag, and a listing is
    /// not a snapshot: a read by id just before the PATCH must show the pool
    /// as the plan saw it (unowned for an adopt, which another stack may have
    /// adopted since; the old key's for a move), or already carrying the new
    /// key's ownership (our own PATCH, landed on an attempt whose answer was
    /// lost). Never a stack lease. A pool gone since fails with the 404.
    func confirmRetag(_ change: PoolChange, poolID id: String, stack: String, run: ApplyRun) async throws {
        let current = try await api.fetchSenderPool(id: id)
        let ownership = Ownership(tags: current.tags)
        let lease = LeaseTag.isLease(current.tags)
        let planned = change.ownerWhenPlanned
        let already = ownership?.identity == Ownership(stack: stack, key: change.key).identity
        guard !lease, already || planned?.matches(ownership, stack: stack) == true else {
            let shown =
                lease ? "a stack lease tag" : ownership.map { "the ownership of '\($0.stack)/\($0.key)'" } ?? "no poolctl ownership tag"
            let refusal = WriteRefused(
                call: "PATCH /v1/SenderPools/\(id)", poolID: id,
                reason:
                    "GET /v1/SenderPools/\(id) just before it shows \(shown); when the plan was made it carried \(planned?.described(stack: stack) ?? "no ownership tag")"
            )
            throw await run.permits.refuse(Self.id(change), refusal)
        }
    }
}

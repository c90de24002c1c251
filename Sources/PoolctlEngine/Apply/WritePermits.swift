import PoolctlAPI
import PoolctlModel
import PoolctlPlan

/// The pools one apply may write to (issue 19): those the listing taken
/// under the lease showed carrying the stack's ownership tag, those this run
/// created (found by their ownership tag), and a declared adopt's target
/// from its tagging PATCH on. Checked before every PATCH, Add Senders,
/// Remove Sender and DELETE, so no bug upstream (a filter the API ignored,
/// a listing that repeated a pool) can turn into a write to someone else's pool.
actor WritePermits {
    private var permitted: Set<String>
    /// Changes (by `Applier.id`) refused a write: they stay failed whatever
    /// verification finds.
    private(set) var refused: [String: String] = [:]

    init(_ permitted: Set<String>) { self.permitted = permitted }

    /// The pools a plan's changes name, when no listing was recorded (a
    /// caller that built the plan itself): every action but create and adopt
    /// names a pool the planner saw carrying the stack's ownership.
    static func planned(_ plan: Plan) -> Set<String> {
        Set(plan.changes.filter { $0.action != .create && $0.action != .adopt }.compactMap(\.poolID))
    }

    func allow(_ id: String) { permitted.insert(id) }

    /// Throws `WriteRefused`, and remembers the change, when `id` is not permitted.
    func check(_ id: String, call: String, change: String) throws {
        guard !permitted.contains(id) else { return }
        let refusal = WriteRefused(call: call, poolID: id)
        refused[change] = refusal.description
        throw refusal
    }

    func refuse(_ change: String, _ refusal: WriteRefused) -> WriteRefused {
        refused[change] = refusal.description
        return refusal
    }
}

/// A write poolctl would not make: the pool is not the stack's, or no
/// longer what the plan saw.
struct WriteRefused: Error, CustomStringConvertible {
    var call: String
    var poolID: String
    var reason: String =
        "the listing taken under the lease did not show it carrying this stack's ownership tag, and this run did not create or adopt it"

    var description: String { "refused \(call): \(reason); nothing was written to \(poolID)" }
}

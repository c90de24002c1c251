import Foundation
import PoolctlAPI
import PoolctlModel

/// The deletes acquisition makes: a stale rival's, once it is shown to be a
/// lease in every respect, and the GET-checked delete every delete of a lease uses.
extension StackLease {
    enum StaleOutcome {
        case deleted
        /// Someone else removed it first: it no longer blocks the stack, and
        /// it is not reported as ours.
        case gone
        /// Renewed since the listing: live after all.
        case renewed(LeaseInfo)
        /// Not deleted: not a lease in every respect, or the delete failed.
        case kept
    }

    /// Deletes a stale lease only if it is a lease in every respect: the
    /// lease name prefix, a lease tag of the stack, no senders (1 List
    /// Senders), and a GET just before the delete that shows it still stale.
    func deleteStale(_ lease: LeaseInfo, serverNow: Date?) async -> StaleOutcome {
        do {
            guard lease.name.hasPrefix(LeaseTag.poolNamePrefix(stack: lease.stack)) else {
                report(.staleLeaseNotDeleted(lease, error: "its name does not start with '\(LeaseTag.poolNamePrefix(stack: lease.stack))'"))
                return .kept
            }
            guard try await !holdsSenders(lease.poolID) else {
                report(.staleLeaseNotDeleted(lease, error: "it holds senders"))
                return .kept
            }
            var renewed: LeaseInfo?
            var sent = false
            let outcome = try await retrying {
                try await deleteChecked(lease.poolID, sent: &sent) { pool in
                    guard let fresh = LeaseInfo(pool: pool), fresh.stack == lease.stack else { return false }
                    if !fresh.isStale(serverNow: serverNow) || fresh.updatedAt != lease.updatedAt {
                        renewed = fresh
                        return false
                    }
                    return true
                }
            }
            if let renewed { return .renewed(renewed) }
            switch outcome {
            case .deleted:
                report(.staleLeaseDeleted(lease))
                return .deleted
            case .gone:
                return .gone
            case .refused:
                report(.staleLeaseNotDeleted(lease, error: "a read just before the delete no longer shows it as a lease of the stack"))
                return .kept
            }
        } catch {
            report(.staleLeaseNotDeleted(lease, error: "\(error)"))
            return .kept
        }
    }

    /// One List Senders call of page size 1.
    func holdsSenders(_ poolID: String) async throws -> Bool {
        try await retrying { try await api.listPoolSenders(poolID: poolID, SenderQuery(pageSize: 1)) }.items.isEmpty == false
    }

    /// What a GET-checked delete did.
    enum CheckedDelete: Sendable, Hashable {
        case deleted
        /// A 404 on the GET, and no DELETE of ours went out before: someone
        /// else removed it.
        case gone
        /// The GET showed a pool that `expect` refused: not deleted.
        case refused
    }

    /// Deletes `poolID` only if a GET just before the call shows a pool that
    /// `expect` accepts. `sent` is set once a DELETE may have landed (no
    /// answer, or a 5xx): when a retry then finds the pool gone, that DELETE
    /// most likely removed it, and it counts as deleted. A 4xx (409, 429)
    /// says it did not happen.
    func deleteChecked(_ poolID: String, sent: inout Bool, expect: (SenderPool) -> Bool) async throws -> CheckedDelete {
        try await Self.deleteChecked(api, poolID, sent: &sent, expect: expect)
    }

    static func deleteChecked(
        _ api: any CommsAPI, _ poolID: String, sent: inout Bool, expect: (SenderPool) -> Bool
    ) async throws -> CheckedDelete {
        do {
            guard expect(try await api.fetchSenderPool(id: poolID)) else { return .refused }
        } catch let error as APIError where error.isNotFound {
            return sent ? .deleted : .gone
        }
        do {
            _ = try await api.deleteSenderPool(id: poolID)
        } catch let error as APIError where error.isNotFound {
            // The GET just showed it: most likely the client's own retry of a
            // DELETE that landed but whose answer was lost.
        } catch let error as APIError where error.kind == .http && (400..<500).contains(error.status ?? 0) {
            // The client's own retry met it (a 409 while the first try's delete runs): that try may have landed.
            if error.attempts > 1 { sent = true }
            throw error
        } catch {
            sent = true
            throw error
        }
        return .deleted
    }

    /// The pool carries exactly this run's lease tag value.
    static func isExactly(_ pool: SenderPool, tag: LeaseTag) -> Bool { pool.tags[LeaseTag.tagKey] == tag.tagValue }
}

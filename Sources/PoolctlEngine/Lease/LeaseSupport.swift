import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization

extension APIError {
    /// A failure another attempt may not meet: 5xx, 429, resets, timeouts and
    /// writes with an unknown outcome. The lease retries its steps on these
    /// (a dead lease blocks the stack for a whole TTL); anything else, such as
    /// a 400 or 403, is thrown at once.
    var isTransient: Bool {
        switch kind {
        case .outcomeUnknown, .transport, .deadlineExceeded: true
        case .http: status.map { $0 == 429 || $0 >= 500 } ?? false
        case .invalidResponse, .missingCredentials, .invalidConfiguration, .unreachable: false
        }
    }
}

/// The lease's view of the API. Counts every call into its `CallCounter`
/// (logical calls; the live client counts attempts), so acquisition,
/// renewal and release cannot forget one; and lets the live client make at
/// most `attempts` attempts per call (`CallAttempts`), since each step of
/// the lease retries a failed call itself.
struct LeaseAPI: CommsAPI, ServerClock {
    let base: any CommsAPI
    let calls: CallCounter
    let attempts: Int

    private func call<T: Sendable>(_ endpoint: Endpoint, _ body: () async throws -> T) async throws -> T {
        calls.record(endpoint)
        return try await CallAttempts.$cap.withValue(attempts) { try await body() }
    }

    func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        try await call(.listSenderPools) { try await base.listSenderPools(query) }
    }
    func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        try await call(.createSenderPool) { try await base.createSenderPool(request) }
    }
    func fetchSenderPool(id: String) async throws -> SenderPool {
        try await call(.fetchSenderPool) { try await base.fetchSenderPool(id: id) }
    }
    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        try await call(.updateSenderPool) { try await base.updateSenderPool(id: id, request) }
    }
    func deleteSenderPool(id: String) async throws -> ResourceAccepted {
        try await call(.deleteSenderPool) { try await base.deleteSenderPool(id: id) }
    }
    func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        try await call(.listPoolSenders) { try await base.listPoolSenders(poolID: poolID, query) }
    }
    func listPoolMembers(poolID: String, _ query: SenderQuery) async throws -> Page<LiveMember> {
        try await call(.listPoolSenders) { try await base.listPoolMembers(poolID: poolID, query) }
    }
    func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        try await call(.addSenders) { try await base.addSenders(poolID: poolID, senderIDs: senderIDs) }
    }
    func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        try await call(.removeSender) { try await base.removeSender(poolID: poolID, senderID: senderID) }
    }
    func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        try await call(.listOperations) { try await base.listOperations(query) }
    }
    func fetchOperation(id: String) async throws -> SenderPoolOperation {
        try await call(.fetchOperation) { try await base.fetchOperation(id: id) }
    }
    func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        try await call(.fetchPoolSendersOperation) { try await base.fetchPoolSendersOperation(poolID: poolID, operationID: operationID) }
    }
    func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation {
        let endpoint: Endpoint =
            switch path {
            case .nested: .fetchPoolSendersOperation
            case .flat, .other: .fetchOperation
            }
        return try await call(endpoint) { try await base.fetchOperation(at: path) }
    }
    func estimatedServerTime() -> Date? { (base as? ServerClock)?.estimatedServerTime() }
}

/// The API operations (creates and Add Senders) that writes under the lease
/// started and that no read has yet shown finished: what a signal waits for
/// before it releases the lease.
public final class InFlightOperations: Sendable {
    public struct Entry: Sendable, Hashable {
        public var reference: OperationReference
        /// A create: its pool may not be visible to a listing until it ends.
        public var isCreate: Bool
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    func started(_ accepted: OperationAccepted, poolID: String?, isCreate: Bool) {
        guard let reference = OperationReference(accepted, poolID: poolID) else { return }
        entries.withLock { $0[reference.id] = Entry(reference: reference, isCreate: isCreate) }
    }

    func observed(_ operation: SenderPoolOperation) {
        guard operation.status.isTerminal else { return }
        entries.withLock { _ = $0.removeValue(forKey: operation.id) }
    }

    /// Those not yet seen finished, by id.
    public var pending: [Entry] { entries.withLock { $0.values.sorted { $0.reference.id < $1.reference.id } } }
}

/// The API the applier writes through while a lease is held: every create,
/// patch, delete, add and remove first asks the lease (`ensureHeld()`), and
/// so does the live client before each repeat of one (`RetryGuard`), so a
/// lease that expired, was deleted, or whose process got a signal stops
/// writes between any two requests, not only between pools. It also notes
/// the operations that writes start, until a poll shows them finished.
public struct LeaseGuardedAPI: CommsAPI, ServerClock {
    public let base: any CommsAPI
    public let lease: HeldLease

    public init(base: any CommsAPI, lease: HeldLease) {
        self.base = base
        self.lease = lease
    }

    public func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        try await base.listSenderPools(query)
    }
    public func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        let accepted = try await write { try await base.createSenderPool(request) }
        lease.operations.started(accepted, poolID: nil, isCreate: true)
        return accepted
    }
    public func fetchSenderPool(id: String) async throws -> SenderPool { try await base.fetchSenderPool(id: id) }
    public func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        try await write { try await base.updateSenderPool(id: id, request) }
    }
    public func deleteSenderPool(id: String) async throws -> ResourceAccepted {
        try await write { try await base.deleteSenderPool(id: id) }
    }
    public func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        try await base.listPoolSenders(poolID: poolID, query)
    }
    /// The fast member read of the base API (plan's path), not the full decode.
    public func listPoolMembers(poolID: String, _ query: SenderQuery) async throws -> Page<LiveMember> {
        try await base.listPoolMembers(poolID: poolID, query)
    }
    public func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        let accepted = try await write { try await base.addSenders(poolID: poolID, senderIDs: senderIDs) }
        lease.operations.started(accepted, poolID: poolID, isCreate: false)
        return accepted
    }
    public func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        try await write { try await base.removeSender(poolID: poolID, senderID: senderID) }
    }
    public func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        let page = try await base.listOperations(query)
        page.items.forEach(lease.operations.observed)
        return page
    }
    public func fetchOperation(id: String) async throws -> SenderPoolOperation {
        let operation = try await base.fetchOperation(id: id)
        lease.operations.observed(operation)
        return operation
    }
    public func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        let operation = try await base.fetchPoolSendersOperation(poolID: poolID, operationID: operationID)
        lease.operations.observed(operation)
        return operation
    }
    public func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation {
        let operation = try await base.fetchOperation(at: path)
        lease.operations.observed(operation)
        return operation
    }
    public func estimatedServerTime() -> Date? { (base as? ServerClock)?.estimatedServerTime() }

    /// A write, after the lease's check, with the check also asked before
    /// every repeat of it.
    private func write<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try lease.ensureHeld()
        let lease = self.lease
        return try await RetryGuard.$check.withValue({ try lease.ensureHeld() }) { try await body() }
    }
}

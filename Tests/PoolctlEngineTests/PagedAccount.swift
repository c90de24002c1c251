import Foundation
import PoolctlAPI
import Synchronization

/// An account double whose List SenderPools pages by offset over a list
/// kept newest first, like `{"page":N}` tokens on a live API. `churn`
/// runs before every page with the page's offset, so a test can create or
/// delete pools mid-listing and make pages repeat or skip items.
/// Writes are recorded; operations complete at once.
final class PagedAccount: CommsAPI, Sendable {
    struct Write: Equatable, Sendable {
        var method: String
        var poolID: String
    }

    struct State: Sendable {
        /// Newest first.
        var pools: [SenderPool] = []
        var writes: [Write] = []
        var listCalls = 0
        var fetches: [String] = []
        var created = 0
        /// Member reads running now, and the most at once.
        var memberReads = 0
        var mostMemberReads = 0
    }

    let state: Mutex<State>
    /// The server's page cap; nil serves the size asked.
    let maxPageSize: Int?
    /// True: every page has `maxPageSize` items whatever was asked.
    let ignoresPageSize: Bool
    private let churn: @Sendable (_ offset: Int, inout [SenderPool]) -> Void

    init(
        pools: [SenderPool], maxPageSize: Int? = nil, ignoresPageSize: Bool = false,
        churn: @escaping @Sendable (_ offset: Int, inout [SenderPool]) -> Void = { _, _ in }
    ) {
        state = Mutex(State(pools: pools))
        self.maxPageSize = maxPageSize
        self.ignoresPageSize = ignoresPageSize
        self.churn = churn
    }

    var pools: [SenderPool] { state.withLock { $0.pools } }
    var writes: [Write] { state.withLock { $0.writes } }
    var listCalls: Int { state.withLock { $0.listCalls } }
    var fetches: [String] { state.withLock { $0.fetches } }

    func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool> {
        state.withLock { state in
            state.listCalls += 1
            let offset = Int(query.window.pageToken ?? "0")!
            if query.operationId == nil, query.window.startDate == nil { churn(offset, &state.pools) }
            var size = query.window.pageSize ?? 1000
            if let cap = maxPageSize { size = ignoresPageSize ? cap : min(size, cap) }
            let items = Array(state.pools.dropFirst(offset).prefix(size))
            let next = offset + size < state.pools.count ? String(offset + size) : nil
            return Page(items: items, pagination: Pagination(next: next, current: String(offset)))
        }
    }

    func fetchSenderPool(id: String) async throws -> SenderPool {
        try state.withLock { state in
            state.fetches.append(id)
            guard let pool = state.pools.first(where: { $0.id == id }) else { throw Self.notFound(id) }
            return pool
        }
    }

    func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted {
        state.withLock { state in
            state.created += 1
            let id = "comms_senderpool_new\(state.created)"
            state.pools.insert(
                SenderPool(id: id, name: request.name ?? id, tags: request.tags ?? [:], createdAt: "2025-02-01T00:00:00Z", updatedAt: ""),
                at: 0)
            state.writes.append(Write(method: "POST", poolID: id))
            return OperationAccepted(operationId: "comms_operation_\(state.created)", operationLocation: nil)
        }
    }

    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted {
        try state.withLock { state in
            state.writes.append(Write(method: "PATCH", poolID: id))
            guard let index = state.pools.firstIndex(where: { $0.id == id }) else { throw Self.notFound(id) }
            if let name = request.name { state.pools[index].name = name }
            for (key, value) in request.tags ?? [:] { state.pools[index].tags[key] = value }
            state.pools[index].updatedAt += "+"
            return ResourceAccepted(resourceId: id, resourceLocation: nil)
        }
    }

    func deleteSenderPool(id: String) async throws -> ResourceAccepted {
        try state.withLock { state in
            state.writes.append(Write(method: "DELETE", poolID: id))
            guard let index = state.pools.firstIndex(where: { $0.id == id }) else { throw Self.notFound(id) }
            state.pools.remove(at: index)
            return ResourceAccepted(resourceId: id, resourceLocation: nil)
        }
    }

    func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender> {
        state.withLock {
            $0.memberReads += 1
            $0.mostMemberReads = max($0.mostMemberReads, $0.memberReads)
        }
        // Suspends, as a real read does, so other reads can start meanwhile.
        for _ in 0..<20 { await Task.yield() }
        state.withLock { $0.memberReads -= 1 }
        return Page(items: [], pagination: Pagination(next: nil, current: "0"))
    }

    func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted {
        state.withLock { $0.writes.append(Write(method: "POST senders", poolID: poolID)) }
        return OperationAccepted(operationId: "comms_operation_add", operationLocation: nil)
    }

    func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted {
        state.withLock { $0.writes.append(Write(method: "DELETE sender", poolID: poolID)) }
        return ResourceAccepted(resourceId: senderID, resourceLocation: nil)
    }

    func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation> {
        Page(items: [], pagination: Pagination(next: nil, current: "0"))
    }

    func fetchOperation(id: String) async throws -> SenderPoolOperation {
        SenderPoolOperation(
            id: id, status: .completed, stats: OperationStats(total: 0, queued: 0, created: 0, failed: 0), createdAt: "", updatedAt: "")
    }

    func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation {
        try await fetchOperation(id: operationID)
    }

    func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation {
        try await fetchOperation(id: "at")
    }

    static func notFound(_ id: String) -> APIError {
        APIError(kind: .http, method: "GET", path: "/v1/SenderPools/\(id)", status: 404, message: "not found")
    }
}

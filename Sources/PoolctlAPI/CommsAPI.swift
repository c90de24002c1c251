import PoolctlModel

/// The 10 SenderPools endpoints, and the account's sender inventory.
///
/// Two implementations: `HTTPCommsAPI` (PoolctlAPIHTTP) talks to the real API
/// or a running emulator; the emulator's in-memory store implements it
/// directly. Unit tests use a double that fails on any unscripted call.
/// Every method throws `APIError`.
public protocol CommsAPI: Sendable {
    /// `GET /v1/SenderPools`
    func listSenderPools(_ query: SenderPoolQuery) async throws -> Page<SenderPool>
    /// `POST /v1/SenderPools`
    func createSenderPool(_ request: CreateSenderPoolRequest) async throws -> OperationAccepted
    /// `GET /v1/SenderPools/{id}`
    func fetchSenderPool(id: String) async throws -> SenderPool
    /// `PATCH /v1/SenderPools/{id}`
    func updateSenderPool(id: String, _ request: UpdateSenderPoolRequest) async throws -> ResourceAccepted
    /// `DELETE /v1/SenderPools/{id}`
    func deleteSenderPool(id: String) async throws -> ResourceAccepted
    /// `GET /v1/SenderPools/{id}/Senders`
    func listPoolSenders(poolID: String, _ query: SenderQuery) async throws -> Page<Sender>
    /// `GET /v1/SenderPools/{id}/Senders`, each sender read as a
    /// `LiveMember` (id, address, channel): what plan and export need. The
    /// default maps `listPoolSenders`; `HTTPCommsAPI` decodes only those fields.
    func listPoolMembers(poolID: String, _ query: SenderQuery) async throws -> Page<LiveMember>
    /// `POST /v1/SenderPools/{id}/Senders`
    func addSenders(poolID: String, senderIDs: [String]) async throws -> OperationAccepted
    /// `DELETE /v1/SenderPools/{id}/Senders/{senderId}`
    func removeSender(poolID: String, senderID: String) async throws -> ResourceAccepted
    /// `GET /v1/SenderPools/Operations`
    func listOperations(_ query: OperationQuery) async throws -> Page<SenderPoolOperation>
    /// `GET /v1/SenderPools/Operations/{id}`
    func fetchOperation(id: String) async throws -> SenderPoolOperation
    /// `GET /v1/SenderPools/{id}/Senders/Operations/{operationId}`: the nested
    /// `operationLocation` that Add Senders returns.
    func fetchPoolSendersOperation(poolID: String, operationID: String) async throws -> SenderPoolOperation
    /// An operation at a path the server returned (see `OperationReference`).
    func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation
}

extension CommsAPI {
    /// Every pool, following `pagination.next` with `pageSize` 1000 and the
    /// same filters on every page.
    public func allSenderPools(_ query: SenderPoolQuery = SenderPoolQuery()) -> Paginated<SenderPool> {
        Paginated(query, path: "/v1/SenderPools", list: listSenderPools)
    }

    /// Every member of a pool.
    public func allPoolSenders(poolID: String, _ query: SenderQuery = SenderQuery()) -> Paginated<Sender> {
        Paginated(query, path: "/v1/SenderPools/\(poolID)/Senders") { try await self.listPoolSenders(poolID: poolID, $0) }
    }

    public func listPoolMembers(poolID: String, _ query: SenderQuery) async throws -> Page<LiveMember> {
        let page = try await listPoolSenders(poolID: poolID, query)
        return Page(
            items: page.items.map { LiveMember(id: $0.id, address: $0.address, channel: $0.channel.rawValue) },
            pagination: page.pagination)
    }

    /// Every member of a pool as a `LiveMember`, a page at a time (`.pages`).
    public func allPoolMembers(poolID: String, _ query: SenderQuery = SenderQuery()) -> Paginated<LiveMember> {
        Paginated(query, path: "/v1/SenderPools/\(poolID)/Senders") { try await self.listPoolMembers(poolID: poolID, $0) }
    }

    /// Every operation.
    public func allOperations(_ query: OperationQuery = OperationQuery()) -> Paginated<SenderPoolOperation> {
        Paginated(query, path: "/v1/SenderPools/Operations", list: listOperations)
    }
}

/// A list query: filters plus its window, whose page pagination sets.
public protocol PagedQuery: Sendable {
    var window: ListWindow { get set }
}

extension SenderPoolQuery: PagedQuery {}
extension SenderQuery: PagedQuery {}
extension OperationQuery: PagedQuery {}

extension Paginated {
    /// Pages of `query` (1000 items unless it says otherwise), its filters
    /// repeated on every page. `path` is the list's, for errors.
    public init<Query: PagedQuery>(
        _ query: Query, path: String, list: @escaping @Sendable (Query) async throws -> Page<Item>
    ) {
        self.init(pageSize: query.window.pageSize ?? Self.maxPageSize, path: path) { token, size in
            var page = query
            page.window.pageToken = token
            page.window.pageSize = size
            return try await list(page)
        }
    }
}

/// A list as an async sequence of items, fetched a page at a time.
public struct Paginated<Item: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Item
    public static var maxPageSize: Int { APIFormat.maxPageSize }

    let pageSize: Int
    /// The list's path (every list is a GET), named in paging errors.
    let path: String
    let fetch: @Sendable (_ token: String?, _ pageSize: Int) async throws -> Page<Item>

    public init(
        pageSize: Int = 1000, path: String = "",
        fetch: @escaping @Sendable (_ token: String?, _ pageSize: Int) async throws -> Page<Item>
    ) {
        self.pageSize = pageSize
        self.path = path
        self.fetch = fetch
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: Pages.AsyncIterator
        var buffer: [Item] = []
        var index = 0

        public mutating func next() async throws -> Item? {
            while index >= buffer.count {
                guard let page = try await pages.next() else { return nil }
                buffer = page
                index = 0
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: pages.makeAsyncIterator()) }

    /// Every list is a GET; none is named when the path is unknown.
    var method: String { path.isEmpty ? "" : "GET" }

    /// The same list a whole page at a time: no per-item suspension, and a
    /// caller that handles pages keeps one page in memory.
    public var pages: Pages { Pages(sequence: self) }

    /// The pages of a `Paginated`, in order (an empty page may occur).
    public struct Pages: AsyncSequence, Sendable {
        public typealias Element = [Item]
        let sequence: Paginated

        public struct AsyncIterator: AsyncIteratorProtocol {
            let sequence: Paginated
            var token: String?
            var finished = false
            var seenTokens: Set<String> = []
            var streak: PageStreak

            public mutating func next() async throws -> [Item]? {
                if finished { return nil }
                let page = try await sequence.fetch(token, sequence.pageSize)
                token = page.pagination.next
                finished = token == nil
                try streak.record(added: page.items.count, next: !finished)
                // A token that comes back would page forever: stop with an error.
                if let token, !seenTokens.insert(token).inserted {
                    throw PageStreak.repeatedToken(token, method: sequence.method, path: sequence.path)
                }
                return page.items
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(sequence: sequence, streak: PageStreak(method: sequence.method, path: sequence.path))
        }
    }

    /// All items, in order.
    public func collect() async throws -> [Item] {
        var items: [Item] = []
        for try await page in pages { items.append(contentsOf: page) }
        return items
    }
}

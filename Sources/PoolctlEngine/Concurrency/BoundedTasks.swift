/// Runs one task per item, at most `limit` at once, starting the next as
/// each finishes: the shape every fan-out in apply and refresh shares (pools
/// in flight, one pool's removals, the fingerprint PATCHes, member reads).
enum BoundedTasks {
    /// `receive` sees each outcome on the caller's task, in finishing order;
    /// it returns false to start no more items (those running still finish),
    /// and an error it throws ends the run (the rest are cancelled).
    static func run<Item: Sendable, Output: Sendable>(
        _ items: some Sequence<Item>, limit: Int,
        _ work: @escaping @Sendable (Item) async throws -> Output,
        receive: (Result<Output, any Error>) throws -> Bool
    ) async throws {
        try await withThrowingTaskGroup(of: Output.self) { group in
            var pending = items.makeIterator()
            var starting = true
            func startNext() -> Bool {
                guard starting, let item = pending.next() else { return false }
                group.addTask { try await work(item) }
                return true
            }
            for _ in 0..<max(1, limit) {
                guard startNext() else { break }
            }
            while let outcome = await group.nextResult() {
                starting = try receive(outcome) && starting
                _ = startNext()
            }
        }
    }

    /// The same for work that cannot fail: every output, in finishing order.
    static func run<Item: Sendable, Output: Sendable>(
        _ items: some Sequence<Item>, limit: Int, _ work: @escaping @Sendable (Item) async -> Output
    ) async -> [Output] {
        var outputs: [Output] = []
        // Nothing here throws: `work` cannot, and `receive` does not.
        try? await run(items, limit: limit, work) { outcome in
            if case .success(let output) = outcome { outputs.append(output) }
            return true
        }
        return outputs
    }
}

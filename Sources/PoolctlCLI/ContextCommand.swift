import ArgumentParser

/// A command that runs against an injected `CommandContext` rather than the
/// process's streams; `PoolctlMain.run` calls `run(in:)`.
protocol ContextCommand: AsyncParsableCommand {
    func run(in context: CommandContext) async throws
}

extension ContextCommand {
    mutating func run() async throws {
        try await run(in: .process)
    }
}

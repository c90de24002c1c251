import ArgumentParser

struct ShowCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Render a saved plan, with no API access.",
        discussion: ExitCode.help([.success, .error])
    )

    @Argument(help: "A plan saved with 'poolctl plan --out FILE'.")
    var file: String

    @Option(help: "Output format: text, json or markdown.")
    var format: PlanFormat = .text

    @Flag(help: "Show sender addresses in Markdown instead of masking them.")
    var showAddresses = false

    func run(in context: CommandContext) async throws {
        let saved = try readPlanFile(file)
        try emit(saved.plan, format: format, showAddresses: showAddresses, out: nil, context: context)
    }
}

import ArgumentParser

/// What `apply` writes to stderr while it works.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    /// Progress for people: a status line on a terminal, timestamped lines otherwise.
    case text
    /// One JSON event per line and nothing else (README, "Machine-readable logs").
    case ndjson
}

struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log-format"),
        help: ArgumentHelp(
            "stderr while applying: text (progress for people) or ndjson (one JSON event per line and nothing else; see README, Machine-readable logs).",
            valueName: "format"))
    var format: LogFormat = .text
}

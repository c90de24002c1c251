import Foundation
import PoolctlManifest
import PoolctlModel

/// Renders diagnostics for people, machines and GitHub Actions. Pure: the
/// same input always gives the same text.
public enum DiagnosticRenderer {
    /// `path:line:column: error: message`, then the source line and a caret
    /// under the column; notes follow the same way.
    public static func text(_ diagnostics: [Diagnostic], sources: SourceFiles) -> String {
        var out = ""
        for diagnostic in diagnostics {
            out += entry(diagnostic.severity.rawValue, diagnostic.message, diagnostic.location, sources)
            for note in diagnostic.notes {
                out += entry("note", note.message, note.location, sources)
            }
        }
        return out
    }

    private static func entry(_ severity: String, _ text: String, _ location: SourceLocation?, _ sources: SourceFiles) -> String {
        let message = Printable.text(text)
        guard let location else { return "poolctl: \(severity): \(message)\n" }
        var out = "\(location.description): \(severity): \(message)\n"
        if let line = sources.line(location.line, in: location.file) {
            let (shown, column) = excerpt(Array(line.unicodeScalars), column: location.column)
            out += "    \(shown.map(String.init).joined())\n"
            // Keep tabs so that the caret lines up under tab-indented text.
            let prefix = shown.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            out += "    \(prefix)^\n"
        }
        return out
    }

    /// The most of a source line shown: a minified or generated file may put
    /// megabytes on one line, and a message must stay readable.
    public static let excerptWidth = 160

    /// `line`, or a window of `excerptWidth` characters around `column`
    /// marked with `…` where it is cut, and the column within what is shown.
    static func excerpt(_ line: [Unicode.Scalar], column: Int) -> (shown: [Unicode.Scalar], column: Int) {
        guard line.count > excerptWidth else { return (line, column) }
        let start = min(max(0, column - 1 - excerptWidth / 2), line.count - excerptWidth)
        let end = start + excerptWidth
        let head: [Unicode.Scalar] = start > 0 ? ["…"] : []
        let tail: [Unicode.Scalar] = end < line.count ? ["…"] : []
        return (head + line[start..<end] + tail, column - start + head.count)
    }

    /// `::error file=…,line=…,col=…::message` workflow commands.
    public static func githubAnnotations(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for diagnostic in diagnostics where diagnostic.severity != .note {
            let command = diagnostic.severity == .error ? "error" : "warning"
            var properties: [String] = []
            if let location = diagnostic.location {
                properties = ["file=\(escapeProperty(location.file))", "line=\(location.line)", "col=\(location.column)"]
            } else if let file = diagnostic.file {
                properties = ["file=\(escapeProperty(file))"]
            }
            let head = properties.isEmpty ? "::\(command)" : "::\(command) \(properties.joined(separator: ","))"
            out += "\(head)::\(escapeData(diagnostic.message))\n"
        }
        return out
    }

    private static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    private static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

/// The result of `poolctl validate`, as printed by `--format json`.
public struct ValidationReport: Sendable, Codable, Equatable {
    public struct Summary: Sendable, Codable, Equatable {
        public var files: Int
        public var documents: Int
        public var pools: Int
        public var senders: Int
        public var errors: Int
        public var warnings: Int
    }

    public struct Entry: Sendable, Codable, Equatable {
        public struct Note: Sendable, Codable, Equatable {
            public var message: String
            public var file: String?
            public var line: Int?
            public var column: Int?
        }

        public var severity: String
        public var message: String
        public var file: String?
        public var line: Int?
        public var column: Int?
        public var notes: [Note]
    }

    public static let formatVersion = 1
    public var formatVersion: Int
    /// What the document is, as plan, drift and apply report documents say.
    public var kind = "poolctl-validate"
    public var valid: Bool
    public var stack: String?
    public var summary: Summary
    public var diagnostics: [Entry]

    public init(result: ManifestLoader.Result) {
        formatVersion = Self.formatVersion
        valid = !result.diagnostics.hasErrors
        stack = result.desired?.stack
        summary = Summary(
            files: result.manifest.files.count,
            documents: result.manifest.documents.count,
            pools: result.desired?.pools.count ?? result.manifest.documents.reduce(0) { $0 + $1.pools.count },
            senders: result.desired?.distinctSenderCount ?? 0,
            errors: result.diagnostics.filter { $0.severity == .error }.count,
            warnings: result.diagnostics.filter { $0.severity == .warning }.count)
        diagnostics = result.diagnostics.map { diagnostic in
            Entry(
                severity: diagnostic.severity.rawValue, message: diagnostic.message,
                file: diagnostic.path, line: diagnostic.location?.line, column: diagnostic.location?.column,
                notes: diagnostic.notes.map {
                    Entry.Note(message: $0.message, file: $0.location?.file, line: $0.location?.line, column: $0.location?.column)
                })
        }
    }

    /// Pretty, key-sorted JSON with a trailing newline.
    public func json() -> String {
        JSONOutput.encode(self)
    }

    /// The one-line summary printed on success.
    public var summaryLine: String {
        let poolWord = summary.pools == 1 ? "pool" : "pools"
        let senderWord = summary.senders == 1 ? "sender" : "senders"
        let fileWord = summary.files == 1 ? "file" : "files"
        var line = "Valid: \(summary.pools) \(poolWord), \(summary.senders) \(senderWord) in \(summary.files) \(fileWord)"
        if let stack { line += " (stack \(stack))" }
        if summary.warnings > 0 { line += ", \(summary.warnings) warning\(summary.warnings == 1 ? "" : "s")" }
        return line
    }
}

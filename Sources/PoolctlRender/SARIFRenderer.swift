import Foundation
import PoolctlModel

/// Diagnostics as SARIF 2.1.0, so that GitHub code scanning annotates a pull
/// request: one result per diagnostic at its manifest line. A policy
/// violation's `ruleId` is its rule's id, and the rule's own line is a
/// related location; manifest and plan problems use the rule `manifest`.
/// Pure and deterministic: the same diagnostics give the same bytes.
public enum SARIFRenderer {
    public static let schema = "https://json.schemastore.org/sarif-2.1.0.json"
    /// The rule id of every diagnostic that is not a policy violation. A
    /// policy rule id cannot hold a slash, so the two never collide.
    public static let manifestRule = "poolctl/manifest"

    public static func render(_ diagnostics: [Diagnostic], policy: Policy?, toolVersion: String) -> String {
        let results = diagnostics.filter { $0.severity != .note }.sorted().map(result)
        var rules: [Rule] = []
        if diagnostics.contains(where: { $0.rule == nil && $0.severity != .note }) {
            rules.append(
                Rule(
                    id: manifestRule, shortDescription: Text(text: "Manifest problems found by poolctl"),
                    defaultConfiguration: Configuration(level: "error")))
        }
        for rule in policy?.rules ?? [] {
            rules.append(
                Rule(
                    id: rule.id, shortDescription: Text(text: rule.description ?? "poolctl policy rule \(rule.id)"),
                    defaultConfiguration: Configuration(level: rule.severity.rawValue)))
        }
        let log = Log(
            schema: schema, version: "2.1.0",
            runs: [
                Run(
                    tool: Tool(
                        driver: Driver(
                            name: "poolctl", version: toolVersion, informationUri: "https://github.com/poolctl/poolctl", rules: rules)),
                    results: results)
            ])
        return JSONOutput.encode(log)
    }

    static func result(_ diagnostic: Diagnostic) -> Result {
        Result(
            ruleId: diagnostic.rule ?? manifestRule, level: diagnostic.severity == .error ? "error" : "warning",
            message: Text(text: diagnostic.message),
            locations: diagnostic.location.map { [Location(physicalLocation: physical($0))] }
                ?? diagnostic.file.map { [Location(physicalLocation: PhysicalLocation(artifactLocation: artifact($0)))] } ?? [],
            relatedLocations: diagnostic.notes.compactMap { note in
                note.location.map { Location(physicalLocation: physical($0), message: Text(text: note.message)) }
            })
    }

    static func physical(_ location: SourceLocation) -> PhysicalLocation {
        PhysicalLocation(artifactLocation: artifact(location.file), region: Region(startLine: location.line, startColumn: location.column))
    }

    /// A relative reference: GitHub resolves it against the repository root.
    static func artifact(_ file: String) -> ArtifactLocation {
        ArtifactLocation(uri: file.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file)
    }

    // The SARIF objects used, with SARIF's own property names.
    struct Log: Encodable {
        var schema: String
        var version: String
        var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case version, runs
        }
    }

    struct Run: Encodable {
        var tool: Tool
        var results: [Result]
    }

    struct Tool: Encodable {
        var driver: Driver
    }

    struct Driver: Encodable {
        var name: String
        var version: String
        var informationUri: String
        var rules: [Rule]
    }

    struct Rule: Encodable {
        var id: String
        var shortDescription: Text
        var defaultConfiguration: Configuration
    }

    struct Configuration: Encodable {
        var level: String
    }

    struct Text: Encodable {
        var text: String
    }

    struct Result: Encodable {
        var ruleId: String
        var level: String
        var message: Text
        var locations: [Location]
        var relatedLocations: [Location]
    }

    struct Location: Encodable {
        var physicalLocation: PhysicalLocation
        var message: Text?
    }

    struct PhysicalLocation: Encodable {
        var artifactLocation: ArtifactLocation
        /// Nil for a problem with the whole file (one that cannot be read).
        var region: Region? = nil
    }

    struct ArtifactLocation: Encodable {
        var uri: String
    }

    struct Region: Encodable {
        var startLine: Int
        var startColumn: Int
    }
}

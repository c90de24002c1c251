import ArgumentParser
import Foundation
import PoolctlEngine
import PoolctlManifest
import PoolctlModel
import PoolctlYAML

/// `poolctl export --stack NAME`: writes manifests for the live pools, so an
/// existing account comes under management by validate, plan and apply.
struct ExportCommand: ContextCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write manifests for existing pools, to bring an account under management.",
        discussion: """
            Reads every pool (pages of 1,000), then the members of only the pools it exports \
            (pages of 1,000), and writes manifests that 'poolctl validate' accepts. It never \
            writes to the API.

            Pools that no stack owns get an 'adopt:' entry, a key made from their name and \
            'protect: true' (unless --no-protect). Pools the stack already owns keep their key \
            and protection. Pools owned by other stacks are skipped and listed on stderr; lease \
            pools are never exported. Every entry has the exact live name, the user tags, every \
            member by sender id and 'membership: exact'; 'prune' is false. Applying the export \
            changes nothing but ownership.

            Without --out, one multi-document manifest goes to stdout. With --out DIR, DIR gets \
            _stack.yaml (apiVersion, stack, prune) and one KEY.yaml per pool; DIR must not \
            already hold manifests.

            Next: poolctl validate DIR, poolctl plan DIR (only adoptions), poolctl apply DIR.
            """ + "\n\n" + ExitCode.help([.success, .error])
    )

    @Option(help: ArgumentHelp("The stack the manifests declare and adopt into.", valueName: "name"))
    var stack: String

    @Option(help: ArgumentHelp("Write _stack.yaml and one KEY.yaml per pool into this directory instead of stdout.", valueName: "dir"))
    var out: String?

    @Option(
        help: ArgumentHelp(
            "Export only pools whose name matches this regular expression (anywhere; anchor with ^ and $).", valueName: "regex"))
    var name: String?

    @Option(
        help: ArgumentHelp(
            "Export only pools with this tag; repeatable. Different keys must all match; values given for one key are alternatives.",
            valueName: "key=value"))
    var tag: [String] = []

    @Flag(help: "Write 'protect: false' for adopted pools (default: true, so poolctl never deletes a pool it did not make).")
    var noProtect = false

    @OptionGroup var api: APIOptions

    func validate() throws {
        guard ResourceName.isValid(stack) else {
            throw ValidationError("invalid --stack '\(stack)': use \(ResourceName.rule)")
        }
        _ = try filter()
    }

    private func filter() throws -> ExportFilter {
        var tags: [(key: String, value: String)] = []
        for pair in tag {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("invalid --tag '\(pair)': use KEY=VALUE")
            }
            tags.append((String(pair[..<equals]), String(pair[pair.index(after: equals)...])))
        }
        do {
            return try ExportFilter(namePattern: name, tags: tags)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run(in context: CommandContext) async throws {
        let filter = try filter()
        // Checked before any API call, so a bad directory costs nothing.
        let directory = try out.map(Self.checkDirectory)
        let stack = stack
        let protect = !noProtect
        // Pools are written as their members arrive, in key order: one pool's
        // senders in memory at a time, not the account's.
        let sink = ExportSink(directory: directory, stdout: context.stdout)
        let exported: Workflow.Exported
        do {
            exported = try await api.withWorkflow(context: context) { workflow in
                try await workflow.export(stack: stack, filter: filter, protect: protect) { pool in
                    try sink.write(pool, stack: stack)
                }
            }
            try sink.finish(exported.desired)
        } catch let failure as YAMLEmitter.Failure {
            sink.discard()
            throw CommandFailure(message: "poolctl: cannot write YAML: \(failure)", exitCode: .error)
        } catch {
            sink.discard()
            throw error
        }
        report(exported, to: context.stderr)
        if let directory {
            let count = exported.desired.pools.count + 1
            context.stdout.write(
                "Wrote \(count) file\(count == 1 ? "" : "s") to \(directory.path): \(ManifestWriter.stackFileName) and \(count - 1) pool\(count == 2 ? "" : "s").\n"
            )
            let shown = out ?? directory.path
            context.stdout.write("Next: poolctl validate \(shown) && poolctl plan \(shown)\n")
        }
    }

    /// DIR may not exist yet, or hold no manifest: a stale pool file left
    /// from an earlier export would silently join the set.
    private static func checkDirectory(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return url }
        guard isDirectory.boolValue else {
            throw CommandFailure(message: "poolctl: --out \(path) exists and is not a directory; nothing was read", exitCode: .error)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let manifests = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard manifests.isEmpty else {
            throw CommandFailure(
                message:
                    "poolctl: --out \(path) already holds \(manifests.count) manifest file\(manifests.count == 1 ? "" : "s") (\(manifests[0])…); export into an empty or new directory. Nothing was read",
                exitCode: .error)
        }
        return url
    }

    /// Counts, and every pool left out, on stderr (stdout may be the manifest).
    private func report(_ exported: Workflow.Exported, to stderr: Console) {
        let adopted = exported.desired.pools.filter { $0.adopt != nil }.count
        let owned = exported.desired.pools.count - adopted
        stderr.write(
            "Read \(exported.poolsRead) pool\(exported.poolsRead == 1 ? "" : "s") with \(exported.calls) API call\(exported.calls == 1 ? "" : "s"); exporting \(exported.desired.pools.count): \(adopted) to adopt, \(owned) already owned by stack '\(stack)'.\n"
        )
        if exported.leases > 0 {
            stderr.write("Left out \(exported.leases) lease pool\(exported.leases == 1 ? "" : "s") (\(LeaseTag.tagKey)).\n")
        }
        guard !exported.skipped.isEmpty else { return }
        stderr.write("Skipped \(exported.skipped.count) pool\(exported.skipped.count == 1 ? "" : "s"):\n")
        for skipped in exported.skipped {
            let why: String
            switch skipped.reason {
            case .ownedByOtherStack(let ownership):
                why = "owned by stack '\(ownership.stack)' (key '\(ownership.key)')"
            case .tooManyTags(let count):
                why = "\(count) user tags; a manifest allows \(ExportSelection.maxUserTags), as adopting needs a slot for the ownership tag"
            case .unreadableOwnership(let value):
                why =
                    "its \(Ownership.tagKey) tag \(Self.quoted(value)) is not one this version reads (another version's, or edited by hand), "
                    + "so it may belong to another stack; fix or remove that tag to export it"
            case .duplicateOwnership(let key, let exportedID):
                why =
                    "also carries the ownership of key '\(key)'; \(exportedID) is exported; plan deletes the duplicate, "
                    + "or reports a conflict when it is protected or holds senders the manifest does not declare"
            }
            stderr.write("  \(skipped.id) \(Self.quoted(skipped.name)): \(why)\n")
        }
    }

    /// A name shown on one line: control characters escaped.
    private static func quoted(_ name: String) -> String {
        var text = "\""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            default:
                if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    text += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text + "\""
    }
}

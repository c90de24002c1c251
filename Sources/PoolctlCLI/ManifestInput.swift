import Foundation
import PoolctlManifest
import PoolctlModel
import PoolctlRender

/// Loads manifests, printing every diagnostic (as events with `log`);
/// throws exit 1 when invalid.
func loadDesired(_ paths: [String], context: CommandContext, log: ApplyLog? = nil) throws -> DesiredState {
    let result = ManifestLoader().load(paths: paths)
    if let log {
        for diagnostic in result.diagnostics { log.emit(.diagnostic(diagnostic)) }
    } else {
        context.stderr.write(DiagnosticRenderer.text(result.diagnostics, sources: result.sources))
    }
    context.annotate(result.diagnostics, ndjson: log != nil)
    guard let desired = result.desired else {
        let count = result.diagnostics.filter { $0.severity == .error }.count
        throw CommandFailure(
            message: "poolctl: \(count) error\(count == 1 ? "" : "s") in the manifest set; nothing was read or changed", exitCode: .error)
    }
    return desired
}

/// Refuses an output file (`--out`, `--sarif`) that is one of the command's
/// own input files (named, or found in a named directory): the manifest or
/// policy would be replaced by the plan, with no way back.
func refuseOverwritingInputs(_ outputs: [(flag: String, path: String?)], inputs: [String]) throws {
    let named = outputs.compactMap { output in output.path.map { (output.flag, $0) } }
    guard !named.isEmpty else { return }
    func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    let read = Set(ManifestLoader.files(in: inputs).files.map(canonical))
    for (flag, path) in named where read.contains(canonical(path)) {
        throw CommandFailure(
            message: "poolctl: \(flag) \(path) is one of the input files; write the output elsewhere. Nothing was read or changed.",
            exitCode: .error)
    }
}

import Foundation
import PoolctlManifest
import PoolctlModel
import PoolctlRender

/// The named pipes (`<(…)`, /dev/stdin) among `paths`, read whole: a pipe can
/// be read once, and apply must look at it (saved plan or manifest?) before
/// it decodes it.
func readPipes(_ paths: [String]) -> [String: [UInt8]] {
    var read: [String: [UInt8]] = [:]
    for path in paths where read[path] == nil && FileProblem.isStream(path) {
        read[path] = ManifestLoader.readFile(path)
    }
    return read
}

/// Loads manifests, printing every diagnostic (as events with `log`);
/// throws exit 1 when invalid.
func loadDesired(
    _ paths: [String], alreadyRead: [String: [UInt8]] = [:], context: CommandContext, log: ApplyLog? = nil
) throws -> DesiredState {
    let result = ManifestLoader().load(paths: paths, alreadyRead: alreadyRead)
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

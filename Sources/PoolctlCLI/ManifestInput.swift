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

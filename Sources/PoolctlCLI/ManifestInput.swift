import PoolctlManifest
import PoolctlModel
import PoolctlRender

/// Loads manifests, printing every diagnostic; throws exit 1 when invalid.
func loadDesired(_ paths: [String], context: CommandContext) throws -> DesiredState {
    let result = ManifestLoader().load(paths: paths)
    context.stderr.write(DiagnosticRenderer.text(result.diagnostics, sources: result.sources))
    if context.onGitHubActions {
        context.stdout.write(DiagnosticRenderer.githubAnnotations(result.diagnostics))
    }
    guard let desired = result.desired else {
        let count = result.diagnostics.filter { $0.severity == .error }.count
        throw CommandFailure(
            message: "poolctl: \(count) error\(count == 1 ? "" : "s") in the manifest set; nothing was read or changed", exitCode: .error)
    }
    return desired
}

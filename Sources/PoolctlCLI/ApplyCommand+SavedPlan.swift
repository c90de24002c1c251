import Foundation
import PoolctlPlan

/// `apply PLANFILE` or `apply PATH...`: which one the arguments are.
extension ApplyCommand {
    /// One argument that is a JSON file is a saved plan; a saved plan beside
    /// other arguments is refused rather than read as a manifest.
    func savedPlanArgument(pipes: [String: [UInt8]]) throws -> PlanFile? {
        let plans = paths.filter { Self.looksLikeSavedPlan($0, read: pipes[$0]) }
        guard !plans.isEmpty else { return nil }
        guard paths.count == 1 else {
            throw CommandFailure(
                message:
                    "poolctl: \(plans.joined(separator: ", ")) \(plans.count == 1 ? "is a saved plan" : "are saved plans"); apply takes one saved plan alone, or manifest files and directories. Nothing was read or changed.",
                exitCode: .error)
        }
        guard let bytes = pipes[paths[0]] else { return try readPlanFile(paths[0]) }
        do {
            return try PlanFile.decode(bytes)
        } catch {
            throw CommandFailure(message: "poolctl: \(paths[0]): \(error)", exitCode: .error)
        }
    }

    /// A JSON object: manifests are YAML, and a YAML document does not start with '{'.
    /// A `.json` file is one too, whatever it holds: an empty or cut-off download
    /// of a plan gets the plan's error, not a manifest's. `read`: a pipe's bytes, already read.
    static func looksLikeSavedPlan(_ path: String, read: [UInt8]?) -> Bool {
        var directory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &directory)
        if path.lowercased().hasSuffix(".json"), !(exists && directory.boolValue) { return true }
        let head: [UInt8]
        if let read {
            head = Array(read.prefix(4096))
        } else {
            guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: 4096) else { return false }
            head = [UInt8](data)
        }
        return head.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{")
    }
}

import Foundation
import PoolctlModel

extension PlanFile {
    /// The file's text: deterministic, key-sorted JSON.
    public func json() -> String { JSONOutput.encode(self) }

    /// The plan format's keys whose values may be fractions.
    static let fractionFields: Set<String> = ["maxRemovedFraction"]

    /// Why `bytes`, read as `value` (nil: not JSON at all), are no saved plan.
    private static func notAPlan(_ bytes: [UInt8], _ value: JSONValue?) -> String {
        let hint = "a saved plan is the JSON object 'poolctl plan --out FILE' writes"
        let text = bytes.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if text.isEmpty { return "the file is empty; \(hint)" }
        let kind: String
        switch value {
        case .array: kind = "a JSON array"
        case .string: kind = "a JSON string"
        case .int, .double: kind = "a JSON number"
        case .bool: kind = "a JSON boolean"
        case .null: kind = "JSON null"
        case .object: kind = "a JSON object"
        case nil:
            // Foundation names no position; an unfinished document is the common case (a cut-off download or copy).
            let cut = text.first == UInt8(ascii: "{") && text.last != UInt8(ascii: "}")
            return (cut ? "not valid JSON: it ends before its closing '}' (cut off?)" : "not valid JSON") + "; \(hint)"
        }
        return "\(kind), not an object; \(hint)"
    }

    /// Reads a saved plan, refusing other kinds and unknown versions.
    public static func decode(_ bytes: [UInt8]) throws(PlanFileError) -> PlanFile {
        struct Header: Decodable {
            var formatVersion: Int?
            var kind: String?
        }
        let decoder = JSONDecoder()
        let data = Data(bytes)
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: data)
        } catch {
            // A mistyped header field is damage, not a document of another kind.
            let value = try? decoder.decode(JSONValue.self, from: data)
            guard case .object = value else { throw PlanFileError(notAPlan(bytes, value)) }
            throw PlanFileError("the plan is damaged: \(JSONDecodingProblem(error, in: data, fractionFields: fractionFields))")
        }
        guard header.kind == kindValue else {
            throw PlanFileError("not a poolctl plan (expected \"kind\": \"\(kindValue)\")")
        }
        guard let version = header.formatVersion else {
            throw PlanFileError(
                "the plan has no formatVersion; this poolctl reads versions \(readableFormatVersions.lowerBound) to \(readableFormatVersions.upperBound)"
            )
        }
        guard readableFormatVersions.contains(version) else {
            throw PlanFileError(
                "plan formatVersion \(version) is not supported; this poolctl reads versions \(readableFormatVersions.lowerBound) to \(readableFormatVersions.upperBound)"
            )
        }
        let file: PlanFile
        do {
            file = try decoder.decode(PlanFile.self, from: data)
        } catch {
            throw PlanFileError("the plan is damaged: \(JSONDecodingProblem(error, in: data, fractionFields: fractionFields))")
        }
        if let problem = file.inconsistency { throw PlanFileError("the plan is damaged: \(problem)") }
        return file
    }

    /// What no plan poolctl writes can hold: a change given twice (apply would
    /// make it twice), or a write to a pool with no fingerprint (nothing would
    /// tell apply that the pool changed since the plan was made).
    var inconsistency: String? {
        var seen = Set<String>()
        var keysWithoutPool = Set<String>()
        let fingerprinted = Set(fingerprints.map(\.poolID))
        for (index, item) in changes.enumerated() {
            let change = item.change
            // The ownership a change writes is its own key's: a create copied under another key would make a duplicate.
            if let value = change.desiredTags[Ownership.tagKey],
                Ownership(tagValue: value).map({ $0.stack == stack && $0.key == change.key }) != true
            {
                return
                    "changes[\(index)] (\(change.action.rawValue) of '\(change.key)') carries the ownership tag '\(value)', not this stack's for its key"
            }
            guard let id = change.poolID else {
                if !keysWithoutPool.insert(change.key).inserted {
                    return "changes[\(index)] repeats the \(change.action.rawValue) of key '\(change.key)'"
                }
                continue
            }
            if !seen.insert(id).inserted {
                return
                    "changes[\(index)] (\(change.action.rawValue) of '\(change.key)') names pool \(id), which an earlier change names too"
            }
            if change.action.isChange, !fingerprinted.contains(id) {
                return
                    "changes[\(index)] (\(change.action.rawValue) of '\(change.key)') writes to pool \(id), which has no entry in 'fingerprints': apply could not tell whether it changed since the plan was made"
            }
        }
        return nil
    }

    /// Reads the plan file at `path`; errors name the path.
    public static func read(path: String) throws(PlanFileError) -> PlanFile {
        if let reason = FileProblem.unreadable(path) { throw PlanFileError("cannot read plan file '\(path)': \(reason)") }
        // A handle reads a pipe too (`<(…)`, /dev/stdin), which `contents(atPath:)` does not.
        guard let handle = FileHandle(forReadingAtPath: path) else { throw PlanFileError("cannot read plan file '\(path)'") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()  // nil: an empty file
        } catch {
            throw PlanFileError("cannot read plan file '\(path)': \(FileProblem.reason(error))")
        }
        do {
            return try decode([UInt8](data))
        } catch {
            throw PlanFileError("\(path): \(error)")
        }
    }

    /// Saves the plan, replacing `path` atomically.
    public func write(to path: String) throws(PlanFileError) {
        do {
            try OutputFile.write(Array(json().utf8), to: path)
        } catch {
            throw PlanFileError("cannot write the plan to '\(path)': \(FileProblem.reason(error))")
        }
    }
}

/// A saved plan that cannot be read or written.
public struct PlanFileError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

import Foundation

/// Where an operation can be polled. The server returns the place in
/// `operationLocation` (or `Location`); Add Senders documents a nested path,
/// Create a flat one. Only the path is ever used, always on the client's own
/// base URL, so credentials never go to another origin a location names.
public enum OperationPath: Sendable, Hashable {
    /// `/v1/SenderPools/Operations/{operationId}`
    case flat(operationID: String)
    /// `/v1/SenderPools/{senderPoolId}/Senders/Operations/{operationId}`
    case nested(poolID: String, operationID: String)
    /// A path of another shape (path and query, percent-encoded as given).
    case other(path: String, operationID: String)

    public var operationID: String {
        switch self {
        case .flat(let id), .nested(_, let id), .other(_, let id): return id
        }
    }

    /// Reads an absolute or origin-relative URL; nil when it has no path,
    /// or a path that does not start with `/`: joined to the base URL, `@h/x`
    /// or `.h/x` would name another host and be sent the credentials.
    public init?(location: String, operationID: String) {
        guard let components = URLComponents(string: location), components.percentEncodedPath.hasPrefix("/") else { return nil }
        let raw = components.percentEncodedPath
        let segments = raw.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            String($0).removingPercentEncoding ?? String($0)
        }
        if segments.count == 4, segments[0] == "v1", segments[1] == "SenderPools", segments[2] == "Operations" {
            self = .flat(operationID: segments[3])
        } else if segments.count == 6, segments[0] == "v1", segments[1] == "SenderPools", segments[3] == "Senders",
            segments[4] == "Operations"
        {
            self = .nested(poolID: segments[2], operationID: segments[5])
        } else {
            let query = components.percentEncodedQuery.map { "?" + $0 } ?? ""
            self = .other(path: raw + query, operationID: operationID)
        }
    }
}

/// An operation to poll: its id, the location the server returned, and the
/// pool it was started on (for the nested path when the location is missing
/// or answers 404).
public struct OperationReference: Sendable, Hashable {
    // Made only from a 202 (below): the memberwise init stays internal.
    public var id: String
    public var location: String?
    public var poolID: String?

    /// The paths to try, in order: the returned location first, then the
    /// other documented shape (used only after a 404).
    public var candidates: [OperationPath] {
        var paths: [OperationPath] = []
        if let location, let path = OperationPath(location: location, operationID: id) { paths.append(path) }
        let flat = OperationPath.flat(operationID: id)
        let nested = poolID.map { OperationPath.nested(poolID: $0, operationID: id) }
        switch paths.first {
        case .nested?: paths.append(flat)
        case .flat?: if let nested { paths.append(nested) }
        case .other?, nil:
            paths.append(flat)
            if let nested { paths.append(nested) }
        }
        return paths
    }
}

extension OperationReference {
    /// The reference a 202 names, or nil when it names no operation.
    public init?(_ accepted: OperationAccepted, poolID: String?) {
        guard let id = accepted.resolvedOperationID else { return nil }
        self.init(id: id, location: accepted.operationLocation ?? accepted.location, poolID: poolID)
    }
}

extension CommsAPI {
    /// Polls `reference` at the location the server returned, falling back
    /// to the other path shape only on a 404.
    public func fetchOperation(_ reference: OperationReference) async throws -> SenderPoolOperation {
        let candidates = reference.candidates
        for (index, path) in candidates.enumerated() {
            do {
                return try await fetchOperation(at: path)
            } catch let error as APIError where error.isNotFound && index + 1 < candidates.count {
                continue
            }
        }
        // Unreachable: the last candidate returns or throws.
        return try await fetchOperation(at: .flat(operationID: reference.id))
    }

    /// The default for in-process implementations: the documented shapes by
    /// id; any other path is read as the flat one.
    public func fetchOperation(at path: OperationPath) async throws -> SenderPoolOperation {
        switch path {
        case .flat(let id), .other(_, let id): return try await fetchOperation(id: id)
        case .nested(let poolID, let id): return try await fetchPoolSendersOperation(poolID: poolID, operationID: id)
        }
    }
}

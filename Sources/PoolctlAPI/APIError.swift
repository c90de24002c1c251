/// Any failure of a Comms API call. It names the call (method and path) and
/// carries the API's status and message; it never holds credentials.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The API answered with an error status.
        case http
        /// A write may or may not have happened (timeout, reset after the
        /// request was sent, 5xx on a POST). Check before repeating it.
        case outcomeUnknown
        /// No usable answer: connection refused, DNS, TLS, timeout on a read.
        case transport
        /// The answer could not be understood.
        case invalidResponse
        /// Credentials are missing from the environment.
        case missingCredentials
        /// The base URL is not allowed (plain http to a non-loopback host).
        case invalidConfiguration
        /// The overall deadline passed before the call could succeed.
        case deadlineExceeded
        /// No attempt of the call could connect, and the server has not
        /// answered this client yet: a wrong URL, or an API that is down.
        /// Retrying at a higher level cannot help.
        case unreachable
    }

    public var kind: Kind
    /// `GET`, `POST`, …
    public var method: String
    /// The request path, e.g. `/v1/SenderPools/comms_senderpool_…`.
    public var path: String
    /// The HTTP status, when there was one.
    public var status: Int?
    /// The API's error code, when its body had one.
    public var code: Int?
    /// The API's message, or a description of the failure.
    public var message: String
    /// How many attempts were made.
    public var attempts: Int

    public init(
        kind: Kind, method: String = "", path: String = "", status: Int? = nil, code: Int? = nil, message: String, attempts: Int = 1
    ) {
        self.kind = kind
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message
        self.attempts = attempts
    }

    public static func http(_ status: Int, _ message: String, method: String = "", path: String = "", code: Int? = nil) -> APIError {
        APIError(kind: .http, method: method, path: path, status: status, code: code, message: message)
    }

    public var description: String {
        var text = method.isEmpty ? "" : "\(method) \(path): "
        switch kind {
        case .http: text += "HTTP \(status ?? 0)"
        case .outcomeUnknown: text += "outcome unknown"
        case .transport: text += "request failed"
        case .invalidResponse: text += "invalid response"
        case .missingCredentials: text += "missing credentials"
        case .invalidConfiguration: text += "invalid configuration"
        case .deadlineExceeded: text += "deadline exceeded"
        case .unreachable: text += "cannot reach the API"
        }
        if let code { text += " (code \(code))" }
        text += ": \(message)"
        if attempts > 1 { text += " (after \(attempts) attempts)" }
        return text
    }

    /// What an `outcomeUnknown` failure adds to its cause for the user, who
    /// is the one to check: a caller that checks by itself (the lease looks
    /// for its own create) reports `cause` instead.
    public static let outcomeUnknownAdvice =
        "the request may have been processed, so it was not repeated. Check the live state before retrying."

    /// The message without `outcomeUnknownAdvice`.
    public var cause: String {
        let suffix = "; " + Self.outcomeUnknownAdvice
        return message.hasSuffix(suffix) ? String(message.dropLast(suffix.count)) : message
    }

    public var isNotFound: Bool { kind == .http && status == 404 }
    public var isConflict: Bool { kind == .http && status == 409 }
}

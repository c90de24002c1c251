import Foundation
import PoolctlAPI
import PoolctlModel

/// Settings of the live client. Defaults suit the real API; the CLI overrides
/// `baseURL` (`--api-url`, `POOLCTL_API_URL`) and sets `debugLog` for `--debug`.
public struct HTTPClientConfiguration: Sendable {
    public static let defaultBaseURL = "https://comms.twilio.com"

    /// Scheme, host, optional port and optional path prefix; paths such as
    /// `/v1/SenderPools` are appended. `http://` only for loopback hosts.
    public var baseURL: String
    public var credentials: Credentials
    /// Limit for one attempt: connect, send and receive the whole answer.
    public var requestTimeout: Duration
    /// Limit for one call, retries and waits included.
    public var callDeadline: Duration
    /// The longest `Retry-After` honoured (`--max-retry-after`): a longer one
    /// is cut to this. The wait still counts against `callDeadline`.
    public var maxRetryAfter: Duration = .seconds(60)
    /// Attempts per call, the first included.
    public var maxAttempts: Int
    /// The waits between attempts, unless `Retry-After` says otherwise
    /// (`RetryPolicy`).
    public var backoff: Backoff
    /// Receives one line per request, response, failure and retry; never credentials.
    public var debugLog: (@Sendable (String) -> Void)?
    /// Receives one observation per attempt and per retry (`--log-format ndjson`).
    public var observer: RequestObserver?
    public var userAgent: String
    /// Requests in flight at once and the rate cap, shared by every call of
    /// one client (see `RequestScheduler`).
    public var scheduling = RequestScheduler.Settings()
    /// The HTTP proxy to the API (`HTTPS_PROXY`), or nil to connect directly.
    public var proxy: ProxySettings?

    public init(
        credentials: Credentials,
        baseURL: String = HTTPClientConfiguration.defaultBaseURL,
        requestTimeout: Duration = .seconds(30),
        callDeadline: Duration = .seconds(120),
        maxAttempts: Int = 5,
        backoff: Backoff = .apiRetries,
        debugLog: (@Sendable (String) -> Void)? = nil,
        userAgent: String = "poolctl"
    ) {
        self.credentials = credentials
        self.baseURL = baseURL
        self.requestTimeout = requestTimeout
        self.callDeadline = callDeadline
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.debugLog = debugLog
        self.userAgent = userAgent
    }

    /// Credentials from the environment (see `Credentials.fromEnvironment`),
    /// the base URL from, in order: `apiURL` (the `--api-url` flag),
    /// `POOLCTL_API_URL`, the default (empty values count as unset), and the
    /// proxy (`ProxySettings.fromEnvironment`).
    public static func fromEnvironment(_ env: [String: String], apiURL: String? = nil) throws -> HTTPClientConfiguration {
        let credentials = try Credentials.fromEnvironment(env)
        let url = [apiURL, env["POOLCTL_API_URL"]].lazy.compactMap { $0?.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        var configuration = HTTPClientConfiguration(credentials: credentials, baseURL: url ?? defaultBaseURL)
        configuration.proxy = try ProxySettings.fromEnvironment(env, baseURL: configuration.baseURL)
        return configuration
    }

    /// Checks the settings and returns the base URL without a trailing slash.
    /// Throws `APIError` of kind `.invalidConfiguration`, whose message
    /// quotes the URL with the credentials' secrets hidden, as every other
    /// error of the client does: a token pasted into a URL stays hidden.
    public func validatedBaseURL() throws -> String {
        let redact = Redactor(secrets: credentials.redactor.secrets, anywhere: proxy?.secrets ?? [])
        func invalid(_ message: String) -> APIError { APIError(kind: .invalidConfiguration, message: redact(message)) }
        guard maxAttempts >= 1 else { throw invalid("maxAttempts must be at least 1") }
        guard requestTimeout > .zero, callDeadline > .zero else { throw invalid("timeouts must be positive") }
        guard maxRetryAfter >= .zero else { throw invalid("maxRetryAfter must not be negative") }
        guard backoff.initial >= .zero, backoff.cap >= backoff.initial else { throw invalid("backoff must satisfy 0 <= base <= cap") }

        let trimmed = baseURL.trimmingCharacters(in: .whitespaces)
        // Never echo a URL that carries user info: it may hold a secret.
        guard let components = URLComponents(string: trimmed), components.user == nil, components.password == nil else {
            throw invalid(
                trimmed.contains("@")
                    ? "API URL must not contain credentials; use TWILIO_API_KEY/TWILIO_API_SECRET"
                    : "API URL '\(trimmed)' is not a valid URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw invalid("API URL '\(trimmed)' must start with https:// (or http:// for a loopback host)")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("API URL '\(trimmed)' has no host") }
        guard components.query == nil, components.fragment == nil else {
            throw invalid("API URL '\(trimmed)' must not have a query or fragment")
        }
        // Through a proxy a request always rides a CONNECT tunnel: only TLS inside it hides the credentials.
        if scheme == "http", let proxy {
            throw invalid("the proxy \(proxy) is used only for an https:// API, not for '\(trimmed)'")
        }
        if scheme == "http", !Self.isLoopback(host: host) {
            throw invalid(
                "refusing plain http:// to non-loopback host '\(host)': credentials would travel unencrypted; use https:// (http:// is allowed only for localhost, 127.0.0.0/8 and [::1])"
            )
        }
        var result = trimmed
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// An IPv6 address without the brackets a URL puts around it (Foundation
    /// on Linux keeps them in `host`).
    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// `localhost`, `127.0.0.0/8` and `::1` (with or without brackets).
    public static func isLoopback(host: String) -> Bool {
        let host = unbracketed(host).lowercased()
        if host == "localhost" || host == "localhost." || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII) && octet.allSatisfy(\.isNumber) && Int(octet)! <= 255
        }
    }
}

extension HTTPClientConfiguration: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "HTTPClientConfiguration(baseURL: \(baseURL), credentials: \(credentials), proxy: \(proxy.map(String.init(describing:)) ?? "none"), requestTimeout: \(requestTimeout), callDeadline: \(callDeadline), maxAttempts: \(maxAttempts))"
    }
    public var debugDescription: String { description }
}

import Foundation
import PoolctlAPI

/// The HTTP proxy the client reaches the API through, read from the
/// environment as curl, Go and Terraform read it: `HTTPS_PROXY` (or
/// `https_proxy`) for an `https://` API, unless `NO_PROXY` (or `no_proxy`)
/// names its host. A loopback API (the emulator) is never proxied, so a
/// runner's global proxy does not break a rehearsal; `HTTP_PROXY` is not
/// read, since plain http goes only to loopback hosts.
///
/// The API's `Authorization` header travels inside the TLS tunnel the proxy
/// opens (`CONNECT`); the proxy's own credentials, from the proxy URL's
/// user info, go only to the proxy and are redacted like the API's.
public struct ProxySettings: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let variables = ["HTTPS_PROXY", "https_proxy"]
    public static let bypassVariables = ["NO_PROXY", "no_proxy"]

    public var host: String
    public var port: Int
    /// The variable it came from, for messages.
    public var variable: String
    var username: String?
    var password: String?
    /// The password as the URL spells it (percent-encoded), to redact too.
    var encodedPassword: String?

    /// `proxy.example:3128`, `[fd00::1]:3128`.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    /// `proxy.example:3128 (HTTPS_PROXY)`: never the credentials.
    public var description: String { "\(address) (\(variable))" }
    public var debugDescription: String { description }
    // `dump` must not show the password either.
    public var customMirror: Mirror {
        Mirror(
            self, children: ["address": address, "variable": variable, "credentials": username == nil ? "none" : "[REDACTED]"],
            displayStyle: .struct)
    }

    /// Strings to redact: the password, percent-encoded too, and the
    /// `user:password` pair, base64 too (the `Proxy-Authorization` value).
    var secrets: [String] {
        guard let password, !password.isEmpty else { return [] }
        let pair = "\(username ?? ""):\(password)"
        return [password, pair, Data(pair.utf8).base64EncodedString()] + [encodedPassword].compactMap { $0 }
    }

    /// The proxy for `baseURL`, or nil when none applies. Throws `APIError`
    /// of kind `.invalidConfiguration` for a proxy URL it cannot use; the
    /// message never repeats the URL's credentials.
    public static func fromEnvironment(_ env: [String: String], baseURL: String) throws -> ProxySettings? {
        guard let api = URLComponents(string: baseURL.trimmingCharacters(in: .whitespaces)),
            api.scheme?.lowercased() == "https", let host = api.host, !host.isEmpty, !HTTPClientConfiguration.isLoopback(host: host)
        else { return nil }
        let apiHost = HTTPClientConfiguration.unbracketed(host).lowercased()
        guard let (variable, value) = firstSet(variables, in: env) else { return nil }
        if let (_, bypass) = firstSet(bypassVariables, in: env), bypasses(bypass, host: apiHost, port: api.port ?? 443) {
            return nil
        }
        return try parse(value, variable: variable)
    }

    /// `http://[user:password@]host[:port][/]`; the scheme may be left out.
    static func parse(_ value: String, variable: String) throws -> ProxySettings {
        let text = value.contains("://") ? value : "http://" + value
        // The value as shown in errors: its credentials, if any, left out.
        let shown = text.contains("@") ? "\(text.prefix { $0 != ":" })://…@\(text.split(separator: "@").last ?? "")" : text
        func invalid(_ why: String) -> APIError {
            APIError(kind: .invalidConfiguration, message: "\(variable) '\(shown)' \(why)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw invalid("is not a valid proxy URL; use http://host:port")
        }
        guard scheme == "http" else {
            throw invalid("uses \(scheme)://; poolctl speaks to proxies in plain http:// (the API's traffic stays TLS inside the tunnel)")
        }
        // Foundation on Linux keeps an IPv6 address's brackets; the proxy is dialled without them.
        guard let host = components.host.map(HTTPClientConfiguration.unbracketed), !host.isEmpty else {
            throw invalid("has no host; use http://host:port")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            throw invalid("must be only http://host:port")
        }
        let port = components.port ?? 80
        guard (1...65535).contains(port) else { throw invalid("has no valid port") }
        // `user` and `password` come percent-decoded, once, as curl and Go decode them.
        return ProxySettings(
            host: host, port: port, variable: variable, username: components.user, password: components.password,
            encodedPassword: components.percentEncodedPassword)
    }

    /// Whether a `NO_PROXY` list names `host`: `*`, the host itself, or a
    /// domain it is in (`example.com` and `.example.com` both cover
    /// `api.example.com`), each optionally with a port that must match.
    /// IP ranges (CIDR) are not matched.
    static func bypasses(_ list: String, host: String, port: Int) -> Bool {
        for raw in list.split(separator: ",") {
            var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if entry == "*" { return true }
            // A port follows the only colon of a name or address, or the `]` of a bracketed IPv6 address.
            let colons = entry.filter { $0 == ":" }.count
            if let colon = entry.lastIndex(of: ":"), colons == 1 || entry[..<colon].hasSuffix("]"),
                let entryPort = Int(entry[entry.index(after: colon)...])
            {
                guard entryPort == port else { continue }
                entry = String(entry[..<colon])
            }
            while entry.hasPrefix("*") || entry.hasPrefix(".") { entry.removeFirst() }
            entry = HTTPClientConfiguration.unbracketed(entry)
            guard !entry.isEmpty else { continue }
            if host == entry || host.hasSuffix("." + entry) { return true }
        }
        return false
    }

    private static func firstSet(_ names: [String], in env: [String: String]) -> (String, String)? {
        for name in names {
            if let value = env[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return (name, value) }
        }
        return nil
    }
}

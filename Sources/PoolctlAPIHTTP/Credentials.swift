import Foundation
import PoolctlAPI

/// HTTP Basic credentials for the Comms API: an API key and its secret, or an
/// Account SID and its auth token.
///
/// Every textual form (`description`, `debugDescription`, `dump`) redacts the
/// secret and shortens the username, so a stray `print` never leaks them.
public struct Credentials: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// `TWILIO_API_KEY` + `TWILIO_API_SECRET`
        case apiKey
        /// `TWILIO_ACCOUNT_SID` + `TWILIO_AUTH_TOKEN`
        case accountSID
    }

    public let kind: Kind
    /// The API key SID or Account SID. Not secret, but shown shortened anyway.
    public let username: String
    private let secret: String

    public init(username: String, secret: String, kind: Kind = .apiKey) {
        self.kind = kind
        self.username = username
        self.secret = secret
    }

    /// The four variables, named in the error when none of the pairs is set.
    public static let environmentVariables = ["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]

    /// `TWILIO_API_KEY` + `TWILIO_API_SECRET` when both are set (API keys can be
    /// revoked one by one, so they win), otherwise `TWILIO_ACCOUNT_SID` +
    /// `TWILIO_AUTH_TOKEN`. Empty values count as unset; whitespace is trimmed.
    public static func fromEnvironment(_ env: [String: String]) throws -> Credentials {
        func value(_ name: String) -> String? { Self.value(name, in: env) }
        if let key = value("TWILIO_API_KEY"), let secret = value("TWILIO_API_SECRET") {
            return Credentials(username: key, secret: secret, kind: .apiKey)
        }
        if let sid = value("TWILIO_ACCOUNT_SID"), let token = value("TWILIO_AUTH_TOKEN") {
            return Credentials(username: sid, secret: token, kind: .accountSID)
        }
        var message = "set TWILIO_API_KEY and TWILIO_API_SECRET, or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        let halfSet = halfSetPairs(env)
        if !halfSet.isEmpty { message += " (\(halfSet.joined(separator: "; ")))" }
        throw APIError(kind: .missingCredentials, message: message)
    }

    /// "X is set but Y is empty or unset", for each pair set by half: a
    /// typo worth a warning even when the other pair is used instead.
    public static func halfSetPairs(_ env: [String: String]) -> [String] {
        func isSet(_ name: String) -> Bool { value(name, in: env) != nil }
        return [
            ("TWILIO_API_KEY", "TWILIO_API_SECRET"), ("TWILIO_API_SECRET", "TWILIO_API_KEY"),
            ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"), ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID"),
        ]
        .filter { isSet($0.0) && !isSet($0.1) }
        .map { "\($0.0) is set but \($0.1) is empty or unset" }
    }

    /// A variable's value, trimmed; nil when unset or empty.
    private static func value(_ name: String, in env: [String: String]) -> String? {
        guard let raw = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
        return raw
    }

    /// The `Authorization` header value. Internal: only the transport sends it.
    var authorizationHeader: String { "Basic " + Self.basicToken(username: username, secret: secret) }

    static func basicToken(username: String, secret: String) -> String {
        Data("\(username):\(secret)".utf8).base64EncodedString()
    }

    /// Strings that must never appear in output: the secret, the `user:secret`
    /// pair and its base64 form, and the forms a server may echo the secret
    /// in: base64, percent-encoded, JSON-escaped (matched in any letter case).
    var redactor: Redactor {
        guard !secret.isEmpty else { return Redactor(secrets: []) }
        let jsonEscaped = secret.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let encoded = [
            Data(secret.utf8).base64EncodedString(), secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics),
            secret.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed),
            // JSON-escaped, with and without `\/` (Foundation escapes the slash; Go and Python do not).
            jsonEscaped, jsonEscaped.replacingOccurrences(of: "/", with: "\\/"),
        ]
        return Redactor(
            secrets: [Self.basicToken(username: username, secret: secret), "\(username):\(secret)", secret] + encoded.compactMap { $0 })
    }

    /// First 4 characters and an ellipsis: enough to tell two keys apart.
    var shortUsername: String { username.count > 4 ? username.prefix(4) + "…" : username }
}

extension Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Credentials(\(kind.rawValue), username: \(shortUsername), secret: [REDACTED])" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["kind": kind, "username": shortUsername, "secret": "[REDACTED]"], displayStyle: .struct)
    }
}

/// Replaces known secret strings with `[REDACTED]` in anything we log or throw,
/// including text that came from the network or from NIO errors.
struct Redactor: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Longest first, so `user:secret` is replaced before `secret` alone.
    let secrets: [String]
    /// Replaced wherever they appear, however short (a proxy's password).
    let anywhere: Set<String>

    init(secrets: [String], anywhere: [String] = []) {
        self.anywhere = Set(anywhere)
        self.secrets = Array(Set((secrets + anywhere).filter { !$0.isEmpty })).sorted { ($0.count, $0) > ($1.count, $1) }
    }

    /// Below this length a secret is replaced only where it stands as a
    /// word of its own: the emulator's `TWILIO_AUTH_TOKEN=t` must not turn
    /// "connection refused" into "connec[REDACTED]ion refused". Real
    /// secrets (32 characters) are replaced wherever they appear.
    static let anywhereLength = 16

    func callAsFunction(_ text: String) -> String {
        secrets.reduce(text) { text, secret in
            secret.count >= Self.anywhereLength || anywhere.contains(secret)
                ? text.replacingOccurrences(of: secret, with: "[REDACTED]", options: .caseInsensitive)
                : Self.replacingWords(secret, in: text)
        }
    }

    /// `text` with each occurrence of `secret` that no letter or digit
    /// touches on either side replaced. The end of an escape (`%3D`, `\n`,
    /// `\u0041`) sets a secret apart as a space would.
    private static func replacingWords(_ secret: String, in text: String) -> String {
        func endsEscape(_ index: String.Index) -> Bool {
            func back(_ n: Int) -> String.Index? { text.index(index, offsetBy: -n, limitedBy: text.startIndex) }
            if let i = back(2), text[i] == "%", text[text.index(after: i)].isHexDigit, text[index].isHexDigit { return true }
            if let i = back(1), text[i] == "\\" { return true }
            if let i = back(5), text[i] == "\\", text[text.index(after: i)] == "u",
                text[text.index(i, offsetBy: 2)...index].allSatisfy(\.isHexDigit)
            {
                return true
            }
            return false
        }
        func isWordCharacter(_ index: String.Index?, before: Bool) -> Bool {
            guard let index, text[index].isLetter || text[index].isNumber else { return false }
            return !(before && endsEscape(index))
        }
        var result = ""
        var rest = text.startIndex
        while let found = text.range(of: secret, options: .caseInsensitive, range: rest..<text.endIndex) {
            let before = found.lowerBound > text.startIndex ? text.index(before: found.lowerBound) : nil
            let after = found.upperBound < text.endIndex ? found.upperBound : nil
            result += text[rest..<found.lowerBound]
            result += isWordCharacter(before, before: true) || isWordCharacter(after, before: false) ? String(text[found]) : "[REDACTED]"
            rest = found.upperBound
        }
        return result + text[rest...]
    }

    // Printing or dumping a client must never show what it hides.
    var description: String { "Redactor(\(secrets.count) secrets: [REDACTED])" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: ["secrets": "[REDACTED]"], displayStyle: .struct) }

    func callAsFunction(_ error: APIError) -> APIError {
        var error = error
        error.message = self(error.message)
        error.path = self(error.path)
        return error
    }
}

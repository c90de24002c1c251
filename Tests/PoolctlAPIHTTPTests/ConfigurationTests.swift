import Foundation
import PoolctlAPI
import Testing

@testable import PoolctlAPIHTTP

@Suite struct CredentialsTests {
    @Test func apiKeyPair() throws {
        let credentials = try Credentials.fromEnvironment(["TWILIO_API_KEY": "SK123", "TWILIO_API_SECRET": "sec"])
        #expect(credentials.kind == .apiKey)
        #expect(credentials.username == "SK123")
        #expect(credentials.authorizationHeader == "Basic " + Data("SK123:sec".utf8).base64EncodedString())
    }

    @Test func accountPair() throws {
        let credentials = try Credentials.fromEnvironment(["TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "tok"])
        #expect(credentials.kind == .accountSID)
        #expect(credentials.username == "AC123")
        #expect(credentials.authorizationHeader == "Basic " + Data("AC123:tok".utf8).base64EncodedString())
    }

    @Test func apiKeyWinsWhenBothPairsAreSet() throws {
        let credentials = try Credentials.fromEnvironment([
            "TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "tok",
            "TWILIO_API_KEY": "SK123", "TWILIO_API_SECRET": "sec",
        ])
        #expect(credentials.kind == .apiKey)
        #expect(credentials.username == "SK123")
    }

    @Test func halfAnAPIKeyFallsBackToTheAccountPair() throws {
        let credentials = try Credentials.fromEnvironment([
            "TWILIO_API_KEY": "SK123", "TWILIO_API_SECRET": " ",
            "TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "tok\n",
        ])
        #expect(credentials.kind == .accountSID)
        #expect(credentials.authorizationHeader == "Basic " + Data("AC123:tok".utf8).base64EncodedString())
    }

    @Test(arguments: [
        [:],
        ["TWILIO_API_KEY": ""],
        ["TWILIO_ACCOUNT_SID": "AC123"],
        ["TWILIO_API_SECRET": "sec", "TWILIO_AUTH_TOKEN": "tok"],
    ])
    func missingNamesAllFourVariables(_ env: [String: String]) {
        #expect {
            try Credentials.fromEnvironment(env)
        } throws: { error in
            guard let error = error as? APIError, error.kind == .missingCredentials else { return false }
            return Credentials.environmentVariables.allSatisfy { error.message.contains($0) }
                && !error.message.contains("sec") && !error.message.contains("tok")
        }
    }

    @Test func halfSetPairIsPointedOut() {
        let error = #expect(throws: APIError.self) { try Credentials.fromEnvironment(["TWILIO_ACCOUNT_SID": "AC123"]) }
        #expect(error?.message.contains("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is empty or unset") == true)
    }

    @Test func everyRenderingIsRedacted() {
        for text in allRenderings(testCredentials) {
            #expect(!leaks(text), "\(text)")
            #expect(!text.contains(testUsername))
        }
        #expect(String(describing: testCredentials) == "Credentials(apiKey, username: SKab…, secret: [REDACTED])")
        var dumped = ""
        dump(testCredentials, to: &dumped)
        #expect(dumped.contains("[REDACTED]"))
        // Nested in the configuration, too.
        let configuration = HTTPClientConfiguration(credentials: testCredentials)
        for text in allRenderings(configuration) + allRenderings([configuration]) + allRenderings(Optional(testCredentials) as Any) {
            #expect(!leaks(text), "\(text)")
        }
    }

    @Test func redactorReplacesEveryForm() {
        let redact = testCredentials.redactor
        let text = "Authorization: Basic \(testBasicToken) user \(testUsername):\(testSecret) token \(testSecret)"
        #expect(!leaks(redact(text)))
        #expect(redact("nothing secret") == "nothing secret")
    }

    /// An emulator's one-letter token hides where it stands alone, and leaves
    /// the words that merely contain it (audit, 7 Dec: every error read
    /// "connec[REDACTED]ion refused" with `TWILIO_AUTH_TOKEN=t`).
    @Test func aShortSecretIsRedactedOnlyAsAWordOfItsOwn() {
        let redact = Credentials(username: "ACdemo", secret: "t").redactor
        #expect(
            redact("GET /v1/SenderPools/Operations: request failed: connection refused")
                == "GET /v1/SenderPools/Operations: request failed: connection refused")
        #expect(redact("bad token 't', or T/x") == "bad token '[REDACTED]', or [REDACTED]/x")
        #expect(redact("Basic QUNkZW1vOnQ= and ACdemo:t") == "Basic [REDACTED] and [REDACTED]")
    }

    /// The end of an escape sets a short secret apart as a space would: an
    /// echo that encodes the character before it still hides it.
    @Test func aShortSecretAfterAnEscapeIsRedacted() {
        let redact = Credentials(username: "ACdemo", secret: "hunter2").redactor
        #expect(
            redact(#"q=%3Dhunter2, "\nhunter2", "\u0041hunter2", Dhunter2"#)
                == #"q=%3D[REDACTED], "\n[REDACTED]", "\u0041[REDACTED]", Dhunter2"#)
    }

    /// A real secret's length: hidden even inside a longer word.
    @Test func aLongSecretIsRedactedWhereverItAppears() {
        let secret = "0123456789abcdef0123456789abcdef"
        let redact = Credentials(username: "ACdemo", secret: secret).redactor
        #expect(redact("token=x\(secret)y") == "token=x[REDACTED]y")
    }

    /// A server that echoes the secret may encode it: every common form is redacted.
    @Test func redactorReplacesTheFormsAServerMayEchoTheSecretIn() {
        let secret = #"Sup3r/Secret+xyz="q"#
        let redact = Credentials(username: "SKkey", secret: secret).redactor
        let forms = [
            "Sup3r%2FSecret%2Bxyz%3D%22q", "SUP3R/SECRET+XYZ=\"Q", "U3VwM3IvU2VjcmV0K3h5ej0icQ==", #"Sup3r\/Secret+xyz=\"q"#,
            "sup3r%2fsecret%2bxyz%3d%22q", #"Sup3r/Secret+xyz=\"q"#,
        ]
        for form in forms {
            #expect(redact("body: \(form) end") == "body: [REDACTED] end", "\(form)")
        }
        #expect(redact("SKkey is the key") == "SKkey is the key", "the username is not a secret")
    }
}

@Suite struct BaseURLTests {
    func validated(_ url: String) throws -> String {
        try HTTPClientConfiguration(credentials: testCredentials, baseURL: url).validatedBaseURL()
    }

    @Test(arguments: [
        "https://comms.twilio.com", "https://comms.twilio.com/", "https://example.com:8443/prefix",
        "http://localhost:8080", "http://LOCALHOST", "http://127.0.0.1:9000", "http://127.255.0.1", "http://[::1]:8080",
    ])
    func allowed(_ url: String) throws {
        let base = try validated(url)
        #expect(!base.hasSuffix("/"))
    }

    @Test func trailingSlashIsDropped() throws {
        #expect(try validated("https://comms.twilio.com/") == "https://comms.twilio.com")
        #expect(try validated("http://127.0.0.1:8080/base/") == "http://127.0.0.1:8080/base")
    }

    @Test(arguments: [
        "http://comms.twilio.com", "http://10.0.0.1:8080", "http://128.0.0.1", "http://127.0.0.1.nip.io",
        "http://localhost.evil.example", "http://[::2]:80", "http://127.0.0.256", "http://0x7f.0.0.1",
    ])
    func plainHTTPToNonLoopbackIsRefused(_ url: String) {
        let error = #expect(throws: APIError.self) { try validated(url) }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error?.message.contains("http://") == true)
        #expect(error?.message.contains("loopback") == true)
    }

    @Test(arguments: ["ftp://comms.twilio.com", "comms.twilio.com", "https://", "https://x/?a=b", "https://x/#f", ""])
    func malformedIsRefused(_ url: String) {
        let error = #expect(throws: APIError.self) { try validated(url) }
        #expect(error?.kind == .invalidConfiguration)
    }

    @Test func userInfoIsRefusedWithoutEchoingIt() {
        let error = #expect(throws: APIError.self) { try validated("https://\(testUsername):\(testSecret)@comms.twilio.com") }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error.map { !leaks($0.message) && !$0.message.contains(testUsername) } == true)
    }

    /// A secret pasted into the URL is quoted hidden, as in any other error;
    /// a short one too where it stands apart (`?`, a space, the end).
    @Test(arguments: ["http://127.0.0.1:1/?%@", "ftp://x %@", "https://x/#%@"])
    func aSecretInTheURLIsHiddenInTheError(_ template: String) {
        for secret in [testSecret, "SuperSecret123"] {
            let credentials = Credentials(username: "AC1", secret: secret, kind: .accountSID)
            let url = template.replacingOccurrences(of: "%@", with: secret)
            let error = #expect(throws: APIError.self) {
                try HTTPClientConfiguration(credentials: credentials, baseURL: url).validatedBaseURL()
            }
            #expect(error?.kind == .invalidConfiguration)
            #expect(error.map { !$0.message.contains(secret) && $0.message.contains("[REDACTED]") } == true, "\(error?.message ?? "")")
        }
    }

    @Test func settingsAreChecked() {
        var configuration = HTTPClientConfiguration(credentials: testCredentials)
        configuration.maxAttempts = 0
        #expect(throws: APIError.self) { try configuration.validatedBaseURL() }
    }

    @Test func clientRefusesPlainHTTPBeforeOpeningAnything() {
        let configuration = HTTPClientConfiguration(credentials: testCredentials, baseURL: "http://comms.twilio.com")
        let error = #expect(throws: APIError.self) { try HTTPCommsAPI(configuration: configuration) }
        #expect(error?.kind == .invalidConfiguration)
    }

    @Test func baseURLPrecedence() throws {
        let env = ["TWILIO_API_KEY": "SK1", "TWILIO_API_SECRET": "s", "POOLCTL_API_URL": "http://127.0.0.1:8080"]
        #expect(try HTTPClientConfiguration.fromEnvironment(env, apiURL: "http://localhost:9").baseURL == "http://localhost:9")
        #expect(try HTTPClientConfiguration.fromEnvironment(env).baseURL == "http://127.0.0.1:8080")
        #expect(try HTTPClientConfiguration.fromEnvironment(env, apiURL: "").baseURL == "http://127.0.0.1:8080")
        var noURL = env
        noURL["POOLCTL_API_URL"] = ""
        #expect(try HTTPClientConfiguration.fromEnvironment(noURL).baseURL == "https://comms.twilio.com")
        #expect(throws: APIError.self) { try HTTPClientConfiguration.fromEnvironment(["POOLCTL_API_URL": "http://127.0.0.1"]) }
    }

    @Test func defaults() {
        let configuration = HTTPClientConfiguration(credentials: testCredentials)
        #expect(configuration.baseURL == "https://comms.twilio.com")
        #expect(configuration.requestTimeout == .seconds(30))
        #expect(configuration.callDeadline == .seconds(120))
        #expect(configuration.maxAttempts == 5)
        #expect(configuration.debugLog == nil)
    }
}

import Foundation
import PoolctlAPI
import Testing

@testable import PoolctlAPIHTTP

/// `HTTPS_PROXY` and `NO_PROXY`, read as curl, Go and Terraform read them.
@Suite struct ProxySettingsTests {
    static let api = "https://comms.twilio.com"

    func proxy(_ env: [String: String], baseURL: String = api) throws -> ProxySettings? {
        try ProxySettings.fromEnvironment(env, baseURL: baseURL)
    }

    @Test func httpsProxyIsReadForAnHTTPSAPI() throws {
        let settings = try #require(try proxy(["HTTPS_PROXY": "http://proxy.corp.example:3128"]))
        #expect(settings.host == "proxy.corp.example" && settings.port == 3128)
        #expect(settings.description == "proxy.corp.example:3128 (HTTPS_PROXY)")
        #expect(settings.username == nil && settings.secrets.isEmpty)
    }

    @Test func theLowercaseVariableAndABareHostWork() throws {
        let settings = try #require(try proxy(["https_proxy": "proxy.corp.example"]))
        #expect(settings.host == "proxy.corp.example" && settings.port == 80 && settings.variable == "https_proxy")
        #expect(try proxy(["HTTPS_PROXY": "  "]) == nil, "an empty value is unset")
        #expect(try proxy(["HTTP_PROXY": "http://proxy:3128"]) == nil, "plain http goes only to loopback, never through HTTP_PROXY")
    }

    /// The emulator on loopback is never proxied: a runner's global proxy
    /// must not break a rehearsal.
    @Test(arguments: ["http://127.0.0.1:8080", "http://localhost:9000", "https://localhost:8443", "http://[::1]:8080"])
    func aLoopbackAPIIsNeverProxied(_ baseURL: String) throws {
        #expect(try proxy(["HTTPS_PROXY": "http://proxy:3128"], baseURL: baseURL) == nil)
    }

    @Test(arguments: [
        ("*", true), ("twilio.com", true), (".twilio.com", true), ("*.twilio.com", true), ("comms.twilio.com", true),
        ("COMMS.TWILIO.COM:443", true), ("comms.twilio.com:8443", false), ("ilio.com", false), ("example.com, twilio.com", true),
        ("example.com", false), ("10.0.0.0/8", false), ("", false),
    ])
    func noProxyNamesHostsThatAreReachedDirectly(_ list: String, bypassed: Bool) throws {
        let settings = try proxy(["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": list])
        #expect((settings == nil) == bypassed, "\(list)")
        #expect(try proxy(["HTTPS_PROXY": "http://proxy:3128", "no_proxy": list]) == settings)
    }

    @Test func theProxysCredentialsAreKeptAndRedacted() throws {
        let settings = try #require(try proxy(["HTTPS_PROXY": "http://ops:p%40ss-w0rd-9@proxy:3128"]))
        #expect(settings.username == "ops" && settings.password == "p@ss-w0rd-9")
        #expect(!settings.description.contains("p@ss") && !settings.description.contains("ops"))
        let redact = Redactor(secrets: settings.secrets)
        #expect(redact("proxy said: bad password p@ss-w0rd-9 (p%40ss-w0rd-9)") == "proxy said: bad password [REDACTED] ([REDACTED])")
        #expect(
            redact("Proxy-Authorization: Basic \(Data("ops:p@ss-w0rd-9".utf8).base64EncodedString())")
                == "Proxy-Authorization: Basic [REDACTED]")
    }

    /// Percent-decoded once, as curl and Go do: `%2541` is `%41`, not `A`.
    @Test func credentialsAreDecodedOnce() throws {
        let settings = try #require(try proxy(["HTTPS_PROXY": "http://ops:ab%2541@proxy:3128"]))
        #expect(settings.password == "ab%41")
        #expect(Redactor(secrets: [], anywhere: settings.secrets)("sent ab%41, as ab%2541") == "sent [REDACTED], as [REDACTED]")
    }

    /// Foundation on Linux keeps an IPv6 host's brackets; the proxy is dialled,
    /// and `NO_PROXY` compared, without them.
    @Test func ipv6HostsLoseTheirBrackets() throws {
        let settings = try #require(try proxy(["HTTPS_PROXY": "http://[fd00::1]:3128"]))
        #expect(settings.host == "fd00::1" && settings.address == "[fd00::1]:3128")
        let ipv6API = "https://[2001:db8::1]:8443"
        #expect(try proxy(["HTTPS_PROXY": "http://proxy:3128"], baseURL: ipv6API) != nil)
        for list in ["2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:8443"] {
            #expect(try proxy(["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": list], baseURL: ipv6API) == nil, "\(list)")
        }
        #expect(try proxy(["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "[2001:db8::1]:443"], baseURL: ipv6API) != nil)
    }

    /// No rendering of the settings, or of a configuration that holds them, shows the password.
    @Test func noRenderingShowsTheProxysPassword() throws {
        var configuration = HTTPClientConfiguration(credentials: testCredentials)
        configuration.proxy = try proxy(["HTTPS_PROXY": "http://ops:mirror-pass-5@proxy:3128"])
        let settings = try #require(configuration.proxy)
        for text in allRenderings(settings) + allRenderings(configuration) {
            #expect(!text.contains("mirror-pass-5"), "\(text)")
        }
        #expect(String(describing: configuration).contains("proxy: proxy:3128 (HTTPS_PROXY)"))
    }

    /// Through a proxy every request rides a CONNECT tunnel, so only an
    /// https:// API may use one: plain http would hand the proxy the credentials.
    @Test func aProxyIsRefusedForAPlainHTTPAPI() throws {
        var configuration = HTTPClientConfiguration(credentials: testCredentials, baseURL: "http://127.0.0.1:8080")
        configuration.proxy = try ProxySettings.parse("http://proxy:3128", variable: "HTTPS_PROXY")
        let error = #expect(throws: APIError.self) { try configuration.validatedBaseURL() }
        #expect(error?.message.contains("is used only for an https:// API") == true, "\(String(describing: error))")
    }

    /// A proxy URL poolctl cannot use is refused up front, by name, and the
    /// message never repeats its password.
    @Test(arguments: [
        ("socks5://ops:hunter2-secret@proxy:1080", "uses socks5://"),
        ("https://ops:hunter2-secret@proxy:3128", "uses https://"),
        ("http://ops:hunter2-secret@proxy:3128/path", "must be only http://host:port"),
        ("http://ops:hunter2-secret@:3128", "has no host"),
    ])
    func anUnusableProxyIsRefusedWithoutItsPassword(_ value: String, problem: String) {
        do {
            _ = try proxy(["HTTPS_PROXY": value])
            Issue.record("accepted \(value)")
        } catch let error as APIError {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.hasPrefix("HTTPS_PROXY '"), "\(error.message)")
            #expect(error.message.contains(problem), "\(error.message)")
            #expect(!error.description.contains("hunter2"), "\(error.description)")
        } catch {
            Issue.record("\(error)")
        }
    }
}

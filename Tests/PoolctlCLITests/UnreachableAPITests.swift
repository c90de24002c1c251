import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlCLI

/// A wrong `--api-url`, or an API that is down, fails fast with a message
/// that says so. Apply tries each call 8 times (`APIOptions.applyAttempts`),
/// except the lease's (5: its steps retry themselves), which come first; the
/// other commands 5. The backoff is shortened so the attempts take
/// milliseconds; the port is one the emulator just closed.
@Suite struct UnreachableAPITests {
    /// The URL of an emulator that has stopped: nothing listens there now.
    func closedURL() async throws -> String {
        var url = ""
        try await withEmulator { url = $0.url }
        return url
    }

    @Test(arguments: [(["plan"], 5), (["apply", "--auto-approve"], 5), (["apply", "--auto-approve", "--lock=false"], 8)])
    func aCommandAgainstAnAPIThatDoesNotAnswerSaysSo(command: [String], attempts: Int) async throws {
        let url = try await closedURL()
        try await withFiles(["m.yaml": manifest(["a": "senders: []"])]) { directory in
            let arguments = [command[0], directory.path, "--api-url", url] + command.dropFirst()
            let outcome = await poolctl(
                arguments, environment: ["TWILIO_ACCOUNT_SID": accountSID, "TWILIO_AUTH_TOKEN": authToken],
                retryBackoff: Backoff(initial: .milliseconds(1), cap: .milliseconds(1)))
            #expect(outcome.code == .error)
            #expect(outcome.stderr.contains("cannot reach the API"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("nothing has answered at \(url) (after \(attempts) attempts)"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("Check --api-url (or POOLCTL_API_URL) and that the API is up."))
        }
    }

    /// Behind `HTTPS_PROXY`, a proxy that does not answer is named, and so
    /// are the variables to check; its password is not shown.
    @Test func aProxyThatDoesNotAnswerIsNamedWithTheVariablesToCheck() async throws {
        let url = try await closedURL()
        let proxyPort = try #require(URLComponents(string: url)?.port)
        try await withFiles(["m.yaml": manifest(["a": "senders: []"])]) { directory in
            let outcome = await poolctl(
                ["plan", directory.path, "--api-url", "https://comms.example.test"],
                environment: [
                    "TWILIO_ACCOUNT_SID": accountSID, "TWILIO_AUTH_TOKEN": authToken,
                    "HTTPS_PROXY": "http://ops:proxy-pass-31@127.0.0.1:\(proxyPort)",
                ],
                retryBackoff: Backoff(initial: .milliseconds(1), cap: .milliseconds(1)))
            #expect(outcome.code == .error)
            #expect(
                outcome.stderr.contains(
                    "nothing has answered at https://comms.example.test through the proxy at 127.0.0.1:\(proxyPort) (HTTPS_PROXY) (after 5 attempts)"
                ),
                "\(outcome.stderr)")
            #expect(outcome.stderr.contains("Check --api-url (or POOLCTL_API_URL), HTTPS_PROXY and NO_PROXY"))
            #expect(!outcome.stderr.contains("proxy-pass-31"))
        }
    }

    /// An API key set without its secret is most likely a typo: the Account
    /// SID pair is used, with a warning naming the half-set variable.
    @Test func aHalfSetKeyPairIsWarnedAboutWhenTheOtherPairIsUsed() async throws {
        let url = try await closedURL()
        try await withFiles(["m.yaml": manifest(["a": "senders: []"])]) { directory in
            let outcome = await poolctl(
                ["plan", directory.path, "--api-url", url],
                environment: [
                    "TWILIO_API_KEY": "SKtypo", "TWILIO_API_SECRET": " ", "TWILIO_ACCOUNT_SID": accountSID, "TWILIO_AUTH_TOKEN": authToken,
                ],
                retryBackoff: Backoff(initial: .milliseconds(1), cap: .milliseconds(1)))
            #expect(
                outcome.stderr.contains(
                    "poolctl: warning: TWILIO_API_KEY is set but TWILIO_API_SECRET is empty or unset; using the Account SID pair"),
                "\(outcome.stderr)")
        }
    }
}

@Suite struct ForbiddenCallTests {
    /// Accepted credentials that may not make the call get their own hint,
    /// not the wrong-credentials one.
    @Test func aForbiddenCallSaysToCheckThePermissions() {
        let context = CommandContext(stdout: Captured().console, stderr: Captured().console, environment: [:])
        let (message, code) = ErrorReport.describe(
            APIError.http(403, "forbidden", method: "GET", path: "/v1/SenderPools"), context: context)
        #expect(code == .error)
        #expect(
            message.hasSuffix("\nThe credentials were accepted but may not make this call: check the API key's permissions, and --api-url.")
        )
        #expect(!message.contains("TWILIO_AUTH_TOKEN"))
    }
}

import Foundation
import PoolctlAPI
import PoolctlModel
import Testing

@testable import PoolctlAPIHTTP

/// What a decision should be, without the details of the error.
enum Expect: Equatable, CustomStringConvertible {
    case retry(Duration)
    case fail(APIError.Kind, status: Int?, attempts: Int)

    init(_ decision: RetryPolicy.Decision) {
        switch decision {
        case .retry(let delay): self = .retry(delay)
        case .fail(let error): self = .fail(error.kind, status: error.status, attempts: error.attempts)
        }
    }

    var description: String {
        switch self {
        case .retry(let delay): "retry(\(delay))"
        case .fail(let kind, let status, let attempts): "fail(\(kind), \(status.map(String.init) ?? "-"), attempts \(attempts))"
        }
    }
}

func response(_ status: Int, retryAfter: Duration? = nil) -> RetryPolicy.Outcome {
    .response(status: status, retryAfter: retryAfter, error: .http(status, "status \(status)", method: "X", path: "/v1/SenderPools"))
}

let notSent = RetryPolicy.Outcome.notSent(
    APIError(kind: .transport, method: "POST", path: "/v1/SenderPools", message: "connection refused"))
let maybeSent = RetryPolicy.Outcome.maybeSent(
    APIError(kind: .transport, method: "POST", path: "/v1/SenderPools", message: "no response within 30 s"))
let fatal = RetryPolicy.Outcome.fatal(APIError(kind: .transport, message: "TLS handshake failed"))

struct PolicyCase: CustomTestStringConvertible, Sendable {
    var name: String
    var method: String
    var maxAttempts = 5
    var deadline: Duration = .seconds(120)
    /// Each failed attempt and the elapsed time when it is reported.
    var steps: [(RetryPolicy.Outcome, elapsed: Duration)]
    var expected: [Expect]
    var testDescription: String { name }
}

// Base 500 ms, cap 10 s, random 0.5: backoff waits are 250 ms, 500 ms, 1 s, 2 s, 4 s, 5 s (cap/2), …
let policyCases: [PolicyCase] = [
    PolicyCase(
        name: "429 with Retry-After is honoured, even for POST", method: "POST",
        steps: [(response(429, retryAfter: .seconds(7)), .seconds(1))], expected: [.retry(.seconds(7))]),
    PolicyCase(
        name: "429 with Retry-After 0 retries at once", method: "GET",
        steps: [(response(429, retryAfter: .zero), .zero)], expected: [.retry(.zero)]),
    PolicyCase(
        name: "429 without Retry-After backs off exponentially with jitter", method: "POST",
        steps: [(response(429), .zero), (response(429), .seconds(1)), (response(429), .seconds(2))],
        expected: [.retry(.milliseconds(250)), .retry(.milliseconds(500)), .retry(.seconds(1))]),
    PolicyCase(
        name: "503 on GET is retried", method: "GET",
        steps: [(response(503), .zero)], expected: [.retry(.milliseconds(250))]),
    PolicyCase(
        name: "503 with Retry-After on GET waits as asked", method: "GET",
        steps: [(response(503, retryAfter: .seconds(3)), .zero)], expected: [.retry(.seconds(3))]),
    PolicyCase(
        name: "500, 502, 504 on GET are retried", method: "GET",
        steps: [(response(500), .zero), (response(502), .zero), (response(504), .zero)],
        expected: [.retry(.milliseconds(250)), .retry(.milliseconds(500)), .retry(.seconds(1))]),
    PolicyCase(
        name: "503 on PATCH and DELETE is retried", method: "PATCH",
        steps: [(response(503), .zero)], expected: [.retry(.milliseconds(250))]),
    PolicyCase(
        name: "503 on POST: outcome unknown, never repeated", method: "POST",
        steps: [(response(503), .zero)], expected: [.fail(.outcomeUnknown, status: 503, attempts: 1)]),
    PolicyCase(
        name: "500 on POST after a 429: outcome unknown at attempt 2", method: "POST",
        steps: [(response(429), .zero), (response(500), .seconds(1))],
        expected: [.retry(.milliseconds(250)), .fail(.outcomeUnknown, status: 500, attempts: 2)]),
    PolicyCase(
        name: "connection refused on POST is retried", method: "POST",
        steps: [(notSent, .zero), (notSent, .zero)], expected: [.retry(.milliseconds(250)), .retry(.milliseconds(500))]),
    PolicyCase(
        name: "timeout or reset on POST: outcome unknown", method: "POST",
        steps: [(maybeSent, .seconds(30))], expected: [.fail(.outcomeUnknown, status: nil, attempts: 1)]),
    PolicyCase(
        name: "timeout on GET is retried", method: "GET",
        steps: [(maybeSent, .seconds(30))], expected: [.retry(.milliseconds(250))]),
    PolicyCase(
        name: "timeout on DELETE is retried", method: "DELETE",
        steps: [(maybeSent, .seconds(30))], expected: [.retry(.milliseconds(250))]),
    PolicyCase(
        name: "4xx is final", method: "GET",
        steps: [(response(400), .zero)], expected: [.fail(.http, status: 400, attempts: 1)]),
    PolicyCase(
        name: "404 is final", method: "DELETE",
        steps: [(response(404), .zero)], expected: [.fail(.http, status: 404, attempts: 1)]),
    PolicyCase(
        name: "409 on POST is a definite answer, not outcome unknown", method: "POST",
        steps: [(response(409), .zero)], expected: [.fail(.http, status: 409, attempts: 1)]),
    PolicyCase(
        name: "501 is not transient", method: "GET",
        steps: [(response(501), .zero)], expected: [.fail(.http, status: 501, attempts: 1)]),
    PolicyCase(
        name: "fatal transport failure is not retried", method: "GET",
        steps: [(fatal, .zero)], expected: [.fail(.transport, status: nil, attempts: 1)]),
    PolicyCase(
        name: "attempts are bounded: the last error, with attempts", method: "GET", maxAttempts: 3,
        steps: [(response(503), .zero), (response(503), .seconds(1)), (response(503), .seconds(2))],
        expected: [.retry(.milliseconds(250)), .retry(.milliseconds(500)), .fail(.http, status: 503, attempts: 3)]),
    PolicyCase(
        name: "attempts bound applies to POST connect failures too", method: "POST", maxAttempts: 2,
        steps: [(notSent, .zero), (notSent, .zero)],
        expected: [.retry(.milliseconds(250)), .fail(.transport, status: nil, attempts: 2)]),
    PolicyCase(
        name: "maxAttempts 1 never retries", method: "GET", maxAttempts: 1,
        steps: [(response(503), .zero)], expected: [.fail(.http, status: 503, attempts: 1)]),
    PolicyCase(
        name: "a wait past the deadline: deadline exceeded", method: "GET", deadline: .seconds(120),
        steps: [(response(503), .milliseconds(119_900))], expected: [.fail(.deadlineExceeded, status: 503, attempts: 1)]),
    PolicyCase(
        name: "Retry-After beyond the deadline: deadline exceeded", method: "POST",
        steps: [(response(429, retryAfter: .seconds(600)), .seconds(1))],
        expected: [.fail(.deadlineExceeded, status: 429, attempts: 1)]),
    PolicyCase(
        name: "deadline after several timeouts", method: "GET", deadline: .seconds(60),
        steps: [(maybeSent, .seconds(30)), (maybeSent, .milliseconds(60_100))],
        expected: [.retry(.milliseconds(250)), .fail(.deadlineExceeded, status: nil, attempts: 2)]),
]

@Suite struct RetryPolicyTests {
    @Test(arguments: policyCases)
    func decisions(_ row: PolicyCase) {
        var policy = RetryPolicy(
            method: row.method, maxAttempts: row.maxAttempts, deadline: row.deadline,
            backoff: Backoff(initial: .milliseconds(500), cap: .seconds(10), jitter: .full), random: { 0.5 })
        let actual = row.steps.map { Expect(policy.decide(for: $0.0, elapsed: $0.elapsed)) }
        #expect(actual == row.expected)
        #expect(policy.attempts == row.steps.count)
    }

    @Test func backoffIsCappedAndJittered() {
        var top = RetryPolicy(
            method: "GET", maxAttempts: 50, deadline: .seconds(10_000),
            backoff: Backoff(initial: .milliseconds(500), cap: .seconds(10), jitter: .full), random: { 0.999_999 })
        var delays: [Duration] = []
        for _ in 0..<40 {
            guard case .retry(let delay) = top.decide(for: response(503), elapsed: .zero) else {
                Issue.record("no retry")
                return
            }
            delays.append(delay)
        }
        #expect(delays.allSatisfy { $0 < .seconds(10) })
        #expect(delays.last! > .milliseconds(9_999))

        var bottom = RetryPolicy(method: "GET", random: { 0 })
        #expect(bottom.decide(for: response(503), elapsed: .zero) == .retry(after: .zero))
        // Out-of-range randomness is clamped rather than trusted.
        var wild = RetryPolicy(method: "GET", backoff: Backoff(initial: .seconds(1), cap: .seconds(10), jitter: .full), random: { 7 })
        #expect(wild.decide(for: response(503), elapsed: .zero) == .retry(after: .seconds(1)))
    }

    /// The policy waits on `Backoff` now; for the same random number its waits
    /// are those of the formula it had before, `min(cap, base × 2ⁿ⁻¹) × random`.
    @Test(arguments: [0, 0.25, 0.5, 0.999_999])
    func backoffKeepsTheFullJitterNumbers(_ unit: Double) {
        for (base, cap) in [
            (Duration.milliseconds(500), Duration.seconds(10)), (.milliseconds(5), .milliseconds(50)), (.seconds(1), .seconds(1)),
        ] {
            var policy = RetryPolicy(
                method: "GET", maxAttempts: 40, deadline: .seconds(100_000), backoff: Backoff(initial: base, cap: cap, jitter: .full),
                random: { unit })
            for attempt in 1...30 {
                let formula = min(cap, base * (1 << (attempt - 1))) * unit
                #expect(policy.decide(for: response(503), elapsed: .zero) == .retry(after: formula), "attempt \(attempt)")
            }
        }
    }

    @Test func outcomeUnknownKeepsTheCallAndTheAPIMessage() {
        var policy = RetryPolicy(method: "post")
        let error = APIError.http(503, "Service Unavailable", method: "POST", path: "/v1/SenderPools", code: 20503)
        guard case .fail(let result) = policy.decide(for: .response(status: 503, retryAfter: nil, error: error), elapsed: .zero) else {
            Issue.record("expected a failure")
            return
        }
        #expect(result.kind == .outcomeUnknown)
        #expect(result.method == "POST" && result.path == "/v1/SenderPools")
        #expect(result.status == 503 && result.code == 20503)
        #expect(result.message.contains("Service Unavailable"))
        #expect(result.message.contains("may have been processed"))
    }

    @Test func deadlineErrorNamesTheLastError() {
        var policy = RetryPolicy(method: "GET", deadline: .seconds(1))
        let error = APIError.http(503, "Service Unavailable", method: "GET", path: "/v1/SenderPools")
        guard case .fail(let result) = policy.decide(for: .response(status: 503, retryAfter: .seconds(5), error: error), elapsed: .zero)
        else {
            Issue.record("expected a failure")
            return
        }
        #expect(result.kind == .deadlineExceeded)
        #expect(
            result.description
                == "GET /v1/SenderPools: deadline exceeded: no success within 1.0 s (next try would wait 5.0 s); last error: HTTP 503: Service Unavailable"
        )
    }
}

@Suite struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 784_111_767)  // Sun, 06 Nov 1994 08:49:27 GMT

    @Test func seconds() {
        #expect(RetryAfter.parse("3", now: now) == .seconds(3))
        #expect(RetryAfter.parse(" 0 ", now: now) == .zero)
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
    }

    @Test func httpDates() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Sun Nov  6 08:49:37 1994", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
        #expect(WireTime.parseHTTPDate("Thu, 01 Jan 1970 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(WireTime.parseHTTPDate("Tue, 29 Feb 2028 23:59:59 GMT") == Date(timeIntervalSince1970: 1_835_481_599))
    }

    @Test(arguments: [nil, "", "soon", "-5", "1.5", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT"])
    func unreadable(_ value: String?) {
        #expect(RetryAfter.parse(value, now: now) == nil)
    }
}

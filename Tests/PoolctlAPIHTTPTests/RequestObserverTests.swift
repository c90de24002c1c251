import Foundation
import PoolctlAPI
import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPIHTTP

/// Collects what the client tells its observer.
final class Observations: Sendable {
    private let state = Mutex<[RequestObservation]>([])
    var all: [RequestObservation] { state.withLock { $0 } }
    var observer: RequestObserver { { observation in self.state.withLock { $0.append(observation) } } }
}

/// The hook behind `apply --log-format ndjson`: one observation per attempt
/// and per retry, with the endpoint template and pool id only.
@Suite struct RequestObserverTests {
    let poolID = "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"
    let senderID = "comms_sender_01h9krwprkeee8fzqspvwy6nq9"

    @Test func everyAttemptAndRetryIsObservedInOrder() async throws {
        let seen = Observations()
        let h = try Harness(
            [
                .respond(429, headers: [(name: "Retry-After", value: "2")], takes: .milliseconds(10)),
                .respond(503, takes: .milliseconds(20)),
                .fail(.maybeSent("no response within 30 s"), takes: .milliseconds(30)),
                .fail(.notSent("connection refused"), takes: .milliseconds(5)),
                .respond(200, body: #"{"resourceId":"x"}"#, takes: .milliseconds(40)),
            ],
            configure: { $0.observer = seen.observer })
        _ = try await h.api.updateSenderPool(id: poolID, UpdateSenderPoolRequest(name: "n", tags: ["a": "b"]))

        let endpoint = Endpoint.updateSenderPool
        func attempt(_ n: Int, _ status: Int?, _ failure: FailureClass?, _ ms: Int64) -> RequestObservation {
            .attempt(AttemptRecord(endpoint: endpoint, poolID: poolID, attempt: n, status: status, failure: failure, durationMS: ms))
        }
        func retry(_ n: Int, _ reason: RetryRecord.Reason, _ status: Int?, _ delay: Int64, _ after: Int64?) -> RequestObservation {
            .retry(
                RetryRecord(
                    endpoint: endpoint, poolID: poolID, attempt: n, reason: reason, status: status, delayMS: delay, retryAfterMS: after))
        }
        // Backoff is 500 ms * 2^(n-1) times the fixed jitter 0.5; a 429 waits its Retry-After.
        #expect(
            seen.all == [
                attempt(1, 429, nil, 10), retry(2, .rateLimited, 429, 2000, 2000),
                attempt(2, 503, nil, 20), retry(3, .serverError, 503, 500, nil),
                attempt(3, nil, .timeout, 30), retry(4, .timeout, nil, 1000, nil),
                attempt(4, nil, .connection, 5), retry(5, .connection, nil, 2000, nil),
                attempt(5, 200, nil, 40),
            ])
        #expect(seen.all.filter { if case .attempt = $0 { true } else { false } }.count == h.counter.total)
    }

    @Test func aPOSTThatMayHaveBeenProcessedIsObservedButNotRetried() async throws {
        let seen = Observations()
        let h = try Harness([.respond(500)], configure: { $0.observer = seen.observer })
        let error = await apiError { _ = try await h.api.addSenders(poolID: poolID, senderIDs: [senderID]) }
        #expect(error?.kind == .outcomeUnknown)
        #expect(
            seen.all == [
                .attempt(AttemptRecord(endpoint: .addSenders, poolID: poolID, attempt: 1, status: 500, failure: nil, durationMS: 12))
            ])
    }

    @Test func observationsCarryNoPathIdsQueriesOrCredentials() async throws {
        let seen = Observations()
        let h = try Harness(
            [
                .respond(503), .respond(204),
                .respond(200, body: #"{"operations":[],"pagination":{"next":null,"self":"x"}}"#),
            ], configure: { $0.observer = seen.observer })
        _ = try await h.api.removeSender(poolID: poolID, senderID: senderID)
        _ = try await h.api.listOperations(OperationQuery(startDate: "2025-01-01T00:00:00Z", pageSize: 1000))
        #expect(seen.all.count == 4)
        let text = seen.all.flatMap(allRenderings).joined(separator: "\n")
        #expect(!leaks(text))
        #expect(!text.contains(senderID), "only the pool id may appear")
        #expect(!text.contains("2025-01-01"), "no query values")
        #expect(text.contains(poolID))
        guard case .attempt(let list) = seen.all.last else {
            Issue.record("no attempt: \(seen.all)")
            return
        }
        #expect(list.endpoint == .listOperations && list.poolID == nil)
    }

    @Test func timeoutsAreToldApartFromConnectionFailures() {
        #expect(TransportFailure.maybeSent("no response within 30 s").failureClass == .timeout)
        #expect(TransportFailure.maybeSent("response stalled for 30 s").failureClass == .timeout)
        #expect(TransportFailure.notSent("could not connect (connect timeout)").failureClass == .timeout)
        #expect(TransportFailure.notSent("TLS handshake timed out").failureClass == .timeout)
        #expect(TransportFailure.notSent("connection refused").failureClass == .connection)
        #expect(TransportFailure.maybeSent("connection reset by the server").failureClass == .connection)
        #expect(TransportFailure.fatal("cannot send").failureClass == .fatal)
        #expect(TransportFailure.invalidResponse("too large").failureClass == .invalidResponse)
        #expect(TransportFailure.cancelled.failureClass == .cancelled)
    }
}

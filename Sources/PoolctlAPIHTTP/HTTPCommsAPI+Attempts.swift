import PoolctlAPI
import PoolctlModel

/// The attempt loop: `perform` sends one logical call until it succeeds or
/// `RetryPolicy` gives up. Each step of an attempt is its own function: the
/// slot and the deadline (`begin`), the exchange and what it tells the
/// scheduler, the server clock, the observer and the log (`exchange`), and
/// the decision and wait (`retryOrThrow`).
extension HTTPCommsAPI {
    /// One call in progress: what stays the same across its attempts, and
    /// what they have learnt so far.
    struct Call {
        let request: APIRequest
        let outgoing: TransportRequest
        let lane: RequestLane
        var policy: RetryPolicy
        /// When the first attempt got its slot: the deadline runs from there,
        /// since waiting behind other calls for the shared rate is not this
        /// call's failure.
        var start: Duration?
        /// The error of the latest failed attempt.
        var lastError: APIError?
        /// Some attempt reached the server, or may have: the call is not `.unreachable`.
        var connected = false

        /// A method that is not safe to repeat: its failures may be `.outcomeUnknown`.
        var isWrite: Bool { !policy.isIdempotent }
        /// The number of the attempt being made, from 1.
        var attempt: Int { policy.attempts + 1 }
    }

    /// What one attempt came to, short of a thrown error.
    enum Exchange {
        case succeeded(TransportResponse)
        case failed(RetryPolicy.Outcome, FailureClass?)
    }

    /// Attempts per call: the configuration's, or fewer when the calling
    /// task caps them (`CallAttempts`).
    var maxAttempts: Int { min(configuration.maxAttempts, CallAttempts.cap ?? .max) }

    /// Sends `request` until it succeeds (2xx) or `RetryPolicy` gives up.
    /// Returns the response and the number of attempts it took.
    func perform(_ request: APIRequest) async throws -> (TransportResponse, Int) {
        // The credentials go with every request: only a path on the base URL's own origin may follow it.
        guard request.target.hasPrefix("/") else {
            throw APIError(
                kind: .invalidResponse, method: request.method, path: "(not sent)",
                message: "a location the API returned does not start with '/', so it could name another host; it was not requested")
        }
        var call = Call(
            request: request,
            outgoing: TransportRequest(
                method: request.method, url: baseURL + request.target, headers: headers(for: request), body: request.body),
            lane: RequestLane.current,
            policy: RetryPolicy(
                method: request.method, maxAttempts: maxAttempts, deadline: configuration.callDeadline,
                backoff: configuration.backoff, random: random))
        while true {
            let remaining = try await begin(&call)
            switch try await exchange(call, timeout: min(configuration.requestTimeout, remaining)) {
            case .succeeded(let response): return (response, call.attempt)
            case .failed(let outcome, let failed): try await retryOrThrow(&call, after: outcome, failed: failed)
            }
        }
    }

    /// Waits for a request slot, then returns what is left of the call's
    /// deadline, or throws when a retry wait has used it all up or the
    /// task's `RetryGuard` refuses a repeat. Counts and logs the attempt
    /// about to be sent.
    private func begin(_ call: inout Call) async throws -> Duration {
        let request = call.request
        do {
            try await scheduler.start(lane: call.lane)
        } catch {
            throw APIError(
                kind: call.isWrite ? .outcomeUnknown : .transport, method: request.method, path: request.path,
                message: "cancelled while waiting for a request slot", attempts: call.policy.attempts)
        }
        if call.lastError != nil, let check = RetryGuard.check {
            do {
                try check()
            } catch {
                scheduler.finished(.answered, lane: call.lane)
                throw error
            }
        }
        let began = call.start ?? clock.now()
        call.start = began
        let remaining = configuration.callDeadline - (clock.now() - began)
        if let lastError = call.lastError, remaining <= .zero {
            scheduler.finished(.answered, lane: call.lane)
            // Only after a retry wait overran the deadline (the policy leaves room for none).
            throw redact(
                APIError(
                    kind: .deadlineExceeded, method: request.method, path: request.path, status: lastError.status,
                    code: lastError.code,
                    message: "no success within \(RetryPolicy.format(configuration.callDeadline)); last error: \(lastError.message)",
                    attempts: call.policy.attempts))
        }
        callCounter.record(request.endpoint)
        logSending(call.outgoing, request)
        return remaining
    }

    /// One attempt on the wire. Tells the scheduler how it ended, records the
    /// server's `Date`, observes and logs it; throws what no retry can help.
    private func exchange(_ call: Call, timeout: Duration) async throws -> Exchange {
        let sent = clock.now()
        let response: TransportResponse
        do throws(TransportFailure) {
            response = try await transport.send(call.outgoing, timeout: timeout)
        } catch let failure {
            scheduler.finished(.answered, lane: call.lane)
            observe(call.request, attempt: call.attempt, status: nil, failure: failure.failureClass, since: sent)
            logFailure(failure, call.request, since: sent)
            return .failed(try outcome(of: failure, call), failure.failureClass)
        }
        // Capped (`--max-retry-after`): a server asking for hours must not wedge a pipeline.
        let retryAfter = RetryAfter.parse(response.header("Retry-After"), now: clock.date).map {
            min($0, configuration.maxRetryAfter)
        }
        scheduler.finished(response.status == 429 ? .rateLimited(retryAfter: retryAfter) : .answered, lane: call.lane)
        contact.recordAnswer()
        serverDate.record(response.header("Date"), arrived: clock.now())
        observe(call.request, attempt: call.attempt, status: response.status, failure: nil, since: sent)
        logResponse(response, call.request, since: sent)
        if (200..<300).contains(response.status) { return .succeeded(response) }
        return .failed(.response(status: response.status, retryAfter: retryAfter, error: httpError(response, call.request)), nil)
    }

    /// A transport failure as `RetryPolicy` sees it; an unreadable answer
    /// and cancellation end the call at once.
    private func outcome(of failure: TransportFailure, _ call: Call) throws -> RetryPolicy.Outcome {
        let request = call.request
        func transportError(_ message: String) -> APIError {
            APIError(kind: .transport, method: request.method, path: request.path, message: message)
        }
        switch failure {
        case .notSent(let message): return .notSent(transportError(message))
        case .maybeSent(let message): return .maybeSent(transportError(message))
        case .fatal(let message): return .fatal(transportError(message))
        case .proxyRefused(let message):
            // The proxy answered: not "nothing has answered", and no retry.
            throw redact(
                APIError(kind: .transport, method: request.method, path: request.path, message: message, attempts: call.attempt))
        case .invalidResponse(let message):
            contact.recordAnswer()
            throw redact(
                APIError(
                    kind: call.isWrite ? .outcomeUnknown : .invalidResponse, method: request.method,
                    path: request.path, message: message, attempts: call.attempt))
        case .cancelled:
            throw APIError(
                kind: call.isWrite ? .outcomeUnknown : .transport, method: request.method, path: request.path,
                message: call.isWrite ? "cancelled while the request was in flight; it may have been processed" : "cancelled",
                attempts: call.attempt)
        }
    }

    /// Asks the policy about a failed attempt: throws its error, or counts,
    /// observes and logs the retry and waits for it.
    private func retryOrThrow(_ call: inout Call, after outcome: RetryPolicy.Outcome, failed: FailureClass?) async throws {
        call.lastError = outcome.error
        switch outcome {
        case .notSent, .fatal: break  // nothing reached the server (a TLS failure, say)
        case .response, .maybeSent: call.connected = true
        }
        let elapsed = clock.now() - (call.start ?? clock.now())
        switch call.policy.decide(for: outcome, elapsed: elapsed) {
        case .fail(let error) where !call.connected && !contact.hasAnswered:
            throw redact(
                APIError(
                    kind: .unreachable, method: error.method, path: error.path,
                    message:
                        "\(error.message); nothing has answered at \(baseURL)\(configuration.proxy.map { " through the proxy at \($0)" } ?? "")",
                    attempts: error.attempts))
        case .fail(let error):
            throw redact(error)
        case .retry(let delay):
            // Asked now too, so that no retry is counted or logged that will not be made.
            try RetryGuard.check?()
            callCounter.recordRetry()
            observeRetry(call.request, outcome: outcome, failed: failed, attempt: call.attempt, delay: delay)
            // A 429 does not count against the attempts: only the call's deadline bounds it.
            let budget =
                if case .response(429, _, _) = outcome {
                    "; 429s are retried until \(RetryPolicy.format(configuration.callDeadline)) have passed"
                } else { " of \(call.policy.maxAttempts)" }
            log("… retrying \(call.request.method) \(call.request.path) in \(RetryPolicy.format(delay)) (attempt \(call.attempt)\(budget))")
            do {
                // A 429's pause is the scheduler's, for every request at once.
                if case .response(429, _, _) = outcome {} else { try await clock.sleep(delay) }
            } catch {
                throw APIError(
                    kind: .transport, method: call.request.method, path: call.request.path,
                    message: "cancelled while waiting to retry", attempts: call.policy.attempts)
            }
        }
    }

    private func headers(for request: APIRequest) -> [(name: String, value: String)] {
        var headers = [
            (name: "Authorization", value: authorization),
            (name: "Accept", value: "application/json"),
            (name: "User-Agent", value: configuration.userAgent),
        ]
        if request.body != nil { headers.append((name: "Content-Type", value: "application/json")) }
        return headers
    }
}

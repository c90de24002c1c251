import PoolctlModel
import Synchronization
import Testing

@testable import PoolctlAPIHTTP
@testable import PoolctlCLI

/// Audit, 7 Dec: a server answering 429 to everything kept `plan` waiting
/// for its whole call deadline without a word.
@Suite struct RateLimitNoticeTests {
    private func retry(_ delayMS: Int64 = 1000) -> RequestObservation {
        .retry(
            RetryRecord(
                endpoint: .listSenderPools, poolID: nil, attempt: 2, reason: .rateLimited, status: 429, delayMS: delayMS,
                retryAfterMS: delayMS))
    }

    private func answered(_ status: Int) -> RequestObservation {
        .attempt(AttemptRecord(endpoint: .listSenderPools, poolID: nil, attempt: 1, status: status, failure: nil, durationMS: 5))
    }

    @Test func aRunOf429sIsToldAfter10sThenEvery30s() {
        let clock = ManualClock()
        let lines = Mutex<[String]>([])
        let notice = RateLimitNotice(
            deadline: .seconds(900), now: { clock.now }, write: { line in lines.withLock { $0.append(line) } })
        for _ in 0..<70 {
            notice.observe(answered(429))
            notice.observe(retry())
            clock.advance(seconds: 1)
        }
        let said = lines.withLock { $0 }
        // At 10 s, 40 s and 70 s... the last retry is at 69 s: two lines.
        #expect(said.count == 2, "\(said)")
        #expect(
            said.first
                == "poolctl: the API has answered 429 (rate limited) for 10s (11 retries so far, latest on GET /v1/SenderPools); each call keeps waiting as Retry-After asks, up to --max-retry-after a time, for at most 15m in all\n"
        )
    }

    @Test func anotherAnswerEndsTheRunAndOther429sSayNothing() {
        let clock = ManualClock()
        let lines = Mutex<[String]>([])
        let notice = RateLimitNotice(deadline: .seconds(120), now: { clock.now }, write: { line in lines.withLock { $0.append(line) } })
        for second in 0..<60 {
            notice.observe(answered(second % 9 == 8 ? 200 : 429))
            notice.observe(retry())
            clock.advance(seconds: 1)
        }
        #expect(lines.withLock { $0 }.isEmpty)
    }
}

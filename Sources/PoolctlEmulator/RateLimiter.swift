/// A token bucket: `rate` requests per second, with bursts of up to
/// `max(1, rate)`. Times are milliseconds.
struct RateLimiter: Sendable {
    let rate: Double
    private var tokens: Double
    private var lastRefill: Int64?

    init(rate: Double) {
        self.rate = rate
        self.tokens = max(1, rate)
    }

    /// Takes a token at `now`: nil when there was one, else the whole
    /// seconds to wait (at least 1).
    mutating func take(at now: Int64) -> Int? {
        if let last = lastRefill, now > last {
            tokens = min(max(1, rate), tokens + Double(now - last) / 1000 * rate)
        }
        if lastRefill.map({ now > $0 }) ?? true { lastRefill = now }
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return max(1, Int(((1 - tokens) / rate).rounded(.up)))
    }
}

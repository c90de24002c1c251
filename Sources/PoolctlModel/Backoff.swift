/// Capped exponential backoff, written once for every loop that waits: the
/// HTTP retry, operation polling and watching, the lease, the conflict retry
/// and the settle loop. Wait `n` (from 0) is `min(cap, initial × 2ⁿ)`, then
/// spread by `jitter` so that contenders do not retry in step.
public struct Backoff: Sendable, Hashable {
    public enum Jitter: Sendable, Hashable {
        /// The wait as scheduled.
        case none
        /// `0 ..< wait` ("full jitter", AWS): best spread for independent clients.
        case full
        /// `wait/2 ..< 3·wait/2`: spread, yet never much shorter than scheduled.
        case around
    }

    public var initial: Duration
    public var cap: Duration
    public var jitter: Jitter

    public init(initial: Duration, cap: Duration, jitter: Jitter = .none) {
        self.initial = initial
        self.cap = cap
        self.jitter = jitter
    }

    /// The scheduled wait before retry `n` (0-based), before jitter.
    public func ceiling(forRetry n: Int) -> Duration {
        var wait = min(initial, cap)
        for _ in 0..<max(0, min(n, 62)) where wait < cap {
            wait = min(wait * 2, cap)
        }
        return wait
    }

    /// The wait before retry `n`, with `random` in `0 ..< 1` spreading it.
    public func delay(forRetry n: Int, random: Double = 0) -> Duration {
        spread(ceiling(forRetry: n), random: random)
    }

    /// A fresh schedule of waits, for loops that keep their own count.
    public func waits() -> Waits { Waits(backoff: self) }

    func spread(_ wait: Duration, random: Double) -> Duration {
        let unit = min(max(random, 0), 1)
        switch jitter {
        case .none: return wait
        case .full: return wait * unit
        case .around: return wait * (0.5 + unit)
        }
    }

    /// The waits of one loop, in order: `next()` returns the current wait and
    /// doubles the next one up to the cap.
    public struct Waits: Sendable, Hashable {
        public let backoff: Backoff
        /// The scheduled (unjittered) wait that `next()` returns next.
        public private(set) var scheduled: Duration

        init(backoff: Backoff) {
            self.backoff = backoff
            self.scheduled = min(backoff.initial, backoff.cap)
        }

        public mutating func next(random: Double = 0) -> Duration {
            let wait = backoff.spread(scheduled, random: random)
            scheduled = min(scheduled * 2, backoff.cap)
            return wait
        }
    }
}

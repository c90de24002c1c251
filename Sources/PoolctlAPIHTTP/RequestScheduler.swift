import DequeModule
import PoolctlAPI
import PoolctlModel
import Synchronization

/// One request scheduler for a whole run: every attempt of every call waits
/// here for a slot (at most `maxInFlight` requests at once) and a token of a
/// shared rate that adapts to the server.
///
/// Under a rate limit the number of calls is the wall time, and a 429 costs a
/// round trip and a pause, so the scheduler prevents them rather than
/// retrying them: on a 429 it halves the rate and pauses *every* request for
/// the `Retry-After`; it then climbs back quickly to just under the rate that
/// drew the 429, and probes above it slowly. `maxRPS` caps the rate up front.
///
/// Until the first 429 (without a cap), it starts slow the way TCP does: a
/// window of `startWindow` requests in flight that grows by one per answer,
/// so it doubles every round trip, up to `maxInFlight`. A burst into an
/// unknown limit stays small, and a server that answers fast is at full
/// width within a few round trips. (A rate that started at 10/s and grew
/// 10% per answer took about 1.05 s to open on any server, sequential
/// requests included: a third of a 5,000-pool plan's wall time, issue 20.)
///
/// Requests in the `.lease` lane (`RequestLane.current`) skip the queue: they
/// take a slot beyond `maxInFlight` rather than wait for one, and borrow the
/// next token (the bucket goes negative, so the queued requests pay it back
/// and the rate holds). A `Retry-After` pause holds them too.
public final class RequestScheduler: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Requests in flight at once (`--parallelism`).
        public var maxInFlight: Int
        /// A cap on the rate (`--max-rps`); nil for none until a 429 sets one.
        public var maxRPS: Double?
        /// The rate never drops below this.
        public var minRPS: Double = 0.5
        /// Without a cap, requests in flight start at this many and grow by
        /// one per answer until the first 429 ("slow start"): a burst of
        /// `maxInFlight` requests into an unknown limit would draw a burst
        /// of 429s.
        public var startWindow: Int = 2

        public init(maxInFlight: Int = 16, maxRPS: Double? = nil) {
            self.maxInFlight = max(1, maxInFlight)
            self.maxRPS = maxRPS
        }
    }

    private struct State {
        /// Requests per second now; nil while nothing limits the rate.
        var rate: Double?
        /// Growing fast until the first 429.
        var slowStart: Bool
        /// Requests in flight at most during slow start.
        var window: Int
        var firstAnswer: Duration?
        /// The rate that last drew a 429: recovery aims just under it.
        var ceiling: Double?
        var tokens = 1.0
        var refilled: Duration?
        /// No request starts before this (a `Retry-After`).
        var pausedUntil: Duration = .zero
        var inFlight = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        /// When the last second's requests were answered (not with a 429):
        /// the rate the server actually granted, the ceiling a 429 reveals.
        /// Oldest first, so expiry drops from the front: a scan of the whole
        /// window on every answer was 5% of a 10,000-request plan's CPU.
        var answered: Deque<Duration> = []
        /// Start times of the last second's requests, when nothing is known yet.
        var recent: Deque<Duration> = []
        var rateLimited = 0
    }

    public let settings: Settings
    private let clock: PoolctlClock
    private let state: Mutex<State>

    public init(settings: Settings = Settings(), clock: PoolctlClock = .system) {
        self.settings = settings
        self.clock = clock
        let slowStart = settings.maxRPS == nil
        state = Mutex(
            State(
                rate: settings.maxRPS, slowStart: slowStart,
                window: slowStart ? min(settings.maxInFlight, max(1, settings.startWindow)) : settings.maxInFlight))
    }

    /// The current rate limit, nil for none.
    public var rate: Double? { state.withLock { $0.rate } }
    /// How many 429s it has seen.
    public var rateLimitedCount: Int { state.withLock { $0.rateLimited } }
    /// Normal-lane requests allowed in flight now.
    var inFlightLimit: Int { state.withLock { limit($0) } }
    /// Requests waiting for a slot.
    var waitingCount: Int { state.withLock { $0.waiting.count } }
    /// The rate the last 429 showed the server grants.
    var ceiling: Double? { state.withLock { $0.ceiling } }

    private func limit(_ state: State) -> Int {
        state.slowStart ? state.window : settings.maxInFlight
    }

    /// Waits for a slot and a token; call `finished(_:lane:)` with the same
    /// lane once the attempt is over.
    public func start(lane: RequestLane = .normal) async throws {
        if lane == .lease {
            state.withLock { $0.inFlight += 1 }
        } else {
            await takeSlot()
        }
        do {
            while true {
                let wait: Duration? = state.withLock { state in
                    let now = clock.now()
                    if state.pausedUntil > now { return state.pausedUntil - now }
                    guard let rate = state.rate else {
                        state.recent.append(now)
                        return nil
                    }
                    if let last = state.refilled {
                        state.tokens = min(1, state.tokens + (now - last).inSeconds * rate)
                    }
                    state.refilled = now
                    // The lease borrows a token down to -1: at most one request ahead of the rate.
                    let needed: Double = lane == .lease ? 0 : 1
                    if state.tokens >= needed {
                        state.tokens -= 1
                        state.recent.append(now)
                        return nil
                    }
                    return .milliseconds(Int64(((needed - state.tokens) / rate * 1000).rounded(.up)))
                }
                guard let wait else { return }
                try await clock.sleep(wait)
            }
        } catch {
            releaseSlot()
            throw error
        }
    }

    public enum Outcome: Sendable {
        case answered
        /// A 429, with the server's `Retry-After` if it sent one.
        case rateLimited(retryAfter: Duration?)
    }

    /// Ends an attempt: frees its slot and adapts the rate.
    public func finished(_ outcome: Outcome, lane: RequestLane = .normal) {
        state.withLock { state in
            let now = clock.now()
            while let oldest = state.recent.first, now - oldest > .seconds(1) { state.recent.removeFirst() }
            while let oldest = state.answered.first, now - oldest > .seconds(1) { state.answered.removeFirst() }
            switch outcome {
            case .answered:
                state.answered.append(now)
                if state.firstAnswer == nil { state.firstAnswer = now }
                if state.slowStart {
                    state.window = min(settings.maxInFlight, state.window + 1)
                    return
                }
                guard var rate = state.rate else { return }
                if let ceiling = state.ceiling, rate < ceiling * 0.95 {
                    // Back quickly to just under what the server granted...
                    rate += (ceiling * 0.95 - rate) * 0.1
                } else {
                    // ...and above it only slowly: about +0.05 requests/s each second.
                    rate += 0.05 / max(rate, 1)
                }
                state.rate = min(rate, settings.maxRPS ?? .infinity)
            case .rateLimited(let retryAfter):
                state.rateLimited += 1
                // Several requests in flight see the same 429 window: halve once per pause.
                if state.pausedUntil <= now {
                    state.slowStart = false
                    let current = state.rate ?? Double(max(state.recent.count, 1))
                    // What the server granted over the last second, since the first
                    // answer and since the last pause ended. Time the client spent
                    // paused or not yet sending granted nothing: counting it set the
                    // ceiling below the real limit, where recovery only creeps
                    // (+0.05/s a second). An estimate above the limit costs one more
                    // 429 and is then measured again.
                    var ceiling = current
                    if let first = state.firstAnswer {
                        let since = max(first, state.pausedUntil, now - .seconds(1))
                        // `answered` holds the last second (trimmed above).
                        let granted = state.answered.reversed().prefix { $0 >= since }.count
                        if granted > 0 {
                            let window = max(0.1, (now - since).inSeconds)
                            ceiling = min(current, Double(granted) / window)
                        }
                    }
                    state.ceiling = max(settings.minRPS, ceiling)
                    state.rate = max(settings.minRPS, min(current / 2, ceiling))
                    state.tokens = 0
                    state.refilled = now
                }
                state.pausedUntil = max(state.pausedUntil, now + (retryAfter ?? .seconds(1)))
            }
        }
        releaseSlot()
    }

    private func takeSlot() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if state.inFlight < limit(state) {
                    state.inFlight += 1
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    /// Frees a slot and starts as many waiters as the limit now allows: the
    /// freed slot's, and one more when slow start has just widened. (A lease
    /// request's slot was beyond the limit, so it starts none unless the
    /// normal lane is below it.)
    private func releaseSlot() {
        let next = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.inFlight -= 1
            var next: [CheckedContinuation<Void, Never>] = []
            while !state.waiting.isEmpty && state.inFlight < limit(state) {
                state.inFlight += 1
                next.append(state.waiting.removeFirst())
            }
            return next
        }
        for continuation in next { continuation.resume() }
    }
}

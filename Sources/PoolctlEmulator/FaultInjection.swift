import PoolctlModel
import Synchronization

/// The faults the options ask for, reproducible from `randomSeed`: a rate
/// limit (429 with `Retry-After`), random 500/503s, connections reset after
/// a write, and a fixed latency.
final class FaultInjector: Sendable {
    /// An answer instead of the request's.
    struct Fault {
        var status: Int
        var message: String
        var retryAfter: Int?
    }

    private struct Dice {
        var rng: SplitMix64
        var limiter: RateLimiter?
    }

    private let configuration: EmulatorConfiguration
    private let clock: PoolctlClock
    private let dice: Mutex<Dice>

    init(configuration: EmulatorConfiguration, clock: PoolctlClock) {
        self.configuration = configuration
        self.clock = clock
        self.dice = Mutex(Self.initialDice(configuration))
    }

    private static func initialDice(_ configuration: EmulatorConfiguration) -> Dice {
        Dice(
            rng: SplitMix64(seed: configuration.randomSeed &+ 0xFA07_FA07_0000_0001), limiter: configuration.rateLimit.map(RateLimiter.init)
        )
    }

    func reset() {
        dice.withLock { $0 = Self.initialDice(configuration) }
    }

    /// A 429, 500 or 503 to answer with, or nil to go on.
    func fault() -> Fault? {
        let rate = configuration.rateLimit
        let errorRate = configuration.errorRate
        guard rate != nil || errorRate > 0 else { return nil }
        let now = rate == nil ? 0 : clock.milliseconds()
        return dice.withLock { dice in
            if let wait = dice.limiter?.take(at: now) {
                return Fault(
                    status: 429, message: "rate limit of \(Self.format(rate ?? 0)) requests per second exceeded (fault injection)",
                    retryAfter: wait)
            }
            guard dice.rng.chance(errorRate) else { return nil }
            return dice.rng.chance(0.5)
                ? Fault(status: 500, message: "internal error (fault injection)")
                : Fault(status: 503, message: "service unavailable (fault injection)")
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Whether to drop the connection after a write took effect.
    func shouldReset() -> Bool {
        let p = configuration.resetAfterWriteRate
        guard p > 0 else { return false }
        return dice.withLock { $0.rng.chance(p) }
    }

    /// The configured latency, before every `/v1` answer.
    func delay() async {
        let latency = configuration.latencyMS
        if latency > 0 { try? await Task.sleep(for: .milliseconds(latency)) }
    }
}

/// Identifier formats of the Comms API and the emulator's deterministic
/// generators (ids and fault dice).

import PoolctlModel

/// The three kinds of id the SenderPools family uses.
public enum EmulatorIDKind: String, Sendable, CaseIterable {
    case senderPool = "comms_senderpool_"
    case sender = "comms_sender_"
    case operation = "comms_operation_"

    public var prefix: String { rawValue }

    /// `^prefix[0-7][a-hjkmnpqrstv-z0-9]{25,34}$`.
    public func matches(_ id: String) -> Bool { APIFormat.isID(id, prefix: rawValue) }

    public var noun: String {
        switch self {
        case .senderPool: return "SenderPool"
        case .sender: return "Sender"
        case .operation: return "Operation"
        }
    }
}

enum IDFormat {
    /// Lowercase Crockford base32 (no i, l, o, u), in ASCII order.
    static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
}

/// SplitMix64: small, fast and reproducible from a seed.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1).
    mutating func nextUnit() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// True with probability `p` (never for p <= 0, always for p >= 1).
    mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return nextUnit() < p
    }
}

/// Monotonic lowercase ULIDs: 48 bits of milliseconds, 80 random bits drawn
/// from a seeded generator; within one millisecond (or if the clock goes
/// back) the previous value is incremented, so ids always grow.
struct ULIDGenerator: Sendable {
    var rng: SplitMix64
    var lastMS: UInt64 = 0
    var randomHigh: UInt64 = 0  // 16 bits used
    var randomLow: UInt64 = 0
    var started = false

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func next(milliseconds: Int64) -> String {
        let ms = UInt64(max(0, min(milliseconds, (1 << 48) - 1)))
        if !started || ms > lastMS {
            started = true
            lastMS = ms
            randomHigh = rng.next() & 0x7FFF  // leave headroom for increments
            randomLow = rng.next()
        } else {
            let (low, overflow) = randomLow.addingReportingOverflow(1)
            randomLow = low
            if overflow { randomHigh = (randomHigh + 1) & 0xFFFF }
        }
        return Self.encode(time: lastMS, high: randomHigh, low: randomLow)
    }

    /// 128 bits (time << 80 | high << 64 | low) as 26 base32 characters.
    static func encode(time: UInt64, high: UInt64, low: UInt64) -> String {
        // Work on three words: bits 127..64 (hi64) and 63..0 (low).
        let hi64 = (time << 16) | (high & 0xFFFF)
        var out = [UInt8](repeating: 0, count: 26)
        // Character i (0-based) covers bits [127 - 5*i + 2 ... ] of a 130-bit
        // number with two leading zero bits.
        for i in 0..<26 {
            let shift = 125 - 5 * i  // position of the character's lowest bit
            var value: UInt64
            if shift >= 64 {
                value = hi64 >> UInt64(shift - 64)
            } else if shift + 5 <= 64 {
                value = low >> UInt64(shift)
            } else {
                // straddles the two words
                let lowBits = 64 - shift
                value = (low >> UInt64(shift)) | (hi64 << UInt64(lowBits))
            }
            out[i] = IDFormat.alphabet[Int(value & 0x1F)]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

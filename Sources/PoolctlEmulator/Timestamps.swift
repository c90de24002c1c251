/// Timestamps: the emulator renders `YYYY-MM-DDThh:mm:ssZ` (whole seconds,
/// UTC), or under `timestamps=fractional` `YYYY-MM-DDThh:mm:ss.ffffff+00:00`,
/// and accepts any RFC 3339 date-time in query filters. Internally a record's
/// time is microseconds since the epoch (`micros`): whole seconds times
/// 1,000,000 by default, so comparisons are exact in both renderings.
enum Timestamp {
    static let microsPerSecond: Int64 = 1_000_000

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `YYYY-MM-DDThh:mm:ssZ` for seconds since the epoch.
    static func format(seconds: Int64) -> String {
        let days = floorDiv(seconds, 86_400)
        let secs = seconds - days * 86_400
        let (y, m, d) = civil(days: days)
        var bytes = [UInt8](repeating: 0, count: 20)
        func put2(_ value: Int64, at i: Int) {
            bytes[i] = UInt8(48 + value / 10)
            bytes[i + 1] = UInt8(48 + value % 10)
        }
        let year = max(0, min(9999, y))
        bytes[0] = UInt8(48 + year / 1000)
        bytes[1] = UInt8(48 + (year / 100) % 10)
        bytes[2] = UInt8(48 + (year / 10) % 10)
        bytes[3] = UInt8(48 + year % 10)
        bytes[4] = UInt8(ascii: "-")
        put2(m, at: 5)
        bytes[7] = UInt8(ascii: "-")
        put2(d, at: 8)
        bytes[10] = UInt8(ascii: "T")
        put2(secs / 3600, at: 11)
        bytes[13] = UInt8(ascii: ":")
        put2((secs / 60) % 60, at: 14)
        bytes[16] = UInt8(ascii: ":")
        put2(secs % 60, at: 17)
        bytes[19] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDThh:mm:ss.ffffffZ`-style, but with `+00:00`:
    /// `2026-12-04T16:41:02.123456+00:00`.
    static func formatFractional(micros: Int64) -> String {
        let seconds = floorDiv(micros, microsPerSecond)
        let fraction = micros - seconds * microsPerSecond
        var text = format(seconds: seconds)
        text.removeLast()  // the Z
        var digits = [UInt8](repeating: 48, count: 6)
        var rest = fraction
        for i in stride(from: 5, through: 0, by: -1) {
            digits[i] = UInt8(48 + rest % 10)
            rest /= 10
        }
        return text + "." + String(decoding: digits, as: UTF8.self) + "+00:00"
    }

    /// `YYYY-MM-DDThh:mm:ss.mmmZ` for milliseconds since the epoch (the
    /// admin write log).
    static func formatMillis(_ ms: Int64) -> String {
        let seconds = floorDiv(ms, 1000)
        let fraction = ms - seconds * 1000
        var text = format(seconds: seconds)
        text.removeLast()
        let digits = String(fraction)
        return text + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        default:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        }
    }

    /// An instant parsed from RFC 3339: whole seconds, the first six digits
    /// of the fraction as microseconds, and whether any digit after those is
    /// non-zero (enough to compare exactly with microsecond timestamps).
    struct Instant: Hashable, Sendable {
        var seconds: Int64
        var hasFraction: Bool
        /// The fraction's first six digits, in microseconds.
        var micros: Int64 = 0
        /// A non-zero digit after the sixth.
        var beyondMicros = false

        /// The smallest whole second at or after this instant.
        var ceilingSeconds: Int64 { hasFraction ? seconds + 1 : seconds }

        /// The smallest whole microsecond at or after this instant.
        var ceilingMicros: Int64 { seconds * Timestamp.microsPerSecond + micros + (beyondMicros ? 1 : 0) }
    }

    /// Any RFC 3339 `date-time`: `T`/`t` (or a space is NOT accepted),
    /// fractional seconds, `Z`/`z` or `±hh:mm`.
    static func parseRFC3339(_ text: String) -> Instant? {
        var text = text
        return text.withUTF8 { bytes -> Instant? in
            var scan = Scanner(bytes: bytes)
            guard let year = scan.digits(4), scan.expect(45), let month = scan.digits(2), scan.expect(45), let day = scan.digits(2),
                scan.expect(84, 116), let hour = scan.digits(2), scan.expect(58), let minute = scan.digits(2), scan.expect(58),
                let second = scan.digits(2)
            else { return nil }
            guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
                hour <= 23, minute <= 59, second <= 60
            else { return nil }
            var instant = Instant(seconds: 0, hasFraction: false)
            if scan.expect(46) {  // '.'
                guard scan.fraction(into: &instant) else { return nil }
            }
            guard let offset = scan.offset(), scan.atEnd else { return nil }
            instant.seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
            return instant
        }
    }

    /// A cursor over the bytes of a date-time, for `parseRFC3339`.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        var atEnd: Bool { i == bytes.count }

        /// Exactly `n` ASCII digits, as a number.
        mutating func digits(_ n: Int) -> Int64? {
            guard i + n <= bytes.count else { return nil }
            var value: Int64 = 0
            for k in 0..<n {
                let c = bytes[i + k]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int64(c - 48)
            }
            i += n
            return value
        }

        /// One of `chars`, skipped over.
        mutating func expect(_ chars: UInt8...) -> Bool {
            guard i < bytes.count, chars.contains(bytes[i]) else { return false }
            i += 1
            return true
        }

        /// The digits after the `.`: the first six as microseconds, and
        /// whether any digit (any after the sixth) is non-zero. False when
        /// there is no digit.
        mutating func fraction(into instant: inout Instant) -> Bool {
            let start = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                if bytes[i] != 48 {
                    instant.hasFraction = true
                    if i - start >= 6 { instant.beyondMicros = true }
                }
                if i - start < 6 { instant.micros = instant.micros * 10 + Int64(bytes[i] - 48) }
                i += 1
            }
            guard i > start else { return false }
            for _ in min(6, i - start)..<6 { instant.micros *= 10 }
            return true
        }

        /// `Z`/`z` (0) or `±hh:mm`, in seconds east of UTC.
        mutating func offset() -> Int64? {
            if expect(90, 122) { return 0 }  // Z z
            guard i < bytes.count, bytes[i] == 43 || bytes[i] == 45 else { return nil }  // + -
            let sign: Int64 = bytes[i] == 45 ? -1 : 1
            i += 1
            guard let hours = digits(2), expect(58), let minutes = digits(2), hours <= 23, minutes <= 59 else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }
    }

    /// Exactly `YYYY-MM-DDThh:mm:ssZ`, as the emulator renders it.
    static func parseCanonical(_ text: String) -> Int64? {
        guard text.utf8.count == 20, let instant = parseRFC3339(text), !instant.hasFraction,
            format(seconds: instant.seconds) == text
        else { return nil }
        return instant.seconds
    }

    /// Exactly `YYYY-MM-DDThh:mm:ss.ffffff+00:00`, as `formatFractional`
    /// renders it, in microseconds.
    static func parseCanonicalFractional(_ text: String) -> Int64? {
        guard text.utf8.count == 32, let instant = parseRFC3339(text), !instant.beyondMicros else { return nil }
        let micros = instant.ceilingMicros
        return formatFractional(micros: micros) == text ? micros : nil
    }
}

/// How the `/v1` responses render times (`--behavior timestamps=…`), and the
/// microsecond time a record keeps for an event at a millisecond.
enum TimestampStyle: Sendable, Hashable {
    case whole, fractional

    /// The record time of an event at `ms`: its whole second (in
    /// microseconds), or the millisecond itself under `fractional`.
    func micros(atMS ms: Int64) -> Int64 {
        switch self {
        case .whole: return Timestamp.floorDiv(ms, 1000) * Timestamp.microsPerSecond
        case .fractional: return ms * 1000
        }
    }

    func render(micros: Int64) -> String {
        switch self {
        case .whole: return Timestamp.format(seconds: Timestamp.floorDiv(micros, Timestamp.microsPerSecond))
        case .fractional: return Timestamp.formatFractional(micros: micros)
        }
    }

    /// A time this style renders, back to microseconds; nil for any other text.
    func parse(_ text: String) -> Int64? {
        switch self {
        case .whole: return Timestamp.parseCanonical(text).map { $0 * Timestamp.microsPerSecond }
        case .fractional: return Timestamp.parseCanonicalFractional(text)
        }
    }
}

/// Timestamps: the emulator renders `YYYY-MM-DDThh:mm:ssZ` (whole seconds,
/// UTC) and accepts any RFC 3339 date-time in query filters.
enum Timestamp {
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

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        default:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        }
    }

    /// An instant parsed from RFC 3339: whole seconds, and whether a non-zero
    /// fraction followed (enough to compare with whole-second timestamps).
    struct Instant: Hashable, Sendable {
        var seconds: Int64
        var hasFraction: Bool

        /// The smallest whole second at or after this instant.
        var ceilingSeconds: Int64 { hasFraction ? seconds + 1 : seconds }
    }

    /// Any RFC 3339 `date-time`: `T`/`t` (or a space is NOT accepted),
    /// fractional seconds, `Z`/`z` or `±hh:mm`.
    static func parseRFC3339(_ text: String) -> Instant? {
        var text = text
        return text.withUTF8 { b -> Instant? in
            var i = 0
            func digits(_ n: Int) -> Int64? {
                guard i + n <= b.count else { return nil }
                var value: Int64 = 0
                for k in 0..<n {
                    let c = b[i + k]
                    guard c >= 48, c <= 57 else { return nil }
                    value = value * 10 + Int64(c - 48)
                }
                i += n
                return value
            }
            func expect(_ chars: UInt8...) -> Bool {
                guard i < b.count, chars.contains(b[i]) else { return false }
                i += 1
                return true
            }
            guard let year = digits(4), expect(45), let month = digits(2), expect(45), let day = digits(2),
                expect(84, 116), let hour = digits(2), expect(58), let minute = digits(2), expect(58),
                let second = digits(2)
            else { return nil }
            guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
                hour <= 23, minute <= 59, second <= 60
            else { return nil }
            var hasFraction = false
            if i < b.count, b[i] == 46 {  // '.'
                i += 1
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if b[i] != 48 { hasFraction = true }
                    i += 1
                }
                guard i > start else { return nil }
            }
            var offset: Int64 = 0
            guard i < b.count else { return nil }
            switch b[i] {
            case 90, 122:  // Z z
                i += 1
            case 43, 45:  // + -
                let sign: Int64 = b[i] == 45 ? -1 : 1
                i += 1
                guard let oh = digits(2), expect(58), let om = digits(2), oh <= 23, om <= 59 else { return nil }
                offset = sign * (oh * 3600 + om * 60)
            default:
                return nil
            }
            guard i == b.count else { return nil }
            let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
            return Instant(seconds: seconds, hasFraction: hasFraction)
        }
    }

    /// Exactly `YYYY-MM-DDThh:mm:ssZ`, as the emulator renders it.
    static func parseCanonical(_ text: String) -> Int64? {
        guard text.utf8.count == 20, let instant = parseRFC3339(text), !instant.hasFraction,
            format(seconds: instant.seconds) == text
        else { return nil }
        return instant.seconds
    }
}

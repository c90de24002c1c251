import Foundation
import PoolctlModel
import Testing

/// `WireTime`, the client's one home for RFC 3339 and HTTP-date: fixed
/// cases, then a seeded property run (no sleeps, the same numbers every
/// time) that formats random dates across years 1 to 9999 in every form and
/// reads them back, and feeds mangled text that must come back nil or as a
/// date, never a crash.
@Suite struct WireTimeTests {
    /// SplitMix64: deterministic, so a failure names a reproducible case.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    static let firstSecond: Int64 = -62_135_596_800
    static let lastSecond: Int64 = 253_402_300_799

    @Test func fixedRFC3339() throws {
        let date = try #require(WireTime.parseRFC3339("2024-01-15T09:30:00Z"))
        #expect(date == Date(timeIntervalSince1970: 1_705_311_000))
        #expect(WireTime.parseRFC3339("2024-01-15T10:30:00+01:00") == date)
        #expect(WireTime.parseRFC3339("2024-01-15T09:30:00.000Z") == date)
        #expect(WireTime.parseRFC3339("2024-01-15T09:30:00.250Z") == date.addingTimeInterval(0.25))
        #expect(WireTime.formatRFC3339(date) == "2024-01-15T09:30:00Z")
        #expect(WireTime.formatRFC3339(date.addingTimeInterval(0.999)) == "2024-01-15T09:30:00Z")
        #expect(WireTime.formatRFC3339Milliseconds(date.addingTimeInterval(0.0429)) == "2024-01-15T09:30:00.042Z")
        #expect(WireTime.formatRFC3339Milliseconds(Date(timeIntervalSince1970: 951_782_400.005)) == "2000-02-29T00:00:00.005Z")
        #expect(WireTime.formatRFC3339Milliseconds(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test func fixedHTTPDates() {
        let date = Date(timeIntervalSince1970: 784_111_777)
        #expect(WireTime.formatHTTPDate(date) == "Sun, 06 Nov 1994 08:49:37 GMT")
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
            " Sun, 06 Nov 1994 08:49:37 GMT ",
        ] {
            #expect(WireTime.parseHTTPDate(form) == date, "\(form)")
        }
        // RFC 850's two-digit years: 69 is 2069, 70 is 1970.
        #expect(WireTime.parseHTTPDate("Thursday, 01-Jan-70 00:00:00 GMT") == Date(timeIntervalSince1970: 0))
        #expect(WireTime.parseHTTPDate("Tuesday, 31-Dec-69 23:59:59 GMT") == Date(timeIntervalSince1970: 3_155_759_999))
        #expect(WireTime.parseHTTPDate("Tue, 29 Feb 2028 23:59:59 GMT") == Date(timeIntervalSince1970: 1_835_481_599))
    }

    @Test(arguments: [
        "", " ", "yesterday", "2024-01-15", "2024-01-15 09:30:00", "2024-01-15T09:30:00", "2024-01-15T09:30Z",
        "2024-01-15T09:30:00Zjunk", "x2024-01-15T09:30:00Z", "2024-13-15T09:30:00Z", "2024-00-15T09:30:00Z",
        "2024-01-00T09:30:00Z", "2024-01-15T09:30:00.Z", "2024-01-15T09:30:00,5Z", "2024-01-15t09:30:00z",
        "Sun, 06 Nov 1994 08:49:37 GMT",
    ])
    func malformedRFC3339IsNil(_ text: String) {
        #expect(WireTime.parseRFC3339(text) == nil)
    }

    @Test(arguments: [
        "", " ", "yesterday", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTx",
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 +0000", "Sun 06 Nov 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 November 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:60:37 GMT", "Sunday, 06-Nov-94",
        "Sun Nov  6 08:49:37", "Sun Foo  6 08:49:37 1994", "2024-01-15T09:30:00Z", "3",
    ])
    func malformedHTTPDatesAreNil(_ text: String) {
        #expect(WireTime.parseHTTPDate(text) == nil)
    }

    /// Every form of a random second, read back to the same second; the
    /// milliseconds form to the same millisecond. The RFC 850 and asctime
    /// texts are built here from the IMF-fixdate one, and the IMF-fixdate
    /// and RFC 3339 texts must name the same calendar date and time.
    @Test func randomDatesRoundTripInEveryForm() throws {
        var random = Seeded(state: 22)
        for _ in 0..<3000 {
            let second = Int64.random(in: Self.firstSecond...Self.lastSecond, using: &random)
            let date = Date(timeIntervalSince1970: TimeInterval(second))
            let rfc3339 = WireTime.formatRFC3339(date)
            #expect(WireTime.parseRFC3339(rfc3339) == date, "\(rfc3339)")

            let millisecond = second * 1000 + Int64.random(in: 0..<1000, using: &random)
            // The middle of the millisecond: its start is not exact in binary,
            // and may fall just below it (the form rounds down).
            let precise = WireTime.formatRFC3339Milliseconds(Date(timeIntervalSince1970: (TimeInterval(millisecond) + 0.5) / 1000))
            let read = try #require(WireTime.parseRFC3339(precise), "\(precise)")
            #expect(Int64((read.timeIntervalSince1970 * 1000).rounded()) == millisecond, "\(precise)")
            #expect(precise.hasPrefix(String(rfc3339.dropLast())) && precise.count == rfc3339.count + 4)

            let imf = WireTime.formatHTTPDate(date)
            #expect(WireTime.parseHTTPDate(imf) == date, "\(imf)")
            let fields = try #require(IMFFields(imf), "\(imf)")
            #expect(rfc3339 == fields.rfc3339, "\(imf) vs \(rfc3339)")
            #expect(WireTime.parseHTTPDate(fields.asctime) == date, "\(fields.asctime)")
            if (1970...2069).contains(fields.year) {
                #expect(WireTime.parseHTTPDate(fields.rfc850) == date, "\(fields.rfc850)")
            }
        }
    }

    /// The milliseconds form is byte for byte what `ApplyLogEvent` wrote by
    /// hand before (`legacyTimestamp`), from 1583 (the first whole Gregorian
    /// year) to 9999, fractions of a millisecond included.
    @Test func millisecondsMatchTheHandFormatterTheyReplaced() {
        var random = Seeded(state: 3339)
        let start = Double(-12_212_553_600)  // 1583-01-01
        for _ in 0..<3000 {
            let time = Double.random(in: start...Double(Self.lastSecond), using: &random)
            let date = Date(timeIntervalSince1970: time)
            #expect(WireTime.formatRFC3339Milliseconds(date) == Self.legacyTimestamp(date), "\(time)")
        }
    }

    /// Valid texts with a character deleted, replaced, inserted or the tail
    /// cut: each is read without a crash, and whatever is accepted reads the
    /// same after a round of formatting.
    @Test func mangledTextNeverCrashes() {
        var random = Seeded(state: 9110)
        let alphabet = Array("0123456789-:TZz.+, GMTSunNovDec\u{0}\u{FFFD}é\t")
        for _ in 0..<2000 {
            let second = Int64.random(in: Self.firstSecond...Self.lastSecond, using: &random)
            let date = Date(timeIntervalSince1970: TimeInterval(second))
            let texts = [WireTime.formatRFC3339(date), WireTime.formatRFC3339Milliseconds(date), WireTime.formatHTTPDate(date)]
            for text in texts {
                var characters = Array(text)
                let at = Int.random(in: 0..<characters.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0: characters.remove(at: at)
                case 1: characters[at] = alphabet.randomElement(using: &random)!
                case 2: characters.insert(alphabet.randomElement(using: &random)!, at: at)
                default: characters.removeSubrange(at...)
                }
                let mangled = String(characters)
                if let read = WireTime.parseRFC3339(mangled) {
                    #expect(WireTime.parseRFC3339(WireTime.formatRFC3339Milliseconds(read)) != nil, "\(mangled)")
                }
                if let read = WireTime.parseHTTPDate(mangled) {
                    #expect(WireTime.parseHTTPDate(WireTime.formatHTTPDate(read)) == read, "\(mangled)")
                }
            }
        }
    }

    /// The fields of an IMF-fixdate, and the same instant in the other forms.
    struct IMFFields {
        static let weekdays = [
            "Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday",
        ]
        static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

        var weekday: String
        var day: String
        var month: String
        var year: Int
        var time: String

        init?(_ text: String) {
            let parts = text.split(separator: " ").map(String.init)
            guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT", let year = Int(parts[3]) else { return nil }
            (weekday, day, month, self.year, time) = (String(parts[0].dropLast()), parts[1], parts[2], year, parts[4])
        }

        /// The year in four digits at least, as every form writes it.
        var paddedYear: String {
            let digits = String(year)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }

        var rfc3339: String {
            let monthNumber = (Self.months.firstIndex(of: month) ?? -1) + 1
            return "\(paddedYear)-\(monthNumber < 10 ? "0" : "")\(monthNumber)-\(day)T\(time)Z"
        }

        var rfc850: String {
            let twoDigits = String(year % 100)
            return "\(Self.weekdays[weekday] ?? weekday), \(day)-\(month)-\(twoDigits.count == 1 ? "0" : "")\(twoDigits) \(time) GMT"
        }

        /// `Sun Nov  6 08:49:37 1994`: the day padded with a space.
        var asctime: String {
            let spacedDay = day.hasPrefix("0") ? " " + day.dropFirst() : Substring(day)
            return "\(weekday) \(month) \(spacedDay) \(time) \(paddedYear)"
        }
    }

    /// `ApplyLogEvent.timestamp` as it was written by hand before `WireTime`
    /// (proleptic Gregorian, H. Hinnant's civil-from-days): the reference the
    /// milliseconds form must still match.
    static func legacyTimestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (days, inDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (dayNumber, ms) = inDay < 0 ? (days - 1, inDay + 86_400_000) : (days, inDay)
        let z = Int(dayNumber) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let seconds = ms / 1000
        let fraction = ms % 1000
        let millis = fraction < 10 ? "00\(fraction)" : fraction < 100 ? "0\(fraction)" : "\(fraction)"
        return
            "\(year)-\(two(Int64(month)))-\(two(Int64(day)))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60)).\(millis)Z"
    }
}

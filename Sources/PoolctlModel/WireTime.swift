import Foundation

/// The client's wire time, written once: RFC 3339 in bodies, query filters,
/// messages and logs, and HTTP-date in the `Date` and `Retry-After` headers.
///
/// Foundation's format styles do the work, with a fixed POSIX locale, UTC
/// and the Gregorian calendar, so no user setting can change a byte. They
/// are values: shared by every thread, never rebuilt per call. Parsing takes
/// the whole text or nothing (a format style alone stops where its pattern
/// ends and ignores the rest).
///
/// Dates before 1582-10-15 follow Foundation's Gregorian calendar, which is
/// Julian before that day; nothing on the wire is that old.
public enum WireTime {
    // MARK: RFC 3339

    /// `2024-01-15T09:30:00Z`, with or without fractional seconds, `Z` or an
    /// offset such as `+01:00`. Nil for anything else.
    public static func parseRFC3339(_ text: String) -> Date? {
        whole(text, rfc3339)
    }

    /// `2024-01-15T09:30:00Z`: whole seconds, UTC. The time is first rounded
    /// to the nearest millisecond, then cut to the second, as the
    /// `ISO8601DateFormatter` this replaces did.
    public static func formatRFC3339(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        return rfc3339.format(Date(timeIntervalSince1970: (milliseconds / 1000).rounded(.down)))
    }

    /// `2025-01-01T00:00:00.000Z`: UTC, milliseconds rounded down.
    public static func formatRFC3339Milliseconds(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded(.down)
        // The style cuts the fraction it is given; a whole millisecond is not
        // exact in binary (…00.005 is …00.00499…), so aim at its middle.
        return rfc3339Milliseconds.format(Date(timeIntervalSince1970: (milliseconds + 0.5) / 1000))
    }

    // MARK: HTTP-date (RFC 9110 §5.6.7)

    /// The three forms a recipient must accept: IMF-fixdate
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`; a two-digit year below 70 is 20xx)
    /// and asctime (`Sun Nov  6 08:49:37 1994`). Surrounding spaces are
    /// ignored; the weekday is not checked against the date. Nil for
    /// anything else.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        for form in httpDateForms {
            if let date = whole(text, form) { return date }
        }
        return nil
    }

    /// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`: the form to send.
    public static func formatHTTPDate(_ date: Date) -> String {
        imfFixdate.format(date)
    }

    // MARK: The styles

    private static let rfc3339 = Date.ISO8601FormatStyle()
    private static let rfc3339Milliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static let gmt = TimeZone(identifier: "GMT")!
    private static let posix = Locale(identifier: "en_US_POSIX")
    private static let gregorian: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = gmt
        return calendar
    }()

    // `\(time)` cannot be shared: a format string takes no format string.
    private static let imfFixdateFormat: Date.FormatString =
        "\(weekday: .abbreviated), \(day: .twoDigits) \(month: .abbreviated) \(year: .padded(4)) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT"
    private static let rfc850Format: Date.FormatString =
        "\(weekday: .wide), \(day: .twoDigits)-\(month: .abbreviated)-\(year: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) GMT"
    private static let asctimeFormat: Date.FormatString =
        "\(weekday: .abbreviated) \(month: .abbreviated) \(day: .defaultDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) \(year: .defaultDigits)"

    private static let imfFixdate = Date.VerbatimFormatStyle(format: imfFixdateFormat, locale: posix, timeZone: gmt, calendar: gregorian)

    /// In the order they are tried: the current form first.
    private static let httpDateForms = [imfFixdateFormat, rfc850Format, asctimeFormat].map { format in
        // RFC 850's two-digit years count from 1970: 69 is 2069, 70 is 1970.
        Date.ParseStrategy(
            format: format, locale: posix, timeZone: gmt, calendar: gregorian, isLenient: false,
            twoDigitStartDate: Date(timeIntervalSince1970: 0))
    }

    /// The date `strategy` reads from all of `text`, or nil.
    private static func whole<Strategy: CustomConsumingRegexComponent>(_ text: String, _ strategy: Strategy) -> Date?
    where Strategy.RegexOutput == Date {
        let range = text.startIndex..<text.endIndex
        guard let (end, date) = try? strategy.consuming(text, startingAt: text.startIndex, in: range), end == text.endIndex
        else { return nil }
        return date
    }
}

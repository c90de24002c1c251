import Foundation

/// Reads the two time formats the API sends: RFC 3339 in bodies
/// (`createdAt`, `updatedAt`) and HTTP-date in the `Date` header. Foundation
/// formatters with a fixed POSIX locale and UTC, made per call because they
/// are not safe to share across threads; both are rare (once per listing).
public enum APITimestamp {
    /// `2024-01-15T09:30:00Z`, with or without fractional seconds or an offset.
    public static func parseRFC3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// `2024-01-15T09:30:00Z`: whole seconds, UTC, for messages.
    public static func formatRFC3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`, the form servers send.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}

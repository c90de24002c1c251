import ArgumentParser

/// `15m`, `90s`, `1h30m`, `500ms`, `0.5s`, `0s`, or plain seconds (`90`).
/// Prints as written, so `--help` shows `(default: 15m)`.
///
/// Decimal numbers only (no `1e3`, no `0x10`), each followed by a unit, as
/// Go and Terraform write durations; at most `maximumSeconds`, so that no
/// value can overflow the clock's arithmetic later.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    /// About 31 years: also the longest lease TTL the lease's tag can carry.
    static let maximumSeconds = 999_999_999

    var duration: Duration
    var description: String

    init?(argument: String) {
        guard let milliseconds = Self.milliseconds(argument), milliseconds <= Double(Self.maximumSeconds) * 1000 else { return nil }
        description = argument
        duration = .milliseconds(Int64(milliseconds))
    }

    var defaultValueDescription: String { description }

    private static let units: [(suffix: String, milliseconds: Double)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]

    /// The total of `argument`'s parts, or nil when it is not a duration.
    private static func milliseconds(_ argument: String) -> Double? {
        var rest = Substring(argument)
        guard !rest.isEmpty else { return nil }
        if let plain = number(rest) { return plain * 1000 }
        var total = 0.0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            rest = rest.dropFirst(digits.count)
            // "ms" before "m": "500ms" is not 500 minutes and an "s".
            guard let value = number(digits), let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.milliseconds
        }
        return total.isFinite ? total : nil
    }

    /// `12`, `0.5` or `1.25`: digits, then at most one fraction.
    private static func number(_ text: Substring) -> Double? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else {
            return nil
        }
        return Double(text)
    }
}

/// `Duration` as the numbers the rest of poolctl needs, written once: rates
/// and `Date` arithmetic take seconds, logs and reports whole milliseconds,
/// a lease's TTL whole seconds rounded up.
extension Duration {
    /// Seconds, with the fraction.
    public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded down.
    public var inMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole seconds, rounded up (a TTL is never shorter than asked), at most `Int.max`.
    public var inWholeSecondsRoundedUp: Int {
        let (seconds, attoseconds) = components
        let whole = seconds + (attoseconds > 0 ? 1 : 0)
        return whole > Int64(Int.max) ? Int.max : Int(whole)
    }
}

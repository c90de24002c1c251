import ArgumentParser

/// `15m`, `90s`, `1h`, `500ms`, `0s`, or plain seconds. Prints as written,
/// so `--help` shows `(default: 15m)`.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    var duration: Duration
    var description: String

    init?(argument: String) {
        description = argument
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where argument.hasSuffix(suffix) {
            let number = argument.dropLast(suffix.count)
            // "ms" must not be read as minutes of "…m"+"s".
            if suffix == "s", number.hasSuffix("m") { continue }
            guard let value = Double(number), value >= 0, value.isFinite else { return nil }
            duration = .milliseconds(Int64(value * scale * 1000))
            return
        }
        guard let value = Double(argument), value >= 0, value.isFinite else { return nil }
        duration = .milliseconds(Int64(value * 1000))
    }

    var defaultValueDescription: String { description }
}

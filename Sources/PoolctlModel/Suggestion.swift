/// "Did you mean …?" for unknown keys and aliases.
public enum Suggestion {
    /// The candidate nearest to `text` by edit distance, when it is close
    /// enough to be a plausible typo.
    public static func nearest(to text: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, text.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(text, candidate, limit: limit)
            // A suggestion must keep something of what was typed: 'zz' is not a typo of 'x'.
            if distance <= limit, distance < text.count, best == nil || distance < best!.1 || (distance == best!.1 && candidate < best!.0) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Levenshtein distance, cut short once it exceeds `limit`.
    public static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            var rowMin = current[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                rowMin = min(rowMin, current[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

import Algorithms

/// Sets of inventory indices (pool members, the senders of an operation)
/// kept as sorted, duplicate-free arrays: compact, and ordered the way lists
/// are served.
enum SortedIndices {
    /// `sorted` without repeats.
    static func uniqued(_ sorted: [Int32]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(sorted.count)
        for value in sorted where out.last != value { out.append(value) }
        return out
    }

    /// The sorted union of two sets.
    static func union(_ a: [Int32], _ b: [Int32]) -> [Int32] {
        if b.isEmpty { return a }
        if a.isEmpty { return b }
        if a.last! < b.first! { return a + b }
        var out: [Int32] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count, j < b.count {
            if a[i] < b[j] {
                out.append(a[i])
                i += 1
            } else if b[j] < a[i] {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
                j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    /// Where `value` is in `set`, or nil.
    static func index(of value: Int32, in set: [Int32]) -> Int? {
        let i = set.partitioningIndex { $0 >= value }
        return i < set.endIndex && set[i] == value ? i : nil
    }
}

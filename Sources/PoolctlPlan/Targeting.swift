import PoolctlModel

/// `--target KEY` and `--exclude KEY` as given: which pool keys a plan covers.
public struct KeySelection: Sendable, Hashable {
    public var targets: [String]
    public var excludes: [String]

    public init(targets: [String] = [], excludes: [String] = []) {
        self.targets = Array(Set(targets)).sorted()
        self.excludes = Array(Set(excludes)).sorted()
    }

    public var isEmpty: Bool { targets.isEmpty && excludes.isEmpty }

    /// The targeting of a plan over these declared and owned keys; nil when
    /// nothing is selected (a full plan). A key that is neither declared nor
    /// owned is an error: a typo must not silently plan nothing, or exclude
    /// nothing.
    ///
    /// A key renamed with `movedFrom` and its old key are one pool: selecting
    /// or excluding either selects or excludes both, so a targeted move never
    /// turns into a create beside a pool it left out.
    public func resolve(declared: some Sequence<String>, owned: some Sequence<String>, moves: [String: String] = [:]) throws(TargetingError)
        -> Targeting?
    {
        guard !isEmpty else { return nil }
        // Both keys of a move are the stack's, even before or after the
        // pool changes hands.
        let known = Set(declared).union(owned).union(moves.keys).union(moves.values)
        let given = targets.map { ("--target", $0) } + excludes.map { ("--exclude", $0) }
        var problems: [String] = []
        for (option, key) in given where !known.contains(key) {
            if !ResourceName.isValid(key) {
                problems.append("\(option) '\(key)' is not a pool key: a key is \(ResourceName.rule)")
                continue
            }
            var text = "\(option) '\(key)' is neither declared in the manifests nor an owned pool of the stack"
            if let nearest = Suggestion.nearest(to: key, in: known.sorted()) { text += "; did you mean '\(nearest)'?" }
            problems.append(text)
        }
        if !problems.isEmpty { throw TargetingError(problems: problems) }
        func withMovePartners(_ keys: [String]) -> [String] {
            var all = Set(keys)
            for (new, old) in moves where all.contains(new) || all.contains(old) { all.formUnion([new, old]) }
            return all.sorted()
        }
        var targeting = Targeting(targets: withMovePartners(targets), excludes: withMovePartners(excludes), leftOut: [])
        targeting.leftOut = known.filter { !targeting.includes($0) }.sorted()
        // A selection that covers nothing would print "No changes" and exit 0:
        // in CI that reads as "in sync".
        if targeting.leftOut.count == known.count {
            throw TargetingError(problems: [
                "--target and --exclude leave no pool key to plan (\(given.map { "\($0.0) \($0.1)" }.joined(separator: ", "))); nothing would be planned or applied"
            ])
        }
        return targeting
    }
}

/// A partial plan's scope, kept on the plan and in its saved form so that
/// apply and show say what was left out.
public struct Targeting: Sendable, Hashable {
    /// Sorted; empty: every key but the excluded ones.
    public var targets: [String]
    public var excludes: [String]
    /// Declared or owned keys the plan does not cover, sorted.
    public var leftOut: [String]

    public init(targets: [String], excludes: [String], leftOut: [String]) {
        self.targets = targets.sorted()
        self.excludes = excludes.sorted()
        self.leftOut = leftOut.sorted()
    }

    public func includes(_ key: String) -> Bool {
        (targets.isEmpty || targets.contains(key)) && !excludes.contains(key)
    }
}

/// `--target` or `--exclude` naming a key the stack does not have.
public struct TargetingError: Error, Sendable, CustomStringConvertible {
    /// One sentence per unknown key.
    public var problems: [String]
    public var description: String { problems.joined(separator: "\n") }
}

import PoolctlModel

/// `movedFrom` must name one pool's former key unambiguously: not the pool's
/// own key, not a key the set still declares (that pool would be both moved
/// and kept), not combined with `adopt`, and never claimed by two pools.
enum MoveRules {
    /// `moves` are the pools that declare `movedFrom`, in source order;
    /// `declared` is every pool key of the set with its location.
    static func check(_ moves: [PoolSpec], declared: [String: SourceLocation]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var claimed: [String: (key: String, location: SourceLocation)] = [:]
        for spec in moves {
            guard let old = spec.movedFrom else { continue }
            let key = spec.key.value
            if let adopt = spec.adopt {
                diagnostics.append(
                    .error(
                        "pool '\(key)' declares both movedFrom and adopt; a pool either keeps its own former pool or takes over another one",
                        at: old.location, notes: [.init(message: "adopt set here", location: adopt.location)]))
                continue
            }
            if old.value == key {
                diagnostics.append(.error("pool '\(key)' is moved from its own key; remove movedFrom", at: old.location))
                continue
            }
            if let still = declared[old.value] {
                diagnostics.append(
                    .error(
                        "pool '\(key)' is moved from '\(old.value)', which is still declared at \(still.description); remove one of them",
                        at: old.location, notes: [.init(message: "pool '\(old.value)' declared here", location: still)]))
                continue
            }
            if let other = claimed[old.value] {
                diagnostics.append(
                    .error(
                        "pool '\(key)' is moved from '\(old.value)', which pool '\(other.key)' is already moved from at \(other.location.description); a key can be moved to one pool only",
                        at: old.location, notes: [.init(message: "first moved here", location: other.location)]))
                continue
            }
            claimed[old.value] = (key, old.location)
        }
        return diagnostics
    }
}

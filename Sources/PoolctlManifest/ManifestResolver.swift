import PoolctlModel

/// Checks the rules that span documents (one stack, unique pool keys, one
/// alias table, unique adoptions) and resolves aliases into `DesiredState`.
public struct ManifestResolver {
    /// Set when some file could not be read to the end: what is missing
    /// (a stack, an alias) may be in the unread part, so it is not reported.
    public var incomplete: Bool

    public init(incomplete: Bool = false) {
        self.incomplete = incomplete
    }

    public func resolve(_ manifest: Manifest) -> (DesiredState?, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        guard let firstDocument = manifest.documents.first else {
            if incomplete { return (nil, diagnostics) }
            let files = manifest.files.isEmpty ? "the given paths" : manifest.files.joined(separator: ", ")
            diagnostics.append(.error("no manifest documents found in \(files)"))
            return (nil, diagnostics)
        }
        var settings = SharedSettings()
        for document in manifest.documents { settings.take(document, into: &diagnostics) }
        if settings.stack == nil, !incomplete {
            diagnostics.append(
                .error("no stack declared: add 'stack: NAME' to at least one document of the set", at: firstDocument.location))
        }
        let aliases = Self.aliasTable(manifest, into: &diagnostics)
        let pools = self.pools(manifest, aliases: aliases, settings: settings, into: &diagnostics)

        guard let stack = settings.stack, !diagnostics.hasErrors else { return (nil, diagnostics) }
        return (
            DesiredState(
                stack: stack.value, prune: settings.prune?.value ?? false, pools: pools,
                guardPolicy: settings.guardPolicy?.value ?? GuardPolicy(),
                pruneLocation: settings.prune?.location ?? stack.location),
            diagnostics
        )
    }

    /// One alias table for the whole set: an alias may repeat only with the same id.
    private static func aliasTable(_ manifest: Manifest, into diagnostics: inout [Diagnostic]) -> [String: Located<String>] {
        var aliases: [String: Located<String>] = [:]
        var aliasLocations: [String: SourceLocation] = [:]
        for document in manifest.documents {
            for entry in document.senderAliases {
                if let existing = aliases[entry.alias.value] {
                    if existing.value != entry.senderID.value {
                        let first = aliasLocations[entry.alias.value]!
                        diagnostics.append(
                            .error(
                                "sender alias '\(entry.alias.value)' is already defined as \(existing.value) at \(first.description); an alias may repeat only with the same id",
                                at: entry.alias.location, notes: [.init(message: "alias first defined here", location: first)]))
                    }
                } else {
                    aliases[entry.alias.value] = entry.senderID
                    aliasLocations[entry.alias.value] = entry.alias.location
                }
            }
        }
        return aliases
    }

    /// Every declared pool, its key unique across the set and its adoption
    /// too; the moves are checked once all keys are known.
    private func pools(
        _ manifest: Manifest, aliases: [String: Located<String>], settings: SharedSettings, into diagnostics: inout [Diagnostic]
    ) -> [DesiredPool] {
        let ignoredEverywhere = settings.ignoreTags?.value.map(\.value) ?? []
        var pools: [DesiredPool] = []
        var keys: [String: SourceLocation] = [:]
        var adoptions: [String: (key: String, location: SourceLocation)] = [:]
        var moves: [PoolSpec] = []
        for spec in manifest.documents.lazy.flatMap(\.pools) {
            if let first = keys[spec.key.value] {
                diagnostics.append(
                    .error(
                        "duplicate pool key '\(spec.key.value)': it is also declared at \(first.description); pool keys must be unique across the set",
                        at: spec.key.location, notes: [.init(message: "pool '\(spec.key.value)' first declared here", location: first)]))
                continue
            }
            keys[spec.key.value] = spec.key.location
            if let adopt = spec.adopt {
                if let other = adoptions[adopt.value] {
                    diagnostics.append(
                        .error(
                            "pool '\(spec.key.value)' adopts \(adopt.value), which pool '\(other.key)' already adopts at \(other.location.description); a live pool can be adopted only once",
                            at: adopt.location, notes: [.init(message: "first adopted here", location: other.location)]))
                } else {
                    adoptions[adopt.value] = (spec.key.value, adopt.location)
                }
            }
            if spec.movedFrom != nil { moves.append(spec) }
            pools.append(pool(spec, aliases: aliases, ignoredEverywhere: ignoredEverywhere, into: &diagnostics))
        }
        diagnostics += MoveRules.check(moves, declared: keys)
        return pools
    }

    /// One pool, its senders resolved to ids.
    private func pool(
        _ spec: PoolSpec, aliases: [String: Located<String>], ignoredEverywhere: [String], into diagnostics: inout [Diagnostic]
    ) -> DesiredPool {
        let (resolvedIDs, shownAliases) = senderIDs(spec, aliases: aliases, into: &diagnostics)
        let senders = Self.distinct(resolvedIDs, of: spec, into: &diagnostics)
        var tags: [String: String] = [:]
        for tag in spec.tags { tags[tag.key.value] = tag.value.value }
        let ignored = ignoredEverywhere + spec.ignoreTags.map(\.value)
        // Ignored tags are other tools' and may appear any time: their slots are
        // kept free too. (9 declared tags alone are warned about where they are.)
        let slots = Set(tags.keys).union(ignored).count
        if tags.count < APIFormat.maxTags - 1, slots >= APIFormat.maxTags - 1 {
            diagnostics.append(
                .warning(
                    "pool '\(spec.key.value)' declares \(tags.count) tag\(tags.count == 1 ? "" : "s") and ignores \(slots - tags.count) more (ignoreTags), which with the ownership tag leaves no slot for the \(AppliedTag.tagKey) fingerprint: drift cannot be told for it (cause unknown); keep declared and ignored tags to 8 in all",
                    at: spec.key.location))
        }
        return DesiredPool(
            key: spec.key.value,
            name: spec.name?.value ?? spec.key.value,
            tags: tags,
            senders: senders,
            membership: spec.membership?.value ?? .exact,
            protect: spec.protect?.value ?? false,
            adopt: spec.adopt?.value,
            aliases: shownAliases,
            location: spec.key.location,
            movedFrom: spec.movedFrom?.value,
            ignoreTags: ignored)
    }

    /// Each reference resolved to a sender id, with its index in
    /// `spec.senders` (for positions, which only errors need), and the
    /// alias each id was written as.
    private func senderIDs(_ spec: PoolSpec, aliases: [String: Located<String>], into diagnostics: inout [Diagnostic]) -> (
        ids: [(id: String, at: Int)], aliases: [String: String]
    ) {
        var resolvedIDs: [(id: String, at: Int)] = []
        resolvedIDs.reserveCapacity(spec.senders.count)
        var shownAliases: [String: String] = [:]
        for (at, reference) in spec.senders.values.enumerated() {
            let id: String
            if !aliases.isEmpty, let target = aliases[reference] {
                id = target.value
                shownAliases[id] = reference
            } else if APIFormat.isSenderID(reference) {
                id = reference
            } else {
                if let message = unresolved(reference, aliases: aliases) {
                    diagnostics.append(.error(message, at: spec.senders.location(at: at)))
                }
                continue
            }
            resolvedIDs.append((id, at))
        }
        return (resolvedIDs, shownAliases)
    }

    /// Why a reference is neither an alias nor an id; nil when the alias
    /// may be defined in a file not read to the end.
    private func unresolved(_ reference: String, aliases: [String: Located<String>]) -> String? {
        if reference.hasPrefix(APIFormat.senderPrefix) { return SenderReference.invalidIDMessage(reference) }
        if incomplete { return nil }
        if let nearest = Suggestion.nearest(to: reference, in: aliases.keys) {
            return "unknown sender alias '\(reference)'; did you mean '\(nearest)'?"
        }
        return "unknown sender alias '\(reference)': define it in a top-level 'senders' table, or use a sender id"
    }

    /// The ids without repeats; each repeat is an error at its place.
    private static func distinct(_ resolvedIDs: [(id: String, at: Int)], of spec: PoolSpec, into diagnostics: inout [Diagnostic])
        -> [String]
    {
        // Ids in strictly ascending order are distinct: the usual case, a
        // comparison each instead of a hash table of every reference.
        if zip(resolvedIDs, resolvedIDs.dropFirst()).allSatisfy({ $0.id < $1.id }) { return resolvedIDs.map(\.id) }
        var senders: [String] = []
        senders.reserveCapacity(resolvedIDs.count)
        var firstAt: [String: Int] = [:]
        for (id, at) in resolvedIDs {
            if let first = firstAt[id] {
                let written = spec.senders.values[at]
                let via = written == id ? "" : " (alias '\(written)')"
                let firstLocation = spec.senders.location(at: first)
                diagnostics.append(
                    .error(
                        "sender \(id)\(via) is listed twice in pool '\(spec.key.value)'; first listed at line \(firstLocation.line), column \(firstLocation.column)",
                        at: spec.senders.location(at: at), notes: [.init(message: "first listed here", location: firstLocation)]))
                continue
            }
            firstAt[id] = at
            senders.append(id)
        }
        return senders
    }

    /// `{maxDeletedPools: 2}`, as written, for a contradiction's message.
    static func describe(_ policy: GuardPolicy) -> String {
        var fields: [String] = []
        if let count = policy.maxDeletedPools { fields.append("maxDeletedPools: \(count)") }
        if let fraction = policy.maxRemovedFraction { fields.append("maxRemovedFraction: \(fraction)") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

/// The settings every document of a set shares. The first one set wins;
/// a later one that differs is an error that points at the first.
private struct SharedSettings {
    var stack: Located<String>?
    var prune: Located<Bool>?
    var ignoreTags: Located<[Located<String>]>?
    var guardPolicy: Located<GuardPolicy>?

    mutating func take(_ document: ManifestDocument, into diagnostics: inout [Diagnostic]) {
        Self.settle(document.stack, into: &stack, note: "stack first declared here", same: ==, diagnostics: &diagnostics) {
            "stack '\($0.value)' differs from stack '\($1.value)' declared at \($1.location.description); every document of a set must name the same stack"
        }
        Self.settle(document.prune, into: &prune, note: "prune first set here", same: ==, diagnostics: &diagnostics) {
            "prune: \($0.value) contradicts prune: \($1.value) at \($1.location.description); set it once, or identically"
        }
        func shown(_ list: Located<[Located<String>]>) -> String {
            "[\(list.value.map(\.value).sorted().joined(separator: ", "))]"
        }
        Self.settle(
            document.ignoreTags, into: &ignoreTags, note: "ignoreTags first set here",
            same: { Set($0.map(\.value)) == Set($1.map(\.value)) },
            diagnostics: &diagnostics
        ) {
            "ignoreTags: \(shown($0)) differs from ignoreTags: \(shown($1)) at \($1.location.description); set it once, or identically"
        }
        Self.settle(document.guardPolicy, into: &guardPolicy, note: "guard first set here", same: ==, diagnostics: &diagnostics) {
            "guard: \(ManifestResolver.describe($0.value)) contradicts guard: \(ManifestResolver.describe($1.value)) at \($1.location.description); set it once, or identically"
        }
    }

    /// `message` is given the new value and the first.
    private static func settle<Value>(
        _ value: Located<Value>?, into first: inout Located<Value>?, note: String, same: (Value, Value) -> Bool,
        diagnostics: inout [Diagnostic], message: (Located<Value>, Located<Value>) -> String
    ) {
        guard let value else { return }
        if let earlier = first, !same(earlier.value, value.value) {
            diagnostics.append(
                .error(message(value, earlier), at: value.location, notes: [.init(message: note, location: earlier.location)]))
        } else if first == nil {
            first = value
        }
    }
}

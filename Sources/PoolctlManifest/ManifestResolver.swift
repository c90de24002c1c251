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
        func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
            diagnostics.append(.error(message, at: location, notes: notes))
        }

        guard let firstDocument = manifest.documents.first else {
            if incomplete { return (nil, diagnostics) }
            let files = manifest.files.isEmpty ? "the given paths" : manifest.files.joined(separator: ", ")
            error("no manifest documents found in \(files)", at: nil)
            return (nil, diagnostics)
        }

        // One stack and one prune setting for the whole set.
        var stack: Located<String>?
        var prune: Located<Bool>?
        var ignoreTags: Located<[Located<String>]>?
        var guardPolicy: Located<GuardPolicy>?
        for document in manifest.documents {
            if let value = document.stack {
                if let first = stack, first.value != value.value {
                    error(
                        "stack '\(value.value)' differs from stack '\(first.value)' declared at \(first.location.description); every document of a set must name the same stack",
                        at: value.location, notes: [.init(message: "stack first declared here", location: first.location)])
                } else if stack == nil {
                    stack = value
                }
            }
            if let value = document.prune {
                if let first = prune, first.value != value.value {
                    error(
                        "prune: \(value.value) contradicts prune: \(first.value) at \(first.location.description); set it once, or identically",
                        at: value.location, notes: [.init(message: "prune first set here", location: first.location)])
                } else if prune == nil {
                    prune = value
                }
            }
            if let value = document.ignoreTags {
                if let first = ignoreTags, Set(first.value.map(\.value)) != Set(value.value.map(\.value)) {
                    func shown(_ list: Located<[Located<String>]>) -> String {
                        "[\(list.value.map(\.value).sorted().joined(separator: ", "))]"
                    }
                    error(
                        "ignoreTags: \(shown(value)) differs from ignoreTags: \(shown(first)) at \(first.location.description); set it once, or identically",
                        at: value.location, notes: [.init(message: "ignoreTags first set here", location: first.location)])
                } else if ignoreTags == nil {
                    ignoreTags = value
                }
            }
            if let value = document.guardPolicy {
                if let first = guardPolicy, first.value != value.value {
                    error(
                        "guard: \(Self.describe(value.value)) contradicts guard: \(Self.describe(first.value)) at \(first.location.description); set it once, or identically",
                        at: value.location, notes: [.init(message: "guard first set here", location: first.location)])
                } else if guardPolicy == nil {
                    guardPolicy = value
                }
            }
        }
        let ignoredEverywhere = ignoreTags?.value.map(\.value) ?? []
        if stack == nil, !incomplete {
            error("no stack declared: add 'stack: NAME' to at least one document of the set", at: firstDocument.location)
        }

        // One alias table for the whole set.
        var aliases: [String: Located<String>] = [:]
        var aliasLocations: [String: SourceLocation] = [:]
        for document in manifest.documents {
            for entry in document.senderAliases {
                if let existing = aliases[entry.alias.value] {
                    if existing.value != entry.senderID.value {
                        let first = aliasLocations[entry.alias.value]!
                        error(
                            "sender alias '\(entry.alias.value)' is already defined as \(existing.value) at \(first.description); an alias may repeat only with the same id",
                            at: entry.alias.location, notes: [.init(message: "alias first defined here", location: first)])
                    }
                } else {
                    aliases[entry.alias.value] = entry.senderID
                    aliasLocations[entry.alias.value] = entry.alias.location
                }
            }
        }

        var pools: [DesiredPool] = []
        var keys: [String: SourceLocation] = [:]
        var adoptions: [String: (key: String, location: SourceLocation)] = [:]
        var moves: [PoolSpec] = []
        for document in manifest.documents {
            for spec in document.pools {
                if let first = keys[spec.key.value] {
                    error(
                        "duplicate pool key '\(spec.key.value)': it is also declared at \(first.description); pool keys must be unique across the set",
                        at: spec.key.location, notes: [.init(message: "pool '\(spec.key.value)' first declared here", location: first)])
                    continue
                }
                keys[spec.key.value] = spec.key.location

                if let adopt = spec.adopt {
                    if let other = adoptions[adopt.value] {
                        error(
                            "pool '\(spec.key.value)' adopts \(adopt.value), which pool '\(other.key)' already adopts at \(other.location.description); a live pool can be adopted only once",
                            at: adopt.location, notes: [.init(message: "first adopted here", location: other.location)])
                    } else {
                        adoptions[adopt.value] = (spec.key.value, adopt.location)
                    }
                }
                if spec.movedFrom != nil { moves.append(spec) }

                // Each reference resolved to a sender id, with its index in
                // `spec.senders` (for positions, which only errors need).
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
                    } else if reference.hasPrefix(APIFormat.senderPrefix) {
                        error(SenderReference.invalidIDMessage(reference), at: spec.senders.location(at: at))
                        continue
                    } else if incomplete {
                        continue
                    } else if let nearest = Suggestion.nearest(to: reference, in: aliases.keys) {
                        error("unknown sender alias '\(reference)'; did you mean '\(nearest)'?", at: spec.senders.location(at: at))
                        continue
                    } else {
                        error(
                            "unknown sender alias '\(reference)': define it in a top-level 'senders' table, or use a sender id",
                            at: spec.senders.location(at: at))
                        continue
                    }
                    resolvedIDs.append((id, at))
                }
                // Ids in strictly ascending order are distinct: the usual case, a
                // comparison each instead of a hash table of every reference.
                var senders: [String] = []
                if zip(resolvedIDs, resolvedIDs.dropFirst()).allSatisfy({ $0.id < $1.id }) {
                    senders = resolvedIDs.map(\.id)
                } else {
                    senders.reserveCapacity(resolvedIDs.count)
                    var firstAt: [String: Int] = [:]
                    for (id, at) in resolvedIDs {
                        if let first = firstAt[id] {
                            let written = spec.senders.values[at]
                            let via = written == id ? "" : " (alias '\(written)')"
                            let firstLocation = spec.senders.location(at: first)
                            error(
                                "sender \(id)\(via) is listed twice in pool '\(spec.key.value)'; first listed at line \(firstLocation.line), column \(firstLocation.column)",
                                at: spec.senders.location(at: at), notes: [.init(message: "first listed here", location: firstLocation)])
                            continue
                        }
                        firstAt[id] = at
                        senders.append(id)
                    }
                }

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
                pools.append(
                    DesiredPool(
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
                        ignoreTags: ignored))
            }
        }
        diagnostics += MoveRules.check(moves, declared: keys)

        guard let stack, !diagnostics.hasErrors else { return (nil, diagnostics) }
        return (
            DesiredState(
                stack: stack.value, prune: prune?.value ?? false, pools: pools, guardPolicy: guardPolicy?.value ?? GuardPolicy(),
                pruneLocation: prune?.location),
            diagnostics
        )
    }

    /// `{maxDeletedPools: 2}`, as written, for a contradiction's message.
    static func describe(_ policy: GuardPolicy) -> String {
        var fields: [String] = []
        if let count = policy.maxDeletedPools { fields.append("maxDeletedPools: \(count)") }
        if let fraction = policy.maxRemovedFraction { fields.append("maxRemovedFraction: \(fraction)") }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

import PoolctlModel

/// Drift (issue 21): each changed field of a pool is classified by comparing
/// the manifest and the live pool with the `poolctl-applied` fingerprint of
/// what the last apply made it.
extension Planner {
    /// The fingerprint apply records once `pool` has converged.
    static func target(_ pool: DesiredPool) -> AppliedTag {
        AppliedTag(name: pool.name, tags: pool.tags, ignoring: pool.ignoreTags, protected: pool.protect, members: pool.senders)
    }

    /// Whether the API's 10 tags leave one for the fingerprint once the
    /// ownership tag, the declared tags and every ignored key (another
    /// tool's, which may appear at any time) have theirs.
    static func hasFingerprintSlot(_ pool: DesiredPool) -> Bool {
        Set(pool.tags.keys).union(pool.ignoreTags).count + 2 <= APIFormat.maxTags
    }

    /// The cause of each field the change sets. `target` is the pool's
    /// fingerprint as the manifest declares it, `recorded` the live pool's
    /// (nil when it has none); `declaredMove`: an adopt or move, whose
    /// ownership tag comes from the manifest.
    static func causes(
        _ pool: DesiredPool, _ live: LivePool, target: AppliedTag, recorded: AppliedTag?, name: ValueChange, tagChanges: [TagChange],
        additions: [MemberChange], removals: [MemberChange], declaredMove: Bool
    ) -> [ChangeField: ChangeCause] {
        var cause: [ChangeField: ChangeCause] = [:]
        func classify(manifestMoved: Bool, liveMoved: Bool) -> ChangeCause {
            switch (manifestMoved, liveMoved) {
            case (true, true): return .both
            case (true, false): return .manifest
            case (false, true): return .drift
            // Both still match the fingerprint yet differ: it was edited by hand.
            case (false, false): return .unknown
            }
        }
        if name.changed {
            cause[.name] =
                recorded.map {
                    classify(manifestMoved: target.name != $0.name, liveMoved: AppliedTag.hashName(live.name) != $0.name)
                } ?? .unknown
        }
        if !tagChanges.isEmpty {
            let liveTags = AppliedTag.hashTags(live.tags, ignoring: pool.ignoreTags, protected: live.ownership?.protected ?? false)
            if let recorded, recorded.tags.prefix(AppliedTag.ignoreListDigits) != target.tags.prefix(AppliedTag.ignoreListDigits) {
                // ignoreTags changed since the last apply: a tag entering or leaving it
                // may have been set by its other owner, which is not drift.
                cause[.tags] = .unknown
            } else if let recorded, target.tags != recorded.tags || liveTags != recorded.tags {
                cause[.tags] = classify(manifestMoved: target.tags != recorded.tags, liveMoved: liveTags != recorded.tags)
            } else {
                // Only the ownership tag's stack/key part moved (a move or an adopt), which no
                // fingerprint covers; the manifest declares it.
                cause[.tags] = declaredMove ? .manifest : .unknown
            }
        }
        if !additions.isEmpty || !removals.isEmpty {
            if let recorded {
                // An additive pool removes nothing, so its hash covers the declared
                // senders only: drift is one gone missing, not one the manifest
                // added since (those hash as before).
                let live = liveMembersHash(declared: pool.senders, missing: additions.map(\.id), outside: removals.map(\.id))
                let (manifestMoved, liveMoved) = (target.members != recorded.members, live != recorded.members)
                // Both moved: an apply that did not finish (exit 3, a signal) leaves
                // the members part way to the manifest and the fingerprint of the
                // last apply, which a hand change cannot be told from; the next
                // apply sets the members either way. (And for an additive pool the
                // hash covers today's declared senders, the recorded one those of
                // the last apply: a sender gone missing cannot be told from one
                // declared since.) Only a match proves no drift.
                cause[.members] = manifestMoved && liveMoved ? .unknown : classify(manifestMoved: manifestMoved, liveMoved: liveMoved)
            } else {
                cause[.members] = .unknown
            }
        }
        return cause
    }

    /// The hash of the live member ids, rebuilt from the diff without the
    /// members themselves (a streamed plan does not keep them): the declared
    /// senders less the missing ones, merged with those outside. All sorted.
    static func liveMembersHash(declared: [String], missing: [String], outside: [String]) -> String {
        var hash = FingerprintHash()
        var m = missing.startIndex
        var o = outside.startIndex
        for sender in declared {
            if m < missing.endIndex, missing[m] == sender {
                m += 1
                continue
            }
            while o < outside.endIndex, outside[o] < sender {
                hash.feed(outside[o])
                o += 1
            }
            hash.feed(sender)
        }
        while o < outside.endIndex {
            hash.feed(outside[o])
            o += 1
        }
        return hash.hex
    }
}

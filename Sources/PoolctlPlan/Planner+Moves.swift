import PoolctlModel

/// Renamed keys (`movedFrom`) and tags that other tools own (`ignoreTags`).
extension Planner {
    /// What a declared `movedFrom` amounts to against the live pools.
    enum MoveOutcome {
        /// The one live pool of the old key is re-tagged to the new key.
        case move(LivePool)
        /// The new key is already owned: the move happened; plan as usual.
        case done(PlanDiagnostic)
        /// No live pool carries either key: a plain create.
        case nothingToMove(PlanDiagnostic)
        /// Several live pools carry the old key: poolctl does not guess.
        case ambiguous([LivePool], PlanDiagnostic)

        var diagnostic: PlanDiagnostic? {
            switch self {
            case .move: return nil
            case .done(let diagnostic), .nothingToMove(let diagnostic), .ambiguous(_, let diagnostic): return diagnostic
            }
        }
    }

    /// `candidates` carry the new key's ownership, `oldPools` the old key's,
    /// both in `stack`.
    static func move(_ pool: DesiredPool, from old: String, stack: String, candidates: [LivePool], oldPools: [LivePool])
        -> MoveOutcome
    {
        if !candidates.isEmpty {
            let ids = candidates.map(\.id).sorted().joined(separator: ", ")
            let leftover =
                oldPools.isEmpty
                ? ""
                : "; \(oldPools.map(\.id).sorted().joined(separator: ", ")) still carr\(oldPools.count == 1 ? "ies" : "y") the ownership of '\(old)' and is planned as an undeclared pool"
            return .done(
                PlanDiagnostic(
                    severity: .warning, key: pool.key,
                    message:
                        "a live pool already carries the ownership of '\(pool.key)' (\(ids)), so the move from '\(old)' is done: remove 'movedFrom: \(old)'\(leftover)",
                    poolIDs: candidates.map(\.id) + oldPools.map(\.id), location: pool.location))
        }
        switch oldPools.count {
        case 0:
            return .nothingToMove(
                PlanDiagnostic(
                    severity: .warning, key: pool.key,
                    message:
                        "pool '\(pool.key)' is moved from '\(old)', but no live pool carries the ownership of '\(old)' or '\(pool.key)' in stack '\(stack)'; it will be created",
                    location: pool.location))
        case 1:
            return .move(oldPools[0])
        default:
            let ids = oldPools.map(\.id).sorted()
            return .ambiguous(
                oldPools,
                PlanDiagnostic(
                    severity: .error, key: pool.key,
                    message:
                        "pool '\(pool.key)' is moved from '\(old)', but \(ids.count) live pools carry the ownership of '\(old)' (\(ids.joined(separator: ", "))); poolctl does not guess which one: delete or untag the others, then plan again",
                    poolIDs: ids, location: pool.location))
        }
    }

    /// A PATCH sends every tag the pool keeps: the live ignored ones, the
    /// declared ones and the ownership tag. More than the API's limit cannot
    /// be sent, and dropping an ignored tag would overwrite another tool's.
    static func tagOverflow(_ pool: DesiredPool, _ change: PoolChange) -> PlanDiagnostic? {
        guard change.desiredTags.count > APIFormat.maxTags else { return nil }
        let live = change.liveIgnoredTags
        return PlanDiagnostic(
            severity: .error, key: pool.key,
            message:
                "pool '\(pool.key)' would carry \(change.desiredTags.count) tags, more than the API's \(APIFormat.maxTags): the live values of its ignored tag\(live.count == 1 ? "" : "s") (\(live.joined(separator: ", "))), its declared tags and the ownership tag; declare fewer tags, or remove an ignored tag from the live pool",
            poolIDs: change.poolID.map { [$0] } ?? [], location: pool.location)
    }
}

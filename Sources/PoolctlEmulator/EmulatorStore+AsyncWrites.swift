import PoolctlAPI

/// A write accepted now whose effect lands at `at` (`writes=async`).
struct PendingWrite {
    enum Effect {
        case update(PoolRecord, name: String?, tags: Tags?)
        case delete(PoolRecord)
        case removeSender(PoolRecord, Int32)
    }

    var at: Int64
    var effect: Effect
}

/// `writes=async`: PATCH, DELETE pool and Remove Sender answer at once and
/// take effect `operationDelayMS` later; until then reads show the old state.
extension EmulatorStore {
    /// Applies `effect` now, or queues it under `writes=async`.
    func perform(_ effect: PendingWrite.Effect, now: Int64) {
        let write = PendingWrite(at: behaviors.writes == .async ? now + operationDelayMS : now, effect: effect)
        if behaviors.writes == .async {
            pending.append(.write(write))
        } else {
            land(write)
        }
    }

    /// A write landing on the state as it is then: one that comes after its
    /// pool was deleted does nothing.
    func land(_ write: PendingWrite) {
        switch write.effect {
        case .update(let pool, let name, let tags): applyUpdate(pool, name: name, tags: tags, at: write.at)
        case .delete(let pool): applyDelete(pool, at: write.at)
        case .removeSender(let pool, let index): applyRemove(pool, index: index, at: write.at)
        }
    }
}

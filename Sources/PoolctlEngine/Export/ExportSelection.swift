import PoolctlModel

/// What `export` writes, decided from the live pools alone: a pure function,
/// no I/O. `select` picks the pools (before their members are read, so only
/// exported pools cost member calls); `manifest` turns them into the desired
/// state that, applied, changes nothing but ownership.
public enum ExportSelection {
    /// A pool that matched the filter but is not exported, and why.
    public struct Skipped: Sendable, Hashable {
        public enum Reason: Sendable, Hashable {
            case ownedByOtherStack(Ownership)
            /// More user tags than a manifest allows: adopting needs a slot for the ownership tag.
            case tooManyTags(Int)
            /// Another pool carries the same ownership value; that one is exported.
            case duplicateOwnership(key: String, exportedID: String)
            /// A `poolctl` tag in poolctl's form that this version cannot read
            /// (`LivePool.unreadableClaim`): it may belong to another stack.
            case unreadableOwnership(String)
        }
        public var id: String
        public var name: String
        public var reason: Reason
    }

    public struct Selection: Sendable, Hashable {
        /// Sorted by id.
        public var pools: [LivePool]
        /// Sorted by id.
        public var skipped: [Skipped]
        /// Lease pools seen (never exported).
        public var leases: Int
        /// Every key the stack owns, exported or not: a key made for an
        /// adopted pool must not take one, or plan refuses the export.
        public var ownedKeys: Set<String> = []
    }

    /// User tags: at most the API's 10, less the ownership slot.
    public static let maxUserTags = APIFormat.maxTags - 1

    public static func select(_ pools: [LivePool], stack: String, filter: ExportFilter) -> Selection {
        var selected: [LivePool] = []
        var skipped: [Skipped] = []
        var leases = 0
        var ownedByKey: [String: [LivePool]] = [:]
        var ownedKeys = Set<String>()
        for pool in pools.sorted(by: { $0.id < $1.id }) {
            if LeaseTag.isLease(pool.tags) {
                leases += 1
                continue
            }
            if let ownership = pool.ownership, ownership.stack == stack { ownedKeys.insert(ownership.key) }
            guard filter.matches(name: pool.name, tags: pool.tags) else { continue }
            if let ownership = pool.ownership {
                if ownership.stack == stack {
                    ownedByKey[ownership.key, default: []].append(pool)
                } else {
                    skipped.append(Skipped(id: pool.id, name: pool.name, reason: .ownedByOtherStack(ownership)))
                }
                continue
            }
            if let value = pool.unreadableClaim {
                skipped.append(Skipped(id: pool.id, name: pool.name, reason: .unreadableOwnership(value)))
                continue
            }
            let userTags = userTags(pool.tags).count
            if userTags > maxUserTags {
                skipped.append(Skipped(id: pool.id, name: pool.name, reason: .tooManyTags(userTags)))
                continue
            }
            selected.append(pool)
        }
        // One entry per ownership key: the oldest pool, the one plan keeps.
        for (key, owners) in ownedByKey {
            let ordered = owners.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            selected.append(ordered[0])
            for extra in ordered.dropFirst() {
                skipped.append(Skipped(id: extra.id, name: extra.name, reason: .duplicateOwnership(key: key, exportedID: ordered[0].id)))
            }
        }
        return Selection(
            pools: selected.sorted { $0.id < $1.id }, skipped: skipped.sorted { $0.id < $1.id }, leases: leases, ownedKeys: ownedKeys)
    }

    /// The desired state for selected pools whose members were read. Pools
    /// the stack owns keep their key and protection; the others are adopted
    /// under keys made from their names (oldest first, so an older pool keeps
    /// the plain key) with `protect` as given. Membership is exact, prune off.
    public static func manifest(stack: String, pools: [LivePool], protect: Bool, reserved: Set<String> = []) -> DesiredState {
        var desired: [DesiredPool] = []
        var owned = reserved
        var unowned: [LivePool] = []
        for pool in pools {
            if let ownership = pool.ownership, ownership.stack == stack {
                owned.insert(ownership.key)
                desired.append(entry(pool, key: ownership.key, protect: ownership.protected, adopt: nil))
            } else {
                unowned.append(pool)
            }
        }
        unowned.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        let keys = PoolKeyDerivation.assign(unowned.map(\.name), reserved: owned)
        for (pool, key) in zip(unowned, keys) {
            desired.append(entry(pool, key: key, protect: protect, adopt: pool.id))
        }
        return DesiredState(stack: stack, prune: false, pools: desired)
    }

    /// Tags without poolctl's own (the ownership tag, which adopting
    /// writes, and the apply fingerprint, which apply writes).
    static func userTags(_ tags: [String: String]) -> [String: String] {
        tags.filter { $0.key != Ownership.tagKey && $0.key != AppliedTag.tagKey }
    }

    private static func entry(_ pool: LivePool, key: String, protect: Bool, adopt: String?) -> DesiredPool {
        DesiredPool(
            key: key, name: pool.name, tags: userTags(pool.tags), senders: (pool.members ?? []).map(\.id),
            membership: .exact, protect: protect, adopt: adopt)
    }
}

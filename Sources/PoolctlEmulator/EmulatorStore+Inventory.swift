import PoolctlAPI
import PoolctlModel

/// The account's sender inventory (`GET /v1/Senders`) and the sender
/// filters it shares with the pool member list.
extension EmulatorStore {
    /// One page of the inventory as indices (`SenderBodies` encodes it).
    nonisolated func listSenderIndices(_ query: SenderQuery) throws(APIError) -> ListPage<Int32> {
        let endpoint = Endpoint.listSenders
        let parameters = try listParameters(endpoint, kind: .sender, window: query.window)
        try Self.checkSenderFilters(query, endpoint)
        let inventory = self.inventory
        let micros = self.inventoryMicros
        return Self.page(
            count: inventory.count, micros: { micros[$0] }, id: { inventory[$0].id }, parameters: parameters,
            include: Self.senderFilter(query, inventory: inventory, map: { $0 }), item: { Int32($0) })
    }

    static func checkSenderFilters(_ query: SenderQuery, _ endpoint: Endpoint) throws(APIError) {
        if let channel = query.channel, !Channel.documented.contains(channel) {
            throw badRequest(
                endpoint,
                "channel '\(FieldRules.clip(channel.rawValue))' is not one of \(Channel.documented.map(\.rawValue).joined(separator: ", "))"
            )
        }
        if let status = query.status, !SenderStatus.documented.contains(status) {
            throw badRequest(endpoint, "status '\(FieldRules.clip(status.rawValue))' is not one of ACTIVATED, DEACTIVATED")
        }
    }

    /// Whether item `i` passes the channel and status filters; `map` turns
    /// `i` into an inventory index.
    static func senderFilter(_ query: SenderQuery, inventory: [Sender], map: @escaping (Int) -> Int) -> (Int) -> Bool {
        switch (query.channel, query.status) {
        case (nil, nil): return { _ in true }
        case (let channel?, nil): return { inventory[map($0)].channel == channel }
        case (nil, let status?): return { inventory[map($0)].status == status }
        case (let channel?, let status?):
            return {
                let s = inventory[map($0)]
                return s.channel == channel && s.status == status
            }
        }
    }
}

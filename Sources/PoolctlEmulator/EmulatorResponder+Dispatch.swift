import Hummingbird
import PoolctlAPI
import PoolctlModel

/// Each `/v1` endpoint: path ids, query and body → the store call → the
/// response. Any `APIError` thrown here becomes the error response.
extension EmulatorResponder {
    func dispatch(_ endpoint: Endpoint, parameters: [String?], query: Substring?, request: inout Request) async throws -> Outcome {
        let ids = try Self.pathIDs(endpoint, parameters)
        let queryString = QueryString(query)
        // Only writes need these: reads (most requests) skip building them.
        let head = request.head
        var origin: String { origins.origin(authority: head.authority) }
        var source: WriteSource { WriteSource(actor: .client, userAgent: head.headerFields[.userAgent]) }

        switch endpoint {
        case .listSenderPools:
            let q = try queryString.known(["startDate", "endDate", "operationId", "pageToken", "pageSize"])
            let page = try await store.listSenderPools(
                SenderPoolQuery(
                    startDate: q["startDate"], endDate: q["endDate"], operationId: q["operationId"],
                    pageSize: try QueryString.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: encoding.json(200, SenderPoolList(page)))

        case .createSenderPool:
            let body = try await BodyReading.read(CreateBody.self, from: &request)
            let accepted = try await store.createSenderPool(body.request, origin: origin, source: source)
            return Outcome(response: encoding.json(202, accepted, location: accepted.operationLocation), applied: true)

        case .fetchSenderPool:
            return Outcome(response: encoding.json(memoized: 200, try await store.fetchSenderPool(id: ids[0])))

        case .updateSenderPool:
            let body = try await BodyReading.read(UpdateBody.self, from: &request)
            let accepted = try await store.updateSenderPool(id: ids[0], body.request, origin: origin, source: source)
            return Outcome(response: encoding.json(202, accepted, location: accepted.resourceLocation), applied: true)

        case .deleteSenderPool:
            let accepted = try await store.deleteSenderPool(id: ids[0], origin: origin, source: source)
            return Outcome(response: deleted(accepted), applied: true)

        case .listPoolSenders:
            let q = try queryString.known(["channel", "status", "startDate", "endDate", "pageToken", "pageSize"])
            let page = try await store.listPoolSenderIndices(
                poolID: ids[0],
                SenderQuery(
                    channel: q["channel"].map(Channel.init(rawValue:)), status: q["status"].map(SenderStatus.init(rawValue:)),
                    startDate: q["startDate"], endDate: q["endDate"], pageSize: try QueryString.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: senderBodies.response(page))

        case .addSenders:
            let body = try await BodyReading.read(AddSendersBody.self, from: &request)
            let accepted = try await store.addSenders(poolID: ids[0], senderIDs: body.senderIDs, origin: origin, source: source)
            return Outcome(response: encoding.json(202, accepted, location: accepted.operationLocation), applied: true)

        case .removeSender:
            let accepted = try await store.removeSender(poolID: ids[0], senderID: ids[1], origin: origin, source: source)
            return Outcome(response: deleted(accepted), applied: true)

        case .listOperations:
            let q = try queryString.known(["status", "startDate", "endDate", "pageToken", "pageSize"])
            let page = try await store.listOperations(
                OperationQuery(
                    status: q["status"].map(OperationStatus.init(rawValue:)), startDate: q["startDate"], endDate: q["endDate"],
                    pageSize: try QueryString.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: encoding.json(200, OperationList(page)))

        case .fetchOperation:
            return Outcome(response: encoding.json(memoized: 200, try await store.fetchOperation(id: ids[0])))

        case .fetchPoolSendersOperation:
            return Outcome(response: encoding.json(memoized: 200, try await store.fetchOperation(poolID: ids[0], id: ids[1])))

        case .listSenders:
            let q = try queryString.known(["channel", "status", "pageToken", "pageSize"])
            let page = try store.listSenderIndices(
                SenderQuery(
                    channel: q["channel"].map(Channel.init(rawValue:)), status: q["status"].map(SenderStatus.init(rawValue:)),
                    pageSize: try QueryString.pageSize(q), pageToken: q["pageToken"]))
            return Outcome(response: senderBodies.response(page))
        }
    }

    /// DELETE pool and Remove Sender: 202 or 200 with the resource-accepted
    /// body, or 204 without one (`delete-status`).
    func deleted(_ accepted: ResourceAccepted) -> Response {
        deleteStatus == 204 ? encoding.empty(204) : encoding.json(deleteStatus, accepted)
    }

    /// The endpoint's path ids, in order, decoded and checked (400s).
    static func pathIDs(_ endpoint: Endpoint, _ parameters: [String?]) throws(APIError) -> [String] {
        let kinds: [(EmulatorIDKind, String)]
        switch endpoint {
        case .fetchOperation: kinds = [(.operation, "operationId")]
        case .fetchSenderPool, .updateSenderPool, .deleteSenderPool, .listPoolSenders, .addSenders:
            kinds = [(.senderPool, "senderPoolId")]
        case .removeSender: kinds = [(.senderPool, "senderPoolId"), (.sender, "senderId")]
        case .fetchPoolSendersOperation: kinds = [(.senderPool, "senderPoolId"), (.operation, "operationId")]
        default: kinds = []
        }
        var ids: [String] = []
        for (i, (kind, name)) in kinds.enumerated() {
            guard let value = parameters[i] else {
                throw APIError.http(400, "\(name) is not valid percent-encoded UTF-8")
            }
            if let problem = FieldRules.idProblem(value, kind: kind, what: name) { throw APIError.http(400, problem) }
            ids.append(value)
        }
        return ids
    }
}

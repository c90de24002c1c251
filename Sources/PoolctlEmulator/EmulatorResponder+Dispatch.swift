import Hummingbird
import PoolctlAPI
import PoolctlModel

/// Each `/v1` endpoint: path ids, query and body → the store call → the
/// response. Any `APIError` thrown here becomes the error response.
extension EmulatorResponder {
    func dispatch(_ endpoint: Endpoint, parameters: [String?], query: Substring?, request: inout Request) async throws -> Outcome {
        let ids = try Self.pathIDs(endpoint, parameters)
        switch endpoint {
        case .createSenderPool, .updateSenderPool, .deleteSenderPool, .addSenders, .removeSender:
            return Outcome(response: try await write(endpoint, ids: ids, request: &request), applied: true)
        default:
            return Outcome(response: try await read(endpoint, ids: ids, query: QueryString(query)))
        }
    }

    /// The reads: the four lists and the three fetches.
    private func read(_ endpoint: Endpoint, ids: [String], query: QueryString) async throws -> Response {
        switch endpoint {
        case .listSenderPools:
            let q = try query.known(["startDate", "endDate", "operationId", "pageToken", "pageSize"])
            let body = try await store.senderPoolsBody(
                SenderPoolQuery(operationId: q["operationId"], window: try QueryString.window(q)))
            return encoding.json(200, body)
        case .fetchSenderPool:
            return encoding.json(memoized: .pool, 200, try await store.senderPoolBody(id: ids[0]))
        case .listPoolSenders:
            let q = try query.known(["channel", "status", "startDate", "endDate", "pageToken", "pageSize"])
            let page = try await store.listPoolSenderIndices(
                poolID: ids[0],
                SenderQuery(
                    channel: q["channel"].map(Channel.init(rawValue:)), status: q["status"].map(SenderStatus.init(rawValue:)),
                    window: try QueryString.window(q)))
            return senderBodies.response(page)
        case .listOperations:
            let q = try query.known(["status", "startDate", "endDate", "pageToken", "pageSize"])
            let body = try await store.operationsBody(
                OperationQuery(status: q["status"].map(OperationStatus.init(rawValue:)), window: try QueryString.window(q)))
            return encoding.json(200, body)
        case .fetchOperation:
            return encoding.json(memoized: .operation, 200, try await store.operationBody(id: ids[0]))
        case .fetchPoolSendersOperation:
            return encoding.json(memoized: .operation, 200, try await store.operationBody(poolID: ids[0], id: ids[1]))
        default:  // .listSenders
            let q = try query.known(["channel", "status", "pageToken", "pageSize"])
            let page = try store.listSenderIndices(
                SenderQuery(
                    channel: q["channel"].map(Channel.init(rawValue:)), status: q["status"].map(SenderStatus.init(rawValue:)),
                    window: try QueryString.window(q)))
            return senderBodies.response(page)
        }
    }

    /// The writes: Create and Add Senders start an operation (202 and its
    /// `Location`); Update answers 202 with the pool's; Delete pool and
    /// Remove Sender answer as `deleted` says.
    private func write(_ endpoint: Endpoint, ids: [String], request: inout Request) async throws -> Response {
        let head = request.head
        var origin: String { origins.origin(authority: head.authority) }
        let source = WriteSource(actor: .client, userAgent: head.headerFields[.userAgent])
        let accepted: Accepted
        switch endpoint {
        case .createSenderPool:
            let body = try await BodyReading.read(CreateBody.self, from: &request)
            accepted = try await store.createSenderPool(body.request, origin: origin, source: source)
        case .updateSenderPool:
            let body = try await BodyReading.read(UpdateBody.self, from: &request)
            accepted = try await store.updateSenderPool(id: ids[0], body.request, origin: origin, source: source)
        case .deleteSenderPool:
            return deleted(try await store.deleteSenderPool(id: ids[0], origin: origin, source: source))
        case .addSenders:
            let body = try await BodyReading.read(AddSendersBody.self, from: &request)
            accepted = try await store.addSenders(poolID: ids[0], senderIDs: body.senderIDs, origin: origin, source: source)
        default:  // .removeSender
            return deleted(try await store.removeSender(poolID: ids[0], senderID: ids[1], origin: origin, source: source))
        }
        return encoding.json(202, accepted.body, location: accepted.location)
    }

    /// DELETE pool and Remove Sender: 202 or 200 with the resource-accepted
    /// body, or 204 without one (`delete-status`).
    func deleted(_ accepted: Accepted) -> Response {
        deleteStatus == 204 ? encoding.empty(204) : encoding.json(deleteStatus, accepted.body)
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

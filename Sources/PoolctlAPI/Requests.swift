/// The 202 body of Create and Add Senders. Both fields are optional in the
/// docs, so `location` (the `Location` header) is kept as a fallback.
public struct OperationAccepted: Codable, Hashable, Sendable {
    public var operationId: String?
    public var operationLocation: String?
    /// The `Location` header; not part of the body.
    public var location: String?

    public init(operationId: String?, operationLocation: String?, location: String? = nil) {
        self.operationId = operationId
        self.operationLocation = operationLocation
        self.location = location
    }

    private enum CodingKeys: String, CodingKey { case operationId, operationLocation }

    /// The operation id from the body, or else from the last path segment of
    /// the operation's location.
    public var resolvedOperationID: String? {
        if let operationId { return operationId }
        guard let url = operationLocation ?? location, let last = url.split(separator: "/").last else { return nil }
        return String(last)
    }
}

/// The 202 body of Update, Delete and Remove Sender.
public struct ResourceAccepted: Codable, Hashable, Sendable {
    public var resourceId: String?
    public var resourceLocation: String?

    public init(resourceId: String?, resourceLocation: String?) {
        self.resourceId = resourceId
        self.resourceLocation = resourceLocation
    }
}

/// `{senderId}`: one item of Create's `senders` and of Add Senders.
public struct SenderReference: Encodable, Hashable, Sendable {
    public var senderId: String
    public init(senderId: String) { self.senderId = senderId }
}

public struct CreateSenderPoolRequest: Encodable, Hashable, Sendable {
    public var name: String?
    public var tags: Tags?
    public var senders: [SenderReference]?

    public init(name: String? = nil, tags: Tags? = nil, senders: [SenderReference]? = nil) {
        self.name = name
        self.tags = tags
        self.senders = senders
    }
}

public struct UpdateSenderPoolRequest: Encodable, Hashable, Sendable {
    public var name: String?
    public var tags: Tags?

    public init(name: String? = nil, tags: Tags? = nil) {
        self.name = name
        self.tags = tags
    }
}

/// What every list takes besides its own filters: bounds on `createdAt`
/// (RFC 3339, start inclusive, end exclusive) and the page. Pagination moves
/// the page; the filters and the bounds repeat on every page.
public struct ListWindow: Hashable, Sendable {
    public var startDate: String?
    public var endDate: String?
    public var pageSize: Int?
    public var pageToken: String?

    public init(startDate: String? = nil, endDate: String? = nil, pageSize: Int? = nil, pageToken: String? = nil) {
        self.startDate = startDate
        self.endDate = endDate
        self.pageSize = pageSize
        self.pageToken = pageToken
    }
}

/// Filters of List SenderPools.
public struct SenderPoolQuery: Hashable, Sendable {
    public var operationId: String?
    public var window: ListWindow

    public init(
        startDate: String? = nil, endDate: String? = nil, operationId: String? = nil, pageSize: Int? = nil, pageToken: String? = nil
    ) {
        self.init(
            operationId: operationId, window: ListWindow(startDate: startDate, endDate: endDate, pageSize: pageSize, pageToken: pageToken))
    }

    public init(operationId: String?, window: ListWindow) {
        self.operationId = operationId
        self.window = window
    }
}

/// Filters of List Senders (in a pool, or the account's inventory).
public struct SenderQuery: Hashable, Sendable {
    public var channel: Channel?
    public var status: SenderStatus?
    public var window: ListWindow

    public init(
        channel: Channel? = nil, status: SenderStatus? = nil, startDate: String? = nil, endDate: String? = nil, pageSize: Int? = nil,
        pageToken: String? = nil
    ) {
        self.init(
            channel: channel, status: status,
            window: ListWindow(startDate: startDate, endDate: endDate, pageSize: pageSize, pageToken: pageToken))
    }

    public init(channel: Channel?, status: SenderStatus?, window: ListWindow) {
        self.channel = channel
        self.status = status
        self.window = window
    }
}

/// Filters of List Sender Pool Operations.
public struct OperationQuery: Hashable, Sendable {
    public var status: OperationStatus?
    public var window: ListWindow

    public init(
        status: OperationStatus? = nil, startDate: String? = nil, endDate: String? = nil, pageSize: Int? = nil, pageToken: String? = nil
    ) {
        self.init(status: status, window: ListWindow(startDate: startDate, endDate: endDate, pageSize: pageSize, pageToken: pageToken))
    }

    public init(status: OperationStatus?, window: ListWindow) {
        self.status = status
        self.window = window
    }
}

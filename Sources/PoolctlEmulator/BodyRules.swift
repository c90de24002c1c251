import PoolctlAPI

/// The three request bodies, with the closed schemas of the spec: unknown
/// properties, nulls and wrong types are 400s (repeated properties:
/// `DuplicateKeys`). Field limits (lengths, patterns, counts) are the
/// store's, so in-process calls get them too.
protocol RequestBody: Decodable {
    init(body: BodyValue) throws
}

extension RequestBody {
    init(from decoder: any Decoder) throws {
        try self.init(body: BodyValue(decoder: decoder, what: "the request body"))
    }
}

/// `POST /v1/SenderPools`
struct CreateBody: RequestBody {
    var request = CreateSenderPoolRequest()

    init(body: BodyValue) throws {
        let fields = try body.object(allowed: ["name", "tags", "senders"])
        if let value = fields["name"] { request.name = try value.string() }
        if let value = fields["tags"] { request.tags = try tags(value) }
        if let value = fields["senders"] { request.senders = try senderReferences(value.array()) }
    }
}

/// `PATCH /v1/SenderPools/{id}`
struct UpdateBody: RequestBody {
    var request = UpdateSenderPoolRequest()

    init(body: BodyValue) throws {
        let fields = try body.object(allowed: ["name", "tags"])
        if let value = fields["name"] { request.name = try value.string() }
        if let value = fields["tags"] { request.tags = try tags(value) }
    }
}

/// `POST /v1/SenderPools/{id}/Senders`
struct AddSendersBody: RequestBody {
    var senderIDs: [String]

    init(body: BodyValue) throws {
        senderIDs = try senderReferences(body.array(noun: "a JSON array of {senderId} objects", item: "item")).map(\.senderId)
    }
}

private func tags(_ value: BodyValue) throws -> Tags {
    var tags: Tags = [:]
    for (key, member) in try value.object(noun: "an object") {
        tags[key] = try member.named("value of tag '\(FieldRules.clip(key))'").string()
    }
    return tags
}

/// `[{senderId}]` items.
private func senderReferences(_ items: [BodyValue]) throws -> [SenderReference] {
    try items.map { item in
        guard let id = try item.object(allowed: ["senderId"])["senderId"] else {
            throw BodyProblem(message: "\(item.what) needs a senderId")
        }
        return SenderReference(senderId: try id.named("\(item.what).senderId").string())
    }
}

import PoolctlAPI

/// JSON request bodies -> requests, with the closed schemas of the spec:
/// unknown or repeated properties, nulls and wrong types are 400s. Field
/// limits (lengths, patterns, counts) are checked again by the store.
enum BodyRules {
    static func fail(_ message: String) -> APIError { APIError.http(400, message) }

    static func members(_ value: JSONValue, what: String, allowed: [String]) throws(APIError) -> [String: JSONValue] {
        guard case .object(let pairs) = value else { throw fail("\(what) must be a JSON object, not \(value.kind)") }
        var result: [String: JSONValue] = [:]
        for (key, member) in pairs {
            guard allowed.contains(key) else {
                throw fail("unknown property '\(FieldRules.clip(key))' in \(what); allowed: \(allowed.joined(separator: ", "))")
            }
            guard result.updateValue(member, forKey: key) == nil else { throw fail("property '\(key)' appears more than once in \(what)") }
        }
        return result
    }

    static func string(_ value: JSONValue, what: String) throws(APIError) -> String {
        guard case .string(let text) = value else { throw fail("\(what) must be a string, not \(value.kind)") }
        return text
    }

    static func tags(_ value: JSONValue) throws(APIError) -> Tags {
        guard case .object(let pairs) = value else { throw fail("tags must be an object, not \(value.kind)") }
        var tags: Tags = [:]
        for (key, member) in pairs {
            guard case .string(let text) = member else { throw fail("value of tag '\(FieldRules.clip(key))' must be a string, not \(member.kind)") }
            guard tags.updateValue(text, forKey: key) == nil else { throw fail("tag '\(FieldRules.clip(key))' appears more than once") }
        }
        if let problem = FieldRules.tagsProblem(tags) { throw fail(problem) }
        return tags
    }

    static func name(_ value: JSONValue) throws(APIError) -> String {
        let name = try string(value, what: "name")
        if let problem = FieldRules.nameProblem(name) { throw fail(problem) }
        return name
    }

    /// `[{senderId}]` items.
    static func senderIDs(_ items: [JSONValue], what: String) throws(APIError) -> [String] {
        var ids: [String] = []
        ids.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let fields = try members(item, what: "\(what)[\(i)]", allowed: ["senderId"])
            guard let id = fields["senderId"] else { throw fail("\(what)[\(i)] needs a senderId") }
            ids.append(try string(id, what: "\(what)[\(i)].senderId"))
        }
        return ids
    }

    static func create(_ body: JSONValue) throws(APIError) -> CreateSenderPoolRequest {
        let fields = try members(body, what: "the request body", allowed: ["name", "tags", "senders"])
        var request = CreateSenderPoolRequest()
        if let value = fields["name"] { request.name = try name(value) }
        if let value = fields["tags"] { request.tags = try tags(value) }
        if let value = fields["senders"] {
            guard case .array(let items) = value else { throw fail("senders must be an array, not \(value.kind)") }
            if items.count > FieldRules.maxSenders { throw fail("senders may have at most \(FieldRules.maxSenders) items, got \(items.count)") }
            let ids = try senderIDs(items, what: "senders")
            if let problem = FieldRules.senderListProblem(ids, allowEmpty: true) { throw fail(problem) }
            request.senders = ids.map(SenderReference.init(senderId:))
        }
        return request
    }

    static func update(_ body: JSONValue) throws(APIError) -> UpdateSenderPoolRequest {
        let fields = try members(body, what: "the request body", allowed: ["name", "tags"])
        if fields.isEmpty { throw fail("give at least one of name and tags") }
        var request = UpdateSenderPoolRequest()
        if let value = fields["name"] { request.name = try name(value) }
        if let value = fields["tags"] { request.tags = try tags(value) }
        return request
    }

    static func addSenders(_ body: JSONValue) throws(APIError) -> [String] {
        guard case .array(let items) = body else {
            throw fail("the request body must be a JSON array of {senderId} objects, not \(body.kind)")
        }
        if items.isEmpty { throw fail("at least one sender is required") }
        if items.count > FieldRules.maxSenders { throw fail("at most \(FieldRules.maxSenders) senders are allowed, got \(items.count)") }
        let ids = try senderIDs(items, what: "item")
        if let problem = FieldRules.senderListProblem(ids, allowEmpty: false) { throw fail(problem) }
        return ids
    }
}

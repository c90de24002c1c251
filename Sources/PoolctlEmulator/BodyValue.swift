/// A 400 about a request body. JSONDecoder passes errors thrown while
/// decoding through unchanged.
struct BodyProblem: Error {
    var message: String
}

/// Any property name.
struct PropertyKey: CodingKey {
    var stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// One JSON value of a request body, read through JSONDecoder as the closed
/// schemas want it: anything of another type, `null` included, is a
/// `BodyProblem` that names the value. Only valid while decoding.
struct BodyValue {
    let decoder: any Decoder
    /// How messages name the value, e.g. `senders[2].senderId`.
    let what: String

    /// `a string`, `null`, …: what the value is, for messages.
    var kind: String {
        if let value = try? decoder.singleValueContainer() {
            if value.decodeNil() { return "null" }
            if (try? value.decode(Bool.self)) != nil { return "a boolean" }
            if (try? value.decode(String.self)) != nil { return "a string" }
        }
        if (try? decoder.unkeyedContainer()) != nil { return "an array" }
        if (try? decoder.container(keyedBy: PropertyKey.self)) != nil { return "an object" }
        return "a number"
    }

    func string() throws -> String {
        guard let text = try? decoder.singleValueContainer().decode(String.self) else {
            throw BodyProblem(message: "\(what) must be a string, not \(kind)")
        }
        return text
    }

    /// The members of an object, by name. With `allowed`, any other name is
    /// a problem (`additionalProperties: false`).
    func object(allowed: [String]? = nil, noun: String = "a JSON object") throws -> [String: BodyValue] {
        guard let container = try? decoder.container(keyedBy: PropertyKey.self) else {
            throw BodyProblem(message: "\(what) must be \(noun), not \(kind)")
        }
        var members: [String: BodyValue] = [:]
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            if let allowed, !allowed.contains(key.stringValue) {
                throw BodyProblem(
                    message:
                        "unknown property '\(FieldRules.clip(key.stringValue))' in \(what); allowed: \(allowed.joined(separator: ", "))")
            }
            members[key.stringValue] = BodyValue(decoder: try container.superDecoder(forKey: key), what: key.stringValue)
        }
        return members
    }

    /// The items of an array, named `item[0]`, … (`item` defaults to `what`).
    func array(noun: String = "an array", item: String? = nil) throws -> [BodyValue] {
        guard var container = try? decoder.unkeyedContainer() else { throw BodyProblem(message: "\(what) must be \(noun), not \(kind)") }
        var items: [BodyValue] = []
        items.reserveCapacity(container.count ?? 0)
        while !container.isAtEnd {
            items.append(BodyValue(decoder: try container.superDecoder(), what: "\(item ?? what)[\(items.count)]"))
        }
        return items
    }

    func named(_ what: String) -> BodyValue { BodyValue(decoder: decoder, what: what) }
}

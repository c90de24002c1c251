import Foundation

/// A `DecodingError` told in the terms of the JSON that was read: a path
/// such as `changes[1].action`, JSON type names and the offending value.
/// Swift's own description names our types and `CodingKeys`, which mean
/// nothing to someone who hand-edited a plan or reads an odd API response.
public struct JSONDecodingProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where in the document, e.g. `changes[1].action`; empty for the whole document.
    public var path: String
    /// What is wrong there, e.g. `'frobnicate' is not a valid value`.
    public var problem: String

    public var description: String { path.isEmpty ? problem : "\(problem) at \(path)" }

    /// `json` is the document that failed; with it, the message shows what
    /// was found at the path: the value itself, or with `valuesShown` false
    /// only its kind (an API body's values may be personal data). Any error
    /// other than a `DecodingError` is told as it describes itself.
    /// `fractionFields`: the format's keys whose values may be fractions,
    /// never suspects when a whole number could not be read.
    public init(_ error: any Error, in json: Data? = nil, valuesShown: Bool = true, fractionFields: Set<String> = []) {
        guard let error = error as? DecodingError else {
            (path, problem) = ("", "\(error)")
            return
        }
        let found = { (codingPath: [any CodingKey]) in
            json.flatMap { Self.value(at: codingPath, in: $0) }.map { valuesShown ? Self.shown($0) : Self.kind(of: $0) }
        }
        switch error {
        case .keyNotFound(let key, let context):
            (path, problem) = (Self.render(context.codingPath), "missing field '\(key.stringValue)'")
        case .valueNotFound(let type, let context):
            (path, problem) = (Self.render(context.codingPath), "null where \(Self.jsonKind(of: type)) was expected")
        case .typeMismatch(let type, let context):
            let was = found(context.codingPath).map { ", found \($0)" } ?? ""
            (path, problem) = (Self.render(context.codingPath), "expected \(Self.jsonKind(of: type))\(was)")
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let numbers = json.flatMap { Self.unrepresentableNumbers(in: $0, valuesShown: valuesShown, fractionFields: fractionFields) }
            (path, problem) = ("", numbers ?? "not valid JSON")
        case .dataCorrupted(let context):
            let value = found(context.codingPath).map { "\($0) is" } ?? "the value is"
            (path, problem) = (Self.render(context.codingPath), "\(value) not a valid value")
        @unknown default:
            (path, problem) = ("", "\(error)")
        }
    }

    /// Foundation on Linux reports a number that an integer field cannot
    /// hold (`1.5`, `1e30`) as "not valid JSON", with no path. When the
    /// document does parse, that is the cause: name the numbers that could
    /// be it (every fraction and every number beyond 64 bits, as a field
    /// that holds fractions cannot be told apart here). Nil when it does
    /// not parse.
    static func unrepresentableNumbers(in json: Data, valuesShown: Bool, fractionFields: Set<String>) -> String? {
        guard let document = value(at: [], in: json) else { return nil }
        var found: [(path: [any CodingKey], number: Double)] = []
        func walk(_ value: JSONValue, _ path: [any CodingKey]) {
            switch value {
            case .double(let number) where number.rounded() != number || abs(number) >= 0x1p63:
                if let key = path.last, key.intValue == nil, fractionFields.contains(key.stringValue), abs(number) < 0x1p63 { break }
                found.append((path, number))
            case .array(let items):
                for (index, item) in items.enumerated() { walk(item, path + [PathKey(index: index)]) }
            case .object(let fields):
                for (key, field) in fields.sorted(by: { $0.key < $1.key }) { walk(field, path + [PathKey(name: key)]) }
            default:
                break
            }
        }
        walk(document, [])
        guard !found.isEmpty else { return "a value could not be read, though the JSON itself is valid" }
        let listed = found.prefix(3).map { valuesShown ? "\(shown(.double($0.number))) at \(render($0.path))" : render($0.path) }
        let more = found.count > 3 ? " and \(found.count - 3) more" : ""
        return "a whole number was expected where there is a fraction or a number out of range: \(listed.joined(separator: ", "))\(more)"
    }

    private struct PathKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(name: String) { (stringValue, intValue) = (name, nil) }
        init(index: Int) { (stringValue, intValue) = (String(index), index) }
        init?(stringValue: String) { self.init(name: stringValue) }
        init?(intValue: Int) { self.init(index: intValue) }
    }

    /// `changes[1].action`; a key that is not a plain name is quoted, as in
    /// `apiCalls["GET /v1/SenderPools"]`.
    static func render(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue {
                text += "[\(index)]"
            } else if key.stringValue.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !key.stringValue.isEmpty {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            } else {
                text += "[\"\(key.stringValue)\"]"
            }
        }
        return text
    }

    /// The JSON name of what a Swift type decodes from.
    static func jsonKind(of type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is any FixedWidthInteger.Type: return "a whole number"
        case is any BinaryFloatingPoint.Type: return "a number"
        default:
            // Containers report `Array<Any>` or `Dictionary<String, Any>`; our structs are objects.
            return String(describing: type).hasPrefix("Array<") ? "an array" : "an object"
        }
    }

    /// A found value as a message shows it: scalars as written (strings
    /// quoted and clipped), containers by kind.
    static func shown(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .string(let text): return "'\(escaped(text.count > 60 ? text.prefix(57) + "..." : text))'"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// What a found value is, without the value.
    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Control characters as `\u{…}`, so that a value cannot break the line it is shown on.
    static func escaped(_ text: some StringProtocol) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The value at `codingPath` in `json`, if the document parses and has one.
    static func value(at codingPath: [any CodingKey], in json: Data) -> JSONValue? {
        guard var current = try? JSONDecoder().decode(JSONValue.self, from: json) else { return nil }
        for key in codingPath {
            if case .array(let items) = current, let index = key.intValue, items.indices.contains(index) {
                current = items[index]
            } else if case .object(let fields) = current, let next = fields[key.stringValue] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }
}

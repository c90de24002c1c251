import Foundation
import Testing

@testable import PoolctlModel
@testable import PoolctlPlan

/// `SortedJSONEncoder` must write what `JSONEncoder` writes with the options
/// poolctl uses, byte for byte: plan files saved by older versions are
/// compared and hashed as text.
@Suite struct SortedJSONEncoderTests {
    static func reference<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func expectSame<T: Encodable>(_ value: T, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let expected = try reference(value)
        let actual = try SortedJSONEncoder.encode(value)
        #expect(
            String(decoding: actual, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
            sourceLocation: sourceLocation)
        #expect(actual == expected, sourceLocation: sourceLocation)
    }

    /// A JSON-shaped value that encodes through every kind of container.
    indirect enum Value: Encodable {
        case null
        case bool(Bool)
        case int(Int)
        case int8(Int8)
        case int64(Int64)
        case uint64(UInt64)
        case uint8(UInt8)
        case double(Double)
        case date(Date)
        case url(URL)
        case data(Data)
        case string(String)
        case optional(String?)
        case array([Value])
        case object([(String, Value)])
        /// Keys given through a nested keyed container after the fact.
        case nested(String, [(String, Value)])

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ value: String) { stringValue = value }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .array(let items):
                var container = encoder.unkeyedContainer()
                for item in items { try container.encode(item) }
            case .object(let items):
                var container = encoder.container(keyedBy: Key.self)
                for (key, item) in items {
                    switch item {
                    case .optional(let text): try container.encodeIfPresent(text, forKey: Key(key))
                    case .int(let number): try container.encode(number, forKey: Key(key))
                    case .string(let text): try container.encode(text, forKey: Key(key))
                    case .null: try container.encodeNil(forKey: Key(key))
                    default: try container.encode(item, forKey: Key(key))
                    }
                }
            case .nested(let key, let items):
                var container = encoder.container(keyedBy: Key.self)
                var inner = container.nestedContainer(keyedBy: Key.self, forKey: Key(key))
                try container.encode("after", forKey: Key("~last"))
                for (name, item) in items { try inner.encode(item, forKey: Key(name)) }
            default:
                var container = encoder.singleValueContainer()
                switch self {
                case .null: try container.encodeNil()
                case .bool(let value): try container.encode(value)
                case .int(let value): try container.encode(value)
                case .int8(let value): try container.encode(value)
                case .int64(let value): try container.encode(value)
                case .uint64(let value): try container.encode(value)
                case .uint8(let value): try container.encode(value)
                case .double(let value): try container.encode(value)
                case .date(let value): try container.encode(value)
                case .url(let value): try container.encode(value)
                case .data(let value): try container.encode(value)
                case .string(let value): try container.encode(value)
                case .optional(let value): try container.encode(value)
                case .array, .object, .nested: preconditionFailure()
                }
            }
        }
    }

    typealias Numbers = MemberDiffTests.Numbers

    /// Every byte that has an escape, plus slash, DEL and non-ASCII text.
    static let pieces: [String] =
        [
            "a", "Z", "0", "/", "\"", "\\", "\u{7F}", "é", "ß", "😀", "\u{2028}", " ", "~", "comms_sender_",
        ] + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    static func string(_ numbers: inout Numbers) -> String {
        String((0..<numbers.next(6)).map { _ in pieces[numbers.next(pieces.count)] }.joined())
    }

    static func value(_ numbers: inout Numbers, depth: Int) -> Value {
        let kinds = depth > 3 ? 13 : 16
        switch numbers.next(kinds) {
        case 0: return .null
        case 1: return .bool(numbers.next(2) == 0)
        case 2: return .int([0, -1, 1, Int.min, Int.max, numbers.next(1_000_000) - 500_000][numbers.next(6)])
        case 3: return .int8([Int8.min, Int8.max, -3][numbers.next(3)])
        case 4: return .int64(Int64.min)
        case 5: return .uint64([UInt64.max, 0, 42][numbers.next(3)])
        case 6: return .uint8(UInt8(numbers.next(256)))
        case 7: return .double([0, 0.5, -1.25, 1e21, 1.0 / 3, 100, 0.1 + 0.2][numbers.next(7)])
        case 8: return .date(Date(timeIntervalSinceReferenceDate: Double(numbers.next(1_000_000)) / 8))
        case 9: return .url(URL(string: "https://example.com/a/b?c=\(numbers.next(9))")!)
        case 10: return .data(Data((0..<numbers.next(9)).map { UInt8($0 * 37 & 0xFF) }))
        case 11: return .optional(numbers.next(2) == 0 ? nil : string(&numbers))
        case 12: return .string(string(&numbers))
        case 13: return .array((0..<numbers.next(4)).map { _ in value(&numbers, depth: depth + 1) })
        case 14:
            // Duplicate and prefix keys on purpose: the last value of a key wins.
            return .object((0..<numbers.next(6)).map { _ in (key(&numbers), value(&numbers, depth: depth + 1)) })
        default:
            return .nested(key(&numbers), (0..<numbers.next(3)).map { _ in (key(&numbers), value(&numbers, depth: depth + 1)) })
        }
    }

    static func key(_ numbers: inout Numbers) -> String {
        ["a", "ab", "b", "B", "_", "é", "a\"", "", "10", "9", "key/x"][numbers.next(11)]
    }

    @Test func randomValuesEncodeAsJSONEncoderDoes() throws {
        for seed in 1...400 as ClosedRange<UInt64> {
            var numbers = Numbers(state: seed)
            let value = Self.value(&numbers, depth: 0)
            try Self.expectSame(value)
        }
    }

    @Test func emptyContainersAndScalarsAtTheTop() throws {
        try Self.expectSame([String]())
        try Self.expectSame([String: Int]())
        try Self.expectSame([[String: [Int]]()])
        try Self.expectSame(["k": [String: String]()])
        try Self.expectSame("top\n\"/")
        try Self.expectSame(7)
        try Self.expectSame(["b": 1, "a": 2, "A": 3, "é": 4, "aa": 5])
        try Self.expectSame([Int?.none, 1])
    }

    /// Classes that encode their superclass part through a super encoder.
    struct WithSuper: Encodable {
        enum Keys: String, CodingKey { case name, base, list }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("child", forKey: .name)
            var base = container.superEncoder().container(keyedBy: Keys.self)
            try base.encode("parent", forKey: .name)
            try ["x", "y"].encode(to: container.superEncoder(forKey: .base))
            var list = container.nestedUnkeyedContainer(forKey: .list)
            try list.encode(1)
            try "single".encode(to: list.superEncoder())
            try list.encode(2)
        }
    }

    @Test func superEncodersEncodeAsJSONEncoderDoes() throws {
        try Self.expectSame(WithSuper())
    }

    /// The plan document itself, with every optional part present.
    @Test func aPlanFileEncodesAsJSONEncoderDoes() throws {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plan")
        let cases = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        var decoded = 0
        for name in cases {
            guard let data = try? Data(contentsOf: url.appendingPathComponent(name).appendingPathComponent("plan.json")) else {
                continue
            }
            let plan = try JSONDecoder().decode(PlanFile.self, from: data)
            decoded += 1
            try Self.expectSame(plan)
        }
        #expect(decoded > 0, "no plan fixture decoded as a PlanFile")
    }
}

import Foundation

/// Writes the tree in `JSONEncoder`'s pretty layout: two-space indent,
/// `" : "` after keys, keys in UTF-8 byte order, and `[\n\n]` for an empty
/// container at its indent.
struct SortedJSONWriter {
    var bytes: [UInt8] = []

    mutating func write(_ node: SortedJSONNode, indent: Int) {
        switch node {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .int(let value): appendNumber(value)
        case .uint(let value): appendNumber(value)
        case .string(let value): writeString(value)
        case .verbatim(let text): bytes.append(contentsOf: text)
        case .array(let box):
            bytes.append(UInt8(ascii: "["))
            bytes.append(0x0A)
            let items = box.items
            for (index, item) in items.enumerated() {
                if index > 0 { append(",\n") }
                writeIndent(indent + 1)
                write(item, indent: indent + 1)
            }
            bytes.append(0x0A)
            writeIndent(indent)
            bytes.append(UInt8(ascii: "]"))
        case .object(let box):
            bytes.append(UInt8(ascii: "{"))
            bytes.append(0x0A)
            var first = true
            let items = box.items
            for index in order(of: items) {
                let item = items[index]
                if !first { append(",\n") }
                first = false
                writeIndent(indent + 1)
                writeString(item.key)
                append(" : ")
                write(item.value, indent: indent + 1)
            }
            bytes.append(0x0A)
            writeIndent(indent)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// The order to write an object's items in, for each shape (its keys in
    /// the order given) seen so far. A plan repeats a few shapes thousands
    /// of times, so this is mostly one compare of small strings per key.
    var shapes: [(keys: [String], order: [Int])] = []

    mutating func order(of items: [(key: String, value: SortedJSONNode)]) -> [Int] {
        for shape in shapes.reversed() where shape.keys.count == items.count {
            if zip(shape.keys, items).allSatisfy({ $0 == $1.key }) { return shape.order }
        }
        let order = Self.order(of: items.map(\.key))
        if shapes.count == 64 { shapes.removeFirst() }
        shapes.append((items.map(\.key), order))
        return order
    }

    /// Keys in UTF-8 byte order; for a key given twice the last value wins,
    /// as it does in JSONEncoder's dictionary.
    static func order(of keys: [String]) -> [Int] {
        let sorted = keys.indices.sorted { a, b in
            switch compare(keys[a], keys[b]) {
            case 0: a < b
            case let order: order < 0
            }
        }
        return sorted.indices.compactMap { position in
            let index = sorted[position]
            let overwritten = position + 1 < sorted.count && keys[sorted[position + 1]] == keys[index]
            return overwritten ? nil : index
        }
    }

    /// UTF-8 byte order, as `JSONEncoder` sorts keys on Linux.
    static func compare(_ a: String, _ b: String) -> Int32 {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order : Int32(x.count - y.count).signum()
            }
        }
    }

    mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func appendNumber<T: BinaryInteger>(_ value: T) {
        bytes.append(contentsOf: value.description.utf8)
    }

    static let spaces = [UInt8](repeating: 0x20, count: 64)

    mutating func writeIndent(_ level: Int) {
        var left = 2 * level
        while left > 0 {
            let run = min(left, Self.spaces.count)
            bytes.append(contentsOf: Self.spaces[0..<run])
            left -= run
        }
    }

    /// JSONEncoder's escapes: `"` and `\` by backslash, the short forms for
    /// \b \f \n \r \t, `\u00xx` (lowercase) for the other control bytes;
    /// `/`, DEL and non-ASCII as they are.
    mutating func writeString(_ value: String) {
        bytes.append(0x22)
        var text = value
        text.withUTF8 { raw in
            var mark = 0
            for (index, byte) in raw.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: raw[mark..<index]))
                mark = index + 1
                bytes.append(0x5C)
                switch byte {
                case 0x22, 0x5C: bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    append("u00")
                    bytes.append(Self.hexDigit(byte >> 4))
                    bytes.append(Self.hexDigit(byte & 0x0F))
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: raw[mark...]))
        }
        bytes.append(0x22)
    }

    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x61 + value - 10
    }
}

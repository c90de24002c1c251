import Foundation

/// JSONDecoder keeps one of two equal property names without a word, but a
/// repeated property makes a request body (or a page token) invalid: closed
/// schemas, schema/API-DECISIONS.md. This scan only looks for that, in JSON
/// that JSONDecoder has already accepted.
enum DuplicateKeys {
    /// The first property name that appears twice in one object, or nil.
    static func first(in json: Data) -> String? {
        json.withUnsafeBytes { bytes in
            // One entry per open container: the names seen so far, or nil for an array.
            var open: [Set<String>?] = []
            var expectingName = false
            var i = 0
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "{"):
                    open.append([])
                    expectingName = true
                case UInt8(ascii: "["):
                    open.append(nil)
                    expectingName = false
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    _ = open.popLast()
                    expectingName = false
                case UInt8(ascii: ","):
                    expectingName = open.last.map { $0 != nil } ?? false
                case UInt8(ascii: "\""):
                    let start = i
                    i += 1
                    while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                    if expectingName, i < bytes.count {
                        let name = Self.string(UnsafeRawBufferPointer(rebasing: bytes[start...i]))
                        if open[open.count - 1]?.insert(name).inserted == false { return name }
                        expectingName = false
                    }
                default:
                    break
                }
                i += 1
            }
            return nil
        }
    }

    /// A JSON string literal, quotes included, as text.
    private static func string(_ literal: UnsafeRawBufferPointer) -> String {
        if !literal.contains(UInt8(ascii: "\\")) { return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self) }
        return (try? JSONDecoder().decode(String.self, from: Data(literal))) ?? String(decoding: literal, as: UTF8.self)
    }
}

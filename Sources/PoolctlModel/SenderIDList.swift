/// A list of sender ids held compactly: an id of the API's usual form,
/// `comms_sender_` and 26 lowercase Crockford base-32 characters whose first
/// is 0-7, fits 128 bits (3 + 25 × 5), so 16 bytes instead of a 39-byte
/// `String` on the heap (about 96 bytes with its header and slot). A list
/// with any other id keeps `String`s. Order and equality are those of the
/// strings: packing keeps Crockford's order, which is ASCII order.
public struct SenderIDList: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case packed([UInt64])  // two words per id: high, low
        case strings([String])
    }

    var storage: Storage

    public init(_ ids: [String]) {
        var words: [UInt64] = []
        words.reserveCapacity(ids.count * 2)
        for id in ids {
            guard let (high, low) = Self.pack(id) else {
                storage = .strings(ids)
                return
            }
            words.append(high)
            words.append(low)
        }
        storage = .packed(words)
    }

    public var count: Int {
        switch storage {
        case .packed(let words): words.count / 2
        case .strings(let ids): ids.count
        }
    }

    /// The ids as strings (made on each call for a packed list).
    public var strings: [String] {
        switch storage {
        case .strings(let ids): return ids
        case .packed(let words):
            var ids: [String] = []
            ids.reserveCapacity(words.count / 2)
            var index = 0
            while index < words.count {
                ids.append(Self.unpack(words[index], words[index + 1]))
                index += 2
            }
            return ids
        }
    }

    static let prefix = Array("comms_sender_".utf8)
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    static func pack(_ id: String) -> (UInt64, UInt64)? {
        var id = id
        return id.withUTF8 { bytes -> (UInt64, UInt64)? in
            guard bytes.count == prefix.count + 26 else { return nil }
            for k in 0..<prefix.count where bytes[k] != prefix[k] { return nil }
            var high: UInt64 = 0
            var low: UInt64 = 0
            for k in 0..<26 {
                let value = values[Int(bytes[prefix.count + k])]
                guard value != 0xFF, k > 0 || value < 8 else { return nil }
                let bits: UInt64 = k == 0 ? 3 : 5
                high = (high << bits) | (low >> (64 - bits))
                low = (low << bits) | UInt64(value)
            }
            return (high, low)
        }
    }

    static func unpack(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: prefix.count + 26) { buffer in
            for k in 0..<prefix.count { buffer[k] = prefix[k] }
            var high = high
            var low = low
            for k in stride(from: 25, through: 0, by: -1) {
                let bits: UInt64 = k == 0 ? 3 : 5
                buffer[prefix.count + k] = alphabet[Int(low & ((1 << bits) - 1))]
                low = (low >> bits) | (high << (64 - bits))
                high >>= bits
            }
            return prefix.count + 26
        }
    }
}

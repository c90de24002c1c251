#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `String` per distinct scalar text in a stream.
///
/// A manifest set lists the same sender id in many pools, and the same keys
/// (`name`, `senders`) in every pool. Making a new `String` for each
/// occurrence cost an allocation and, for an id of 40-odd bytes, about 100
/// bytes of heap per reference, in the tree and in everything built from
/// it (issue 20). Here a repeated text costs a hash and a compare, and its
/// occurrences share one string's storage.
///
/// An open-addressing table keyed by the raw bytes, so a hit allocates
/// nothing. Only texts up to `maxLength` bytes are interned: long texts
/// rarely repeat and would only hold memory.
struct ScalarInterner {
    static let maxLength = 128

    private var strings: [String] = []
    /// 1 + index into `strings`, or 0 for an empty slot.
    private var slots: [Int32]
    private var hashes: [UInt64]
    private var mask: Int

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        hashes = Array(repeating: 0, count: size)
        mask = size - 1
    }

    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count <= Self.maxLength, strings.count < Int(Int32.max) - 1 else {
            return String(decoding: bytes, as: UTF8.self)
        }
        let hash = Self.hash(bytes)
        var at = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[at]
            if slot == 0 { break }
            if hashes[at] == hash {
                let candidate = strings[Int(slot) - 1]
                if Self.equal(candidate, bytes) { return candidate }
            }
            at = (at + 1) & mask
        }
        let text = String(decoding: bytes, as: UTF8.self)
        strings.append(text)
        slots[at] = Int32(strings.count)
        hashes[at] = hash
        if strings.count * 2 > slots.count { grow() }
        return text
    }

    /// Whether `text` is exactly `bytes` (a text that decoding repaired
    /// never matches, so it is simply not shared).
    private static func equal(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // `memcmp`, not `elementsEqual`: the generic loop was 6% of validate's CPU.
        var text = text
        return text.withUTF8 { stored in
            guard stored.count == bytes.count else { return false }
            guard let a = stored.baseAddress, let b = bytes.baseAddress else { return true }
            return memcmp(a, b, bytes.count) == 0
        }
    }

    /// A multiply-xorshift hash over 8-byte words: not for hostile keys
    /// (a collision costs a probe and a compare, never a wrong answer).
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let count = bytes.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        guard let base = bytes.baseAddress else { return h }
        var i = 0
        while i + 8 <= count {
            h = (h ^ UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(base[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }

    private mutating func grow() {
        let size = slots.count * 2
        var newSlots = [Int32](repeating: 0, count: size)
        var newHashes = [UInt64](repeating: 0, count: size)
        let newMask = size - 1
        for at in slots.indices where slots[at] != 0 {
            var to = Int(truncatingIfNeeded: hashes[at]) & newMask
            while newSlots[to] != 0 { to = (to + 1) & newMask }
            newSlots[to] = slots[at]
            newHashes[to] = hashes[at]
        }
        slots = newSlots
        hashes = newHashes
        mask = newMask
    }
}

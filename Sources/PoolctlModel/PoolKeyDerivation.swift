import Foundation

/// Pool keys made from live pool names, for `export`: lower-cased, reduced
/// to the key alphabet (`^[a-z0-9][a-z0-9._-]{0,62}$`), at most 63
/// characters, and made unique with a numeric suffix. A pure function of its
/// input, so the same live state always gives the same keys.
public enum PoolKeyDerivation {
    /// The key for a name whose letters are all outside a-z and 0-9.
    public static let fallback = "pool"

    /// "Sales Leads - APAC" -> "sales-leads-apac", "Café" -> "cafe",
    /// "v1.2_eu" -> "v1.2_eu". Accents are dropped (canonical decomposition,
    /// then combining marks removed); every other run of characters outside
    /// a-z and 0-9 becomes one separator: itself when it is a lone '.' or '_',
    /// else '-'. Separators never start or end a key.
    public static func base(from name: String) -> String {
        var key: [UInt8] = []
        var run: [UInt8] = []
        var sawSeparator = false
        for scalar in name.decomposedStringWithCanonicalMapping.unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            if let byte = alphanumeric(scalar) {
                if sawSeparator, !key.isEmpty {
                    key.append(run.count == 1 && (run[0] == UInt8(ascii: ".") || run[0] == UInt8(ascii: "_")) ? run[0] : UInt8(ascii: "-"))
                }
                run.removeAll()
                sawSeparator = false
                key.append(byte)
            } else {
                sawSeparator = true
                run.append(scalar.isASCII ? UInt8(scalar.value) : 0)
            }
        }
        let cut = trimmed(key.prefix(ResourceName.maxLength))
        return cut.isEmpty ? fallback : String(decoding: cut, as: UTF8.self)
    }

    /// Keys for `names`, in order: each gets its base, or, when that is
    /// taken (by `reserved` or an earlier name), the base with the smallest
    /// free suffix `-2`, `-3`, ..., cut so the key stays within 63 characters.
    public static func assign(_ names: [String], reserved: Set<String>) -> [String] {
        var used = reserved
        return names.map { name in
            let base = Self.base(from: name)
            var key = base
            var number = 2
            while used.contains(key) {
                let suffix = "-\(number)"
                let head = trimmed(Array(base.utf8).prefix(ResourceName.maxLength - suffix.utf8.count))
                key = String(decoding: head, as: UTF8.self) + suffix
                number += 1
            }
            used.insert(key)
            return key
        }
    }

    private static func alphanumeric(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "a"..."z", "0"..."9": return UInt8(scalar.value)
        case "A"..."Z": return UInt8(scalar.value) + 32
        default: return nil
        }
    }

    /// Drops separators at the end (a key ends with a letter or digit here).
    private static func trimmed(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var result = Array(bytes)
        while let last = result.last, alphanumeric(Unicode.Scalar(last)) == nil { result.removeLast() }
        return result
    }
}

import Foundation

/// Base64 through Foundation, with what the emulator adds: the URL-safe
/// alphabet of page tokens, and input with or without padding. Only
/// canonical encodings decode.
enum Base64 {
    /// Unpadded base64url.
    static func urlSafe(_ data: Data) -> String {
        var text = data.base64EncodedString()
        text.replace("+", with: "-")
        text.replace("/", with: "_")
        while text.last == "=" { text.removeLast() }
        return text
    }

    static func decode(_ text: some StringProtocol, urlSafe: Bool) -> Data? {
        var standard = String(text)
        if urlSafe {
            guard !standard.contains(where: { $0 == "+" || $0 == "/" }) else { return nil }
            standard.replace("-", with: "+")
            standard.replace("_", with: "/")
        }
        let padding = String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard + padding) else { return nil }
        // Foundation ignores leftover bits; a canonical encoding has none.
        let canonical = data.base64EncodedString()
        guard standard == canonical || standard == String(canonical.prefix { $0 != "=" }) else { return nil }
        return data
    }
}

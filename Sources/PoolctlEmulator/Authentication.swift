import Foundation
import Synchronization

/// HTTP Basic credentials on `/v1`: the configured pair, or any non-empty
/// pair when none is configured.
struct BasicAuthentication: Sendable {
    private let expected: (user: String, password: String)?
    /// The last header accepted: clients send the same one on every request.
    private let lastAccepted = LastAccepted()

    init(configuration: EmulatorConfiguration) {
        if let sid = configuration.accountSID, let token = configuration.authToken {
            expected = (sid, token)
        } else {
            expected = nil
        }
    }

    /// Whether an `Authorization` header carries acceptable credentials.
    func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        if lastAccepted.matches(header) { return true }
        guard check(header) else { return false }
        lastAccepted.set(header)
        return true
    }

    private func check(_ header: String) -> Bool {
        guard header.count > 6, header.prefix(6).lowercased() == "basic " else { return false }
        let encoded = header.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let bytes = Base64.decode(encoded, urlSafe: false), let pair = String(validating: bytes, as: UTF8.self),
            let colon = pair.firstIndex(of: ":")
        else { return false }
        let user = pair[..<colon]
        let password = pair[pair.index(after: colon)...]
        guard !user.isEmpty, !password.isEmpty else { return false }
        if let expected {
            return Self.constantTimeEqual(user, expected.user) && Self.constantTimeEqual(password, expected.password)
        }
        return true
    }

    static func constantTimeEqual(_ a: Substring, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

/// The last `Authorization` header that passed the check (credentials never
/// change while the emulator runs).
final class LastAccepted: Sendable {
    private let header = Mutex<String?>(nil)

    func matches(_ candidate: String) -> Bool {
        header.withLock { $0 == candidate }
    }

    func set(_ accepted: String) {
        header.withLock { $0 = accepted }
    }
}

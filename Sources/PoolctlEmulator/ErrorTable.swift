/// Error codes of the emulator (one per HTTP status), as tabled in
/// schema/API-DECISIONS.md.
public enum EmulatorErrors {
    public static func code(for status: Int) -> Int {
        switch status {
        case 400: return 20001
        case 401: return 20003
        case 404: return 20404
        case 405: return 20004
        case 409: return 20409
        case 429: return 20429
        case 503: return 20503
        default: return status >= 500 ? 20500 : 20000 + status
        }
    }

    public static func moreInfo(code: Int) -> String { "https://www.twilio.com/docs/errors/\(code)" }
}

/// `{"code","message","moreInfo","status"}`: the body of every 4xx and 5xx.
struct ErrorBody: Encodable {
    var code: Int
    var message: String
    var moreInfo: String
    var status: Int

    init(status: Int, message: String) {
        self.code = EmulatorErrors.code(for: status)
        self.message = message.isEmpty ? "error" : message
        self.moreInfo = EmulatorErrors.moreInfo(code: code)
        self.status = status
    }
}

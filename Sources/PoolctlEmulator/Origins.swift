import Synchronization

/// The origin of the absolute URLs in responses (`Location`,
/// `operationLocation`, `resourceLocation`): `http://` + the request's
/// `Host`, or the listen address if it has none (or one that cannot be part
/// of a URL); under `locations=foreign`, the real API's origin.
final class Origins: Sendable {
    private let listen: Mutex<String>
    /// `locations=foreign`: always `https://comms.twilio.com`.
    private let foreign: String?

    init(configuration: EmulatorConfiguration) {
        listen = Mutex(EmulatorServer.baseURL(host: configuration.host, port: configuration.port))
        foreign = configuration.behaviors.locations == .foreign ? EmulatorBehaviors.foreignOrigin : nil
    }

    /// Once the socket is bound (the port may have been 0).
    func setListen(_ origin: String) {
        listen.withLock { $0 = origin }
    }

    func origin(authority: String?) -> String {
        if let foreign { return foreign }
        if let authority, !authority.isEmpty, authority.utf8.count <= 255, authority.utf8.allSatisfy(Self.isAuthorityByte) {
            return "http://" + authority
        }
        return listen.withLock { $0 }
    }

    static func isAuthorityByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

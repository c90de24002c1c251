import PoolctlAPI
import PoolctlModel
import Synchronization

/// Counts the `/v1` requests received since start or reset, by endpoint
/// and by status.
final class RequestLogger: Sendable {
    private struct Counts {
        var total = 0
        var byEndpoint: [Endpoint: Int] = [:]
        var byStatus: [Int: Int] = [:]
    }

    private let counts = Mutex(Counts())

    /// `endpoint` is nil for a `/v1` path that names none (404, 405).
    func record(_ endpoint: Endpoint?, status: Int) {
        counts.withLock { counts in
            counts.total += 1
            if let endpoint { counts.byEndpoint[endpoint, default: 0] += 1 }
            counts.byStatus[status, default: 0] += 1
        }
    }

    func reset() {
        counts.withLock { $0 = Counts() }
    }

    var log: EmulatorRequestLog {
        counts.withLock { counts in
            EmulatorRequestLog(
                total: counts.total,
                byEndpoint: Dictionary(uniqueKeysWithValues: counts.byEndpoint.map { ($0.key.rawValue, $0.value) }),
                byStatus: Dictionary(uniqueKeysWithValues: counts.byStatus.map { (String($0.key), $0.value) })
            )
        }
    }
}

/// `GET /_emulator/requests`: `/v1` requests received since start or reset.
public struct EmulatorRequestLog: Sendable, Hashable, Codable {
    public var total: Int
    /// Keyed by `Endpoint.rawValue`, e.g. `GET /v1/SenderPools`.
    public var byEndpoint: [String: Int]
    /// Keyed by status code as text, e.g. `"200"`.
    public var byStatus: [String: Int]

    public init(total: Int = 0, byEndpoint: [String: Int] = [:], byStatus: [String: Int] = [:]) {
        self.total = total
        self.byEndpoint = byEndpoint
        self.byStatus = byStatus
    }
}

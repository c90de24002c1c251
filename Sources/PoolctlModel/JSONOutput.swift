import Foundation

/// Deterministic JSON for every machine format poolctl prints or saves:
/// pretty, key-sorted, with a trailing newline. It lives here, at the bottom
/// of the layers, because both the plan file (PoolctlPlan) and the renderers
/// (PoolctlRender) write with it.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) -> String {
        // Encoding our own value types cannot fail.
        var bytes = try! SortedJSONEncoder.encode(value)
        bytes.append(0x0A)
        return String(decoding: bytes, as: UTF8.self)
    }
}

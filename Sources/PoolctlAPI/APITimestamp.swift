import PoolctlModel

/// The two time formats the API sends, RFC 3339 in bodies and HTTP-date in
/// headers: `WireTime` in the model layer, under the name the engine and
/// the commands already use.
public typealias APITimestamp = WireTime

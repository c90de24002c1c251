/// A YAML value to write: the emitter's input. Mappings keep the order they
/// are given in, so callers decide it (and sort wherever order is free).
public indirect enum YAMLValue: Sendable, Hashable {
    /// Always read back as this exact string: the emitter quotes it when YAML
    /// would otherwise resolve it to something else.
    case string(String)
    case bool(Bool)
    case mapping([YAMLValuePair])
    case sequence([YAMLValue])
}

/// One key/value pair of a `YAMLValue.mapping`; keys are strings.
public struct YAMLValuePair: Sendable, Hashable {
    public var key: String
    public var value: YAMLValue

    public init(_ key: String, _ value: YAMLValue) {
        self.key = key
        self.value = value
    }
}

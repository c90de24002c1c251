import CYAML

/// Writes `YAMLValue` documents with libyaml's emitter, the same Debian
/// library the parser reads with: block style, 2-space indent, no line
/// folding, UTF-8 text unescaped. Strings get the style `ScalarStyleChoice`
/// picks, so that each reads back as the same string. Output depends only
/// on the values given: the same values always give the same bytes.
public struct YAMLEmitter: Sendable {
    public init() {}

    /// libyaml refused an event (it never should for a `YAMLValue`).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// One YAML stream holding `documents` in order; every document after
    /// the first starts with `---`.
    public func emit(_ documents: [YAMLValue]) throws(Failure) -> [UInt8] {
        let output = Output()
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) == 1 else { throw Failure(description: "libyaml could not be initialised") }
        defer { yaml_emitter_delete(emitter) }
        yaml_emitter_set_output(
            emitter,
            { data, buffer, size in
                guard let data, let buffer else { return 0 }
                Unmanaged<Output>.fromOpaque(data).takeUnretainedValue().bytes.append(
                    contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                return 1
            }, Unmanaged.passUnretained(output).toOpaque())
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_indent(emitter, 2)
        // Unlimited width: libyaml never folds a long scalar across lines.
        yaml_emitter_set_width(emitter, -1)
        yaml_emitter_set_break(emitter, YAML_LN_BREAK)

        let writer = EventWriter(emitter: emitter)
        try writer.send { yaml_stream_start_event_initialize(&$0, YAML_UTF8_ENCODING) }
        for document in documents {
            try writer.send { yaml_document_start_event_initialize(&$0, nil, nil, nil, 1) }
            try writer.value(document)
            try writer.send { yaml_document_end_event_initialize(&$0, 1) }
        }
        try writer.send { yaml_stream_end_event_initialize(&$0) }
        guard yaml_emitter_flush(emitter) == 1 else { throw writer.failure() }
        return output.bytes
    }
}

/// The write handler's destination. A class so that the C callback can
/// reach it through an opaque pointer.
private final class Output {
    var bytes: [UInt8] = []
}

/// Turns values into events, one `yaml_emitter_emit` each.
private struct EventWriter {
    let emitter: UnsafeMutablePointer<yaml_emitter_t>

    /// Initialises an event and hands it to the emitter, which owns it from
    /// then on (and frees it even when it fails).
    func send(_ initialize: (inout yaml_event_t) -> Int32) throws(YAMLEmitter.Failure) {
        var event = yaml_event_t()
        guard initialize(&event) == 1 else { throw YAMLEmitter.Failure(description: "libyaml could not create an event") }
        guard yaml_emitter_emit(emitter, &event) == 1 else { throw failure() }
    }

    func failure() -> YAMLEmitter.Failure {
        YAMLEmitter.Failure(description: emitter.pointee.problem.map { String(cString: $0) } ?? "libyaml could not write YAML")
    }

    func value(_ value: YAMLValue) throws(YAMLEmitter.Failure) {
        switch value {
        case .string(let text):
            try scalar(text, style: ScalarStyleChoice.choose(for: text))
        case .bool(let flag):
            try scalar(flag ? "true" : "false", style: .plain)
        case .mapping(let pairs):
            // An empty collection is written in flow style: `{}`.
            let style = pairs.isEmpty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE
            try send { yaml_mapping_start_event_initialize(&$0, nil, nil, 1, style) }
            for pair in pairs {
                try scalar(pair.key, style: ScalarStyleChoice.choose(for: pair.key))
                try self.value(pair.value)
            }
            try send { yaml_mapping_end_event_initialize(&$0) }
        case .sequence(let items):
            let style = items.isEmpty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE
            try send { yaml_sequence_start_event_initialize(&$0, nil, nil, 1, style) }
            for item in items { try self.value(item) }
            try send { yaml_sequence_end_event_initialize(&$0) }
        }
    }

    private func scalar(_ text: String, style choice: ScalarStyleChoice) throws(YAMLEmitter.Failure) {
        let style: yaml_scalar_style_t
        switch choice {
        case .plain: style = YAML_PLAIN_SCALAR_STYLE
        case .singleQuoted: style = YAML_SINGLE_QUOTED_SCALAR_STYLE
        case .doubleQuoted: style = YAML_DOUBLE_QUOTED_SCALAR_STYLE
        }
        let count = Int32(text.utf8.count)
        // libyaml copies the value, so the pointer need not outlive the call;
        // withCString gives even an empty string a valid pointer.
        try send { event in
            text.withCString { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: Int(count) + 1) {
                    yaml_scalar_event_initialize(&event, nil, nil, $0, count, 1, 1, style)
                }
            }
        }
    }
}

import PoolctlModel
import PoolctlYAML

/// Reading located YAML nodes of one file into typed values, with every
/// problem kept as a diagnostic at its line and column. Shared by the
/// manifest and policy decoders, so both word their errors alike; the
/// typed access itself is PoolctlYAML's `YAMLNodeReader`, which the
/// emulator's seed decoder shares.
protocol NodeDecoding: YAMLNodeReader {
    var file: String { get }
    var diagnostics: [Diagnostic] { get set }
}

extension NodeDecoding {
    mutating func report(_ message: String, at mark: Mark) {
        error(message, at: mark)
    }

    func location(_ mark: Mark) -> SourceLocation {
        SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    mutating func error(_ message: String, at mark: Mark, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(message, at: location(mark), notes: notes))
    }

    func scalarText(_ node: YAMLNode) -> String? { node.scalarText }

    func isNull(_ node: YAMLNode) -> Bool { node.isNull }

    mutating func scalarKey(_ node: YAMLNode) -> YAMLScalar? {
        guard case .scalar(let scalar) = node else {
            error("mapping keys must be plain text, not \(node.kindDescription)", at: node.mark)
            return nil
        }
        // libyaml does not resolve YAML 1.1 merge keys: say so, rather than call it an unknown or invalid key.
        if scalar.text == "<<", scalar.style == .plain, scalar.tag == nil {
            error("YAML merge keys ('<<: *anchor') are not supported: write the keys out", at: scalar.mark)
            return nil
        }
        return scalar
    }

    /// Any non-null scalar, as its literal text: `1.0` stays `1.0`.
    mutating func string(_ node: YAMLNode, field: String) -> Located<String>? {
        nonNullScalar(node, what: field).map { Located($0.text, at: location($0.mark)) }
    }

    /// A plain (or `!!int`/`!!float`) scalar that is a finite number.
    func number(_ scalar: YAMLScalar) -> Double? {
        if let tag = scalar.tag, tag != .int, tag != .float { return nil }
        guard scalar.style == .plain || scalar.tag != nil, let value = Double(scalar.text), value.isFinite else { return nil }
        return value
    }

    /// A value as an error message shows it: scalars quoted, others by kind.
    func shown(_ node: YAMLNode) -> String { node.shown }

    mutating func bool(_ node: YAMLNode, field: String) -> Located<Bool>? {
        guard case .scalar(let scalar) = node, let value = scalar.bool else {
            // `protect: "true"` reads as text: say why it is refused.
            let text = if case .scalar(let scalar) = node { scalar.text.lowercased() } else { "" }
            let string = text == "true" || text == "false" ? " (a string: remove the quotes or the !!str tag)" : ""
            error("'\(field)' must be true or false, not \(node.shown)\(string)", at: node.mark)
            return nil
        }
        return Located(value, at: location(scalar.mark))
    }

    mutating func unknownKey(_ key: YAMLScalar, valid: [String], describe: (String) -> String) {
        if let suggestion = Suggestion.nearest(to: key.text, in: valid) {
            error("\(describe(key.text)); did you mean '\(suggestion)'?", at: key.mark)
        } else {
            error("\(describe(key.text)); valid keys are \(valid.sorted().joined(separator: ", "))", at: key.mark)
        }
    }
}

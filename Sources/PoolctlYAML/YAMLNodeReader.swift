/// Typed access to located nodes, shared by every decoder of a YAML
/// document into values: each accessor returns the value of the kind asked
/// for, or reports `"<expected>, not <kind>"` at the node's mark and returns
/// nil. What the document means, and how problems are kept, is the
/// decoder's: it only says where a problem goes (`report`).
public protocol YAMLNodeReader {
    /// Records a problem at a position.
    mutating func report(_ message: String, at mark: Mark)
}

extension YAMLNodeReader {
    /// A mapping's pairs. With `nullIsAbsent` a null gives nil silently
    /// (an optional section left empty); anything else is reported.
    public mutating func mappingPairs(
        _ node: YAMLNode, expected: @autoclosure () -> String, nullIsAbsent: Bool = false
    ) -> [YAMLPair]? {
        checked(node.pairs, node, expected, nullIsAbsent: nullIsAbsent)
    }

    /// A sequence's items, as `mappingPairs` reads a mapping.
    public mutating func sequenceItems(
        _ node: YAMLNode, expected: @autoclosure () -> String, nullIsAbsent: Bool = false
    ) -> [YAMLNode]? {
        checked(node.items, node, expected, nullIsAbsent: nullIsAbsent)
    }

    /// Any scalar but null, whatever its style or tag: `1.0` stays `1.0`.
    /// Anything else is `"<what> must be a string, not <kind>"`.
    public mutating func nonNullScalar(_ node: YAMLNode, what: @autoclosure () -> String) -> YAMLScalar? {
        if case .scalar(let scalar) = node, !scalar.isNull { return scalar }
        report("\(what()) must be a string, not \(node.kindDescription)", at: node.mark)
        return nil
    }

    /// `value` when the node is of the kind asked for; else nil, reported
    /// unless it is a null that may stand for nothing.
    private mutating func checked<Value>(
        _ value: Value?, _ node: YAMLNode, _ expected: () -> String, nullIsAbsent: Bool
    ) -> Value? {
        if value == nil, !(nullIsAbsent && node.isNull) {
            report("\(expected()), not \(node.kindDescription)", at: node.mark)
        }
        return value
    }
}

extension YAMLNode {
    /// A scalar's text (a null's included), or nil for a collection.
    public var scalarText: String? {
        if case .scalar(let scalar) = self { return scalar.text }
        return nil
    }

    /// A mapping's pairs, or nil for any other node.
    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs, _) = self { return pairs }
        return nil
    }

    /// A sequence's items, or nil for any other node.
    public var items: [YAMLNode]? {
        if case .sequence(let items, _) = self { return items }
        return nil
    }

    /// A null scalar (`~`, `null`, an empty value).
    public var isNull: Bool {
        if case .scalar(let scalar) = self { return scalar.isNull }
        return false
    }

    /// The node as an error message shows a value: a non-null scalar
    /// quoted, anything else by its kind.
    public var shown: String {
        if case .scalar(let scalar) = self, !scalar.isNull { return "'\(scalar.text)'" }
        return kindDescription
    }
}

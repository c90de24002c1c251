/// A listing is not a snapshot: offset pages shift under other writes and
/// show an item twice, and several listings show it again. One resource is
/// still one resource, never a duplicate of itself.
extension Sequence {
    /// Each id once, in the order first seen, with its latest sighting's data.
    public func latestSightings<ID: Hashable>(by id: (Element) -> ID) -> [Element] {
        var at: [ID: Int] = [:]
        var unique: [Element] = []
        for item in self {
            if let index = at[id(item)] {
                unique[index] = item
            } else {
                at[id(item)] = unique.count
                unique.append(item)
            }
        }
        return unique
    }
}

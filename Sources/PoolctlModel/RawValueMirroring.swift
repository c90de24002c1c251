extension RawRepresentable where RawValue == String {
    /// The case of this enum with `other`'s raw value: the public formats'
    /// enums spell the internal ones' cases alike, so they map by raw value,
    /// not by hand-written switch pairs. A case one side lacks is a bug that
    /// the formats' tests catch (`everyPublicEnumMirrorsItsModel`).
    public init<Other: RawRepresentable>(mirroring other: Other) where Other.RawValue == String {
        guard let value = Self(rawValue: other.rawValue) else {
            preconditionFailure("\(Self.self) has no case '\(other.rawValue)' of \(Other.self)")
        }
        self = value
    }
}

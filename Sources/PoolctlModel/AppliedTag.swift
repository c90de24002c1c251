/// The reserved tag `poolctl-applied` (issue 21): a fingerprint of what apply
/// last made a pool, so that a plan can tell a change in the manifests from
/// a change made outside poolctl. Reserved before poolctl writes it, so that
/// no manifest can claim the key first. Its grammar, `d1.NAME.TAGS.MEMBERS`
/// (short lowercase hex hashes), is separate from the ownership tag's, so
/// older poolctl versions still recognise every pool.
public enum AppliedTag {
    /// The reserved tag key. Users may not set it or list it in ignoreTags.
    public static let tagKey = "poolctl-applied"
}

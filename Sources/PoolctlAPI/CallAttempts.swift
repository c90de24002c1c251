/// How many attempts the live client may make per call of the current task,
/// at most. The stack lease sets it for its own calls: each of its steps
/// retries a failed call itself, and an apply's client makes 8 attempts, so
/// retries on retries would turn an outage during acquisition into minutes.
public enum CallAttempts {
    /// Nil: the client's own `maxAttempts`.
    @TaskLocal public static var cap: Int?
}

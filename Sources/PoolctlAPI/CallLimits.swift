/// How many attempts the live client may make per call of the current task,
/// at most. The stack lease sets it for its own calls: each of its steps
/// retries a failed call itself, and an apply's client makes 8 attempts, so
/// retries on retries would turn an outage during acquisition into minutes.
public enum CallAttempts {
    /// Nil: the client's own `maxAttempts`.
    @TaskLocal public static var cap: Int?
}

/// A check the live client makes before it repeats a call of the current
/// task: when it throws, the call ends with that error and is not sent
/// again. Writes under the stack lease set it to the lease's own check, so a
/// write whose attempts keep failing is never sent after writes must stop
/// (the lease may be judged stale by then).
public enum RetryGuard {
    @TaskLocal public static var check: (@Sendable () throws -> Void)?
}

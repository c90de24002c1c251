import PoolctlModel
import Synchronization

/// Senders per Create or Add Senders request, shared by a whole apply. It
/// starts at `--max-batch` (or the documented 10,000) and only shrinks: a
/// 400 on a batch means the API did not process it, so the batch is halved
/// and the smaller size kept for the rest of the run.
final class BatchLimit: Sendable {
    private let size: Mutex<Int>

    init(_ initial: Int?) {
        size = Mutex(max(1, min(initial ?? APIFormat.maxSendersPerRequest, APIFormat.maxSendersPerRequest)))
    }

    var current: Int { size.withLock { $0 } }

    /// Halves a batch of `count` that was refused; returns the new size.
    func halve(from count: Int) -> Int {
        size.withLock { size in
            size = max(1, min(size, count / 2))
            return size
        }
    }
}

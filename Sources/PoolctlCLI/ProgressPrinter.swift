import Foundation
import PoolctlEngine
import PoolctlModel
import PoolctlRender

/// Apply's progress: a live status line on a terminal, timestamped lines otherwise.
final class ProgressPrinter: Sendable {
    let console: Console
    let live: Bool
    let start = ContinuousClock.now

    init(console: Console) {
        self.console = console
        live = console.isTerminal
    }

    func handle(_ event: ApplyEvent) {
        let message = Printable.text(event.message)
        let elapsed = ContinuousClock.now - start
        let time = String(format: "%.1fs", elapsed.inSeconds)
        if live {
            let line =
                "\r\u{1B}[2K[\(event.poolsDone)/\(event.poolsTotal) pools] senders +\(event.sendersAdded) -\(event.sendersRemoved)  \(time)  \(event.key): \(message)"
            console.write(String(line.prefix(160)))
        } else {
            let stamp = WireTime.formatRFC3339(Date())
            console.write("\(stamp) [\(event.poolsDone)/\(event.poolsTotal)] \(event.key): \(message)\n")
        }
    }

    func finish() {
        if live { console.write("\n") }
    }
}

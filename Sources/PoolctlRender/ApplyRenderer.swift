import PoolctlEngine
import PoolctlPlan

/// Renders an `ApplyReport`: the final report for people, and JSON.
public enum ApplyRenderer {
    public static func text(_ report: ApplyReport, color: Bool = false) -> String {
        let style = Style(enabled: color)
        var out = ""
        for pool in report.pools {
            let id = pool.poolID.map { " " + Printable.text($0) } ?? ""
            switch pool.status {
            case .converged:
                out += style.green("  ✓ \(pool.key)") + "\(id) \(pool.action.rawValue): converged"
            case .failed:
                out += style.red("  ✗ \(pool.key)") + "\(id) \(pool.action.rawValue): NOT converged"
            case .skipped:
                out += style.yellow("  - \(pool.key)") + "\(id) \(pool.action.rawValue): skipped"
            }
            if pool.sendersAdded > 0 || pool.sendersRemoved > 0 {
                out += " (senders +\(PlanRenderer.grouped(pool.sendersAdded)) -\(PlanRenderer.grouped(pool.sendersRemoved)))"
            }
            out += "\n"
            for operation in pool.operations {
                out +=
                    "      operation \(Printable.text(operation.id)) \(operation.kind.rawValue): \(Printable.text(operation.status)), \(operation.created) created, \(operation.failed) failed of \(operation.total); \(operation.polls) poll\(operation.polls == 1 ? "" : "s")\n"
            }
            if pool.status != .converged, let error = pool.error {
                out += "      error: \(Printable.text(error))\n"
            }
            for difference in pool.remaining {
                out += "      remaining: \(Printable.text(difference))\n"
            }
        }
        let operations = report.pools.flatMap(\.operations)
        let polls = operations.reduce(0) { $0 + $1.polls }
        out += "\nAPI calls by endpoint:\n"
        for endpoint in report.apiCalls.keys.sorted() {
            out += "  \(PlanRenderer.grouped(report.apiCalls[endpoint]!).leftPadded(7))  \(endpoint)\n"
        }
        out += "  \(PlanRenderer.grouped(report.totalCalls).leftPadded(7))  total (\(PlanRenderer.grouped(report.retries)) retries)"
        if let estimate = report.estimatedCalls { out += "; the plan estimated \(PlanRenderer.grouped(estimate))" }
        out += "\n"
        if !operations.isEmpty {
            let perOperation = Double(polls) / Double(operations.count)
            out += "Operations: \(operations.count), polls: \(polls) (\(formatted(perOperation)) per operation)\n"
        }
        let converged = report.pools.filter { $0.status == .converged }.count
        let line: String
        switch report.outcome {
        case .converged:
            line =
                "Apply complete: \(converged) of \(report.pools.count) pools converged in \(formatted(Double(report.durationMS) / 1000)) s."
        case .partial:
            line =
                "Apply PARTIAL: \(report.pools.count - converged) of \(report.pools.count) pools did not converge (listed above); run `poolctl plan` to see what is left, then apply again."
        }
        out += "\n" + style.bold(report.outcome == .converged ? style.green(line) : style.red(line)) + "\n"
        return out
    }

    public static func json(_ report: ApplyReport) -> String {
        ApplyReportDocument(report).json()
    }

    static func formatted(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        var text = String(scaled)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

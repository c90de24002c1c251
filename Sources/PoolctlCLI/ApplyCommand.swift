import ArgumentParser
import Foundation
import PoolctlAPI
import PoolctlEngine
import PoolctlModel
import PoolctlPlan
import PoolctlRender

enum ApplyFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the live pools match the manifests, or apply a saved plan exactly.",
        discussion: """
            poolctl apply PATH...   plans, shows the plan and asks for 'yes' (on a terminal; \
            elsewhere --auto-approve is required).
            poolctl apply PLANFILE  applies a plan saved with 'plan --out'. It first re-reads every \
            pool the plan depends on and refuses, changing nothing, if any of them changed.

            Creates, patches and additions run first, then removals, then deletions, so a sender \
            moving between pools never leaves service. Every create carries the ownership tag; \
            when a create's outcome is unknown, poolctl looks for the pool before it retries, so \
            a pool is never duplicated. Killing apply and running it again converges.

            Exit codes:
              0  every pool converged (or there was nothing to do)
              1  error before any write (invalid manifests, API failure, not approved)
              3  partial: some pools did not converge; each is listed
              4  the saved plan is stale; nothing was written
            """
    )

    @Argument(help: "Manifest files or directories, or one saved plan file.")
    var paths: [String]

    @OptionGroup var api: APIOptions

    @Flag(help: "Apply without asking for confirmation (required without a terminal).")
    var autoApprove = false

    @Option(help: ArgumentHelp("Overall time limit, e.g. 90s, 15m, 1h.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "15m")!

    @Option(help: "Output format of the final report: text or json.")
    var format: ApplyFormat = .text

    mutating func run() async throws {
        let counter = CallCounter()
        let savedPlan = try savedPlanArgument()
        let stdout = Console.standardOutput
        let stderr = Console.standardError
        let options = api
        let approve = autoApprove
        let format = format
        var applyOptions = ApplyOptions()
        applyOptions.parallelism = api.parallelism
        applyOptions.timeout = timeout.duration

        let report: ApplyReport? = try await withClient(api, counter: counter) { client in
            let plan: Plan
            if let saved = savedPlan {
                plan = saved.plan
                let refresher = Refresher(api: client, parallelism: options.parallelism)
                let adopting = Set(plan.changes.filter { $0.action == .adopt }.compactMap(\.poolID))
                let live = try await refresher.read(stack: plan.stack, adopting: adopting)
                let stale = StalePlanCheck.differences(plan: plan, live: live)
                if !stale.isEmpty {
                    throw CommandFailure(
                        message: "poolctl: the saved plan is stale; nothing was written. Changed since it was made:\n"
                            + stale.map { "  - \($0)" }.joined(separator: "\n")
                            + "\nRun 'poolctl plan' again and review the new plan.",
                        exitCode: 4)
                }
            } else {
                let desired = try loadDesired(paths)
                let live = try await Refresher(api: client, parallelism: options.parallelism).read(for: desired)
                plan = Planner().plan(desired: desired, live: live)
            }
            if format == .text {
                stdout.write(PlanRenderer.text(plan, color: stdout.wantsColor))
            }
            if plan.hasConflicts {
                throw CommandFailure(message: "poolctl: the plan has conflicts; resolve them and plan again. Nothing was written.", exitCode: 1)
            }
            guard plan.hasChanges else {
                if format == .json {
                    stdout.write(ApplyRenderer.json(ApplyReport(stack: plan.stack, pools: [], apiCalls: Self.calls(counter), retries: counter.retries)))
                }
                return nil
            }
            if !approve {
                try Self.confirm()
            }
            let before = counter.calls
            let progress = ProgressPrinter(console: stderr)
            let applier = Applier(api: client, options: applyOptions, progress: { progress.handle($0) })
            var report = await applier.apply(plan)
            progress.finish()
            let after = counter.calls
            var calls: [String: Int] = [:]
            for (endpoint, count) in after where count - (before[endpoint] ?? 0) > 0 {
                calls[endpoint.rawValue] = count - (before[endpoint] ?? 0)
            }
            report.apiCalls = calls
            report.retries = counter.retries
            return report
        }
        guard let report else {
            if format == .text { stdout.write("Nothing to apply.\n") }
            return
        }
        switch format {
        case .text: stdout.write("\n" + ApplyRenderer.text(report, color: stdout.wantsColor))
        case .json: stdout.write(ApplyRenderer.json(report))
        }
        if report.outcome == .partial {
            throw CommandFailure(message: "", exitCode: 3)
        }
    }

    static func calls(_ counter: CallCounter) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: counter.calls.map { ($0.key.rawValue, $0.value) })
    }

    /// One argument that is a JSON file is a saved plan.
    private func savedPlanArgument() throws -> PlanFile? {
        guard paths.count == 1, let data = FileManager.default.contents(atPath: paths[0]),
              data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{") else { return nil }
        return try readPlanFile(paths[0])
    }

    private static func confirm() throws {
        guard isatty(STDIN_FILENO) == 1 else {
            throw CommandFailure(message: "poolctl: apply needs confirmation, and there is no terminal to ask on; pass --auto-approve to apply unattended. Nothing was written.", exitCode: 1)
        }
        Console.standardOutput.write("\nDo you want to apply these changes? Only 'yes' is accepted: ")
        let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
        guard answer == "yes" else {
            throw CommandFailure(message: "poolctl: apply cancelled. Nothing was written.", exitCode: 1)
        }
    }
}

/// Compares a saved plan's fingerprints with the live state now.
enum StalePlanCheck {
    static func differences(plan: Plan, live: LiveState) -> [String] {
        var out: [String] = []
        let byID = Dictionary(live.pools.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for fingerprint in plan.fingerprints {
            let label = fingerprint.key.map { "pool '\($0)' (\(fingerprint.poolID))" } ?? "pool \(fingerprint.poolID)"
            guard let pool = byID[fingerprint.poolID] else {
                out.append("\(label) no longer exists")
                continue
            }
            if PoolFingerprint.digest(of: pool) == fingerprint.digest { continue }
            var what: [String] = []
            if pool.name != fingerprint.name { what.append("name \"\(fingerprint.name)\" -> \"\(pool.name)\"") }
            let members = pool.members?.count ?? 0
            if members != fingerprint.memberCount { what.append("members \(fingerprint.memberCount) -> \(members)") }
            if pool.updatedAt != fingerprint.updatedAt { what.append("updatedAt \(fingerprint.updatedAt) -> \(pool.updatedAt)") }
            if what.isEmpty { what.append("tags or member ids changed") }
            out.append("\(label): \(what.joined(separator: ", "))")
        }
        // A pool now owned under a key the plan would create means a create would duplicate it.
        let creates = Set(plan.changes.filter { $0.action == .create }.map(\.key))
        for pool in live.pools {
            if let ownership = pool.ownership, ownership.stack == plan.stack, creates.contains(ownership.key) {
                out.append("pool '\(ownership.key)' now exists (\(pool.id)); the plan would create it again")
            }
        }
        return out.sorted()
    }
}

/// Progress: a live status line on a terminal, timestamped lines otherwise.
final class ProgressPrinter: Sendable {
    let console: Console
    let live: Bool
    let start = ContinuousClock.now

    init(console: Console) {
        self.console = console
        live = console.isTerminal
    }

    func handle(_ event: ApplyEvent) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let time = String(format: "%.1fs", seconds)
        if live {
            let line = "\r\u{1B}[2K[\(event.poolsDone)/\(event.poolsTotal) pools] senders +\(event.sendersAdded) -\(event.sendersRemoved)  \(time)  \(event.key): \(event.message)"
            console.write(String(line.prefix(160)))
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date())
            console.write("\(stamp) [\(event.poolsDone)/\(event.poolsTotal)] \(event.key): \(event.message)\n")
        }
    }

    func finish() {
        if live { console.write("\n") }
    }
}

import PoolctlModel
import PoolctlPlan

/// Drift (issue 21), apart from intended change: the "Changed outside
/// poolctl" block of a plan, and `poolctl drift`'s report in text, JSON and
/// Markdown.
public enum DriftRenderer {
    /// One line per drifted pool of a plan: the fields that moved and what
    /// apply does about them, cut with an exact count. Empty when nothing drifted.
    public static func planLines(_ plan: Plan) -> [String] {
        PlanRenderer.capped(allPlanLines(plan)) { "\($0) more drifted pool\($0 == "1" ? "" : "s")" }
    }

    static func allPlanLines(_ plan: Plan) -> [String] {
        plan.changes.filter { !$0.drift.isEmpty }.map { change in
            let fields = change.drift.map { field in
                let alsoManifest = change.cause[field] == .both ? " (the manifests changed it too)" : ""
                return "\(field.rawValue)\(alsoManifest): \(effect(of: field, in: change))"
            }
            return "\(change.key) (\(Printable.text(change.poolID ?? "-"))): " + fields.joined(separator: "; ")
        }
    }

    /// What apply does to one field of a change.
    static func effect(of field: ChangeField, in change: PoolChange) -> String {
        switch field {
        case .name:
            return "is \(PlanRenderer.quoted(change.name.before)); apply renames it to \(PlanRenderer.quoted(change.name.after))"
        case .tags:
            var tags = change.tags.filter { !AppliedTag.ownTags.contains($0.key) }.map { tag in
                "\(Printable.text(tag.key)) \(PlanRenderer.quoted(tag.before)) -> \(PlanRenderer.quoted(tag.after))"
            }
            // The ownership tag carries the protection: a hand edit of it is drift of its own.
            if let ownership = change.tags.first(where: { $0.key == Ownership.tagKey }) {
                let protected = { (value: String?) in value.flatMap(Ownership.init(tagValue:))?.protected }
                switch (protected(ownership.before), protected(ownership.after)) {
                case (false, true): tags.append("protection back (protect: true)")
                case (true, false): tags.append("protection off (protect: false)")
                default:
                    tags.append(
                        "the \(Ownership.tagKey) tag \(PlanRenderer.quoted(ownership.before)) -> \(PlanRenderer.quoted(ownership.after))")
                }
            }
            return tags.isEmpty ? "apply sets poolctl's own tags back" : "apply sets " + tags.joined(separator: ", ")
        case .members:
            var parts: [String] = []
            if !change.addSenders.isEmpty { parts.append("adds \(PlanRenderer.grouped(change.addSenders.count)) missing") }
            if !change.removeSenders.isEmpty { parts.append("removes \(PlanRenderer.grouped(change.removeSenders.count)) undeclared") }
            return "apply " + parts.joined(separator: " and ")
                + " sender\(change.addSenders.count + change.removeSenders.count == 1 ? "" : "s")"
        }
    }

    /// The text block of a plan: nothing when nothing drifted.
    static func planText(_ plan: Plan) -> String {
        let lines = planLines(plan)
        guard !lines.isEmpty else { return "" }
        return "\nChanged outside poolctl since the last apply (this plan sets it back):\n"
            + lines.map { "  ≠ \($0)\n" }.joined()
    }

    /// The Markdown alert of a plan: nothing when nothing drifted.
    static func planMarkdown(_ plan: Plan) -> String {
        let lines = planLines(plan)
        guard !lines.isEmpty else { return "" }
        return "> [!IMPORTANT]\n> **Changed outside poolctl** since the last apply; this plan sets it back:\n"
            + lines.map { "> - \(PlanRenderer.escape($0))\n" }.joined() + "\n"
    }

    // MARK: poolctl drift

    static let missingNote =
        "declared, but no live pool carries its ownership: it was never applied, or it was deleted outside poolctl (poolctl keeps no state file, so the two cannot be told apart)"

    public static func text(_ report: DriftReport) -> String {
        var out = "poolctl drift for stack \"\(report.stack)\"\n"
        if report.pools.isEmpty {
            out += noDrift(report, markdown: false)
        } else {
            for pool in report.pools {
                if pool.fields == [DriftReport.missing] {
                    out += "\n  \(pool.key): missing: \(missingNote)\n"
                } else {
                    out += "\n  \(pool.key) (\(Printable.text(pool.poolID ?? "-"))): \(pool.fields.joined(separator: ", "))\n"
                    for field in pool.change.drift { out += "    \(field.rawValue): \(effect(of: field, in: pool.change))\n" }
                }
            }
            out += "\n\(summary(report)). 'poolctl plan' shows the whole plan; 'poolctl apply' sets them back.\n"
        }
        out += unknownNote(report)
        return out
    }

    public static func markdown(_ report: DriftReport) -> String {
        var out = "<!-- poolctl-drift:\(report.stack) -->\n### poolctl drift for stack `\(report.stack)`\n\n"
        if report.pools.isEmpty {
            out += noDrift(report, markdown: true)
        } else {
            out += "\(summary(report)).\n\n| pool | pool id | changed outside poolctl | apply will |\n|---|---|---|---|\n"
            // An issue or PR comment has a size limit: the JSON report lists every pool.
            for pool in report.pools.prefix(PlanRenderer.keyListLimit) {
                let does =
                    pool.fields == [DriftReport.missing]
                    ? PlanRenderer.escape(missingNote)
                    : pool.change.drift.map {
                        "\($0.rawValue): \(PlanRenderer.escape(PlanRenderer.clipped(effect(of: $0, in: pool.change))))"
                    }
                    .joined(separator: "<br>")
                out +=
                    "| `\(pool.key)` | \(pool.poolID.map { PlanRenderer.code($0).replacingOccurrences(of: "|", with: "\\|") } ?? "—") | \(pool.fields.joined(separator: ", ")) | \(does) |\n"
            }
            let rest = report.pools.count - PlanRenderer.keyListLimit
            if rest > 0 {
                out +=
                    "\n… and \(PlanRenderer.grouped(rest)) more drifted pool\(rest == 1 ? "" : "s") (`poolctl drift --format json` lists every one).\n"
            }
        }
        let note = unknownNote(report)
        if !note.isEmpty { out += "\n" + PlanRenderer.escape(note.trimmingSuffixNewline) + "\n" }
        return out
    }

    public static func json(_ report: DriftReport) -> String {
        JSONOutput.encode(Document(report))
    }

    /// What a report without drifted pools says: with changed pools whose
    /// cause cannot be told, "no pool changed" would claim more than was checked.
    static func noDrift(_ report: DriftReport, markdown: Bool) -> String {
        let (title, detail) =
            report.unknown.isEmpty
            ? ("No drift", "no pool changed outside poolctl since the last apply")
            : ("No drift found", "not every changed pool could be checked (below)")
        return markdown ? "**\(title).** \(detail.prefix(1).uppercased() + detail.dropFirst()).\n" : "\n\(title): \(detail).\n"
    }

    static func summary(_ report: DriftReport) -> String {
        let count = report.pools.count
        return "\(PlanRenderer.grouped(count)) pool\(count == 1 ? "" : "s") drifted"
    }

    static func unknownNote(_ report: DriftReport) -> String {
        guard !report.unknown.isEmpty else { return "" }
        let count = report.unknown.count
        return
            "\n\(PlanRenderer.grouped(count)) changed pool\(count == 1 ? "" : "s") (\(report.unknown.prefix(5).joined(separator: ", "))\(count > 5 ? ", …" : "")): drift cannot be told for \(count == 1 ? "it" : "them"). Either no fingerprint yet (an apply, or 'poolctl apply --baseline', records one), or members that moved with the manifests, as an apply that did not finish leaves them; the next apply sets them either way.\n"
    }

    /// `poolctl drift --format json`, formatVersion 1.
    struct Document: Encodable {
        struct Pool: Encodable {
            var key: String
            var poolID: String?
            var fields: [String]

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(key, forKey: .key)
                // Null for a missing pool, never left out.
                try container.encode(poolID, forKey: .poolID)
                try container.encode(fields, forKey: .fields)
            }

            enum CodingKeys: String, CodingKey { case key, poolID, fields }
        }
        var formatVersion = 1
        var kind = "poolctl-drift"
        var stack: String
        var drift: Bool
        var pools: [Pool]
        var unknown: [String]

        init(_ report: DriftReport) {
            stack = report.stack
            drift = report.hasDrift
            pools = report.pools.map { Pool(key: $0.key, poolID: $0.poolID, fields: $0.fields) }
            unknown = report.unknown
        }
    }
}

extension String {
    fileprivate var trimmingSuffixNewline: String {
        var text = self
        while text.hasPrefix("\n") { text.removeFirst() }
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

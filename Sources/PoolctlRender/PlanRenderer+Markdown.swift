import PoolctlModel
import PoolctlPlan

/// The plan as a Markdown PR comment.
extension PlanRenderer {
    /// A PR comment, always under `markdownLimit` characters: a summary
    /// table, destructive changes first, then each pool in `<details>`.
    public static func markdown(_ plan: Plan, showAddresses: Bool = false) -> String {
        let mask = !showAddresses
        let visible = plan.changes.filter { $0.action.isChange || $0.action == .deleteBlocked }
        let sections = markdownNotices(plan) + visible.map { MarkdownSection(head: markdownChange($0, mask: mask)) }
        let footer = "\n<sub>poolctl · `poolctl plan` prints the full plan · addresses \(mask ? "masked" : "shown")</sub>\n"
        return fitted(markdownHead(plan), sections, pools: visible.count, footer: footer)
    }

    /// The marker, then what a reviewer must not miss, then the summary.
    private static func markdownHead(_ plan: Plan) -> String {
        let s = plan.summary
        var head = "<!-- poolctl-plan:\(plan.stack) -->\n"
        // The marker stays first; then what a reviewer must not miss.
        let scope = targetingLines(plan)
        if !scope.isEmpty {
            head += "> [!WARNING]\n> **" + escape(scope[0]) + "**\n>\n> " + escape(scope[1]) + "\n\n"
        }
        head +=
            Finding(plan.destructiveGuard)?.markdown(
                blocked: "**Blocked by the destructive-change guard.** `poolctl plan` exits 1 and `poolctl apply` refuses this plan:",
                passed: "**Destructive-change guard lifted** by `--allow-destructive`; it would have blocked this plan:") ?? ""
        head +=
            Finding(plan.policy)?.markdown(
                blocked: "**Blocked by the policy.** `poolctl plan` exits 1 and `poolctl apply` refuses this plan:",
                passed: "**Policy warnings**; nothing blocks this plan:") ?? ""
        head += DriftRenderer.planMarkdown(plan)
        head += "### poolctl plan for stack `\(plan.stack)`\n\n"
        // The move column appears only when there are moves, so other plans read as before.
        let moves = s.move > 0
        head +=
            "| create | update | adopt |\(moves ? " move |" : "") delete | delete blocked | senders added | senders removed | API calls |\n"
        head += "|---:|---:|---:|\(moves ? "---:|" : "")---:|---:|---:|---:|---:|\n"
        head +=
            "| \(grouped(s.create)) | \(grouped(s.update)) | \(grouped(s.adopt)) |\(moves ? " \(grouped(s.move)) |" : "") \(grouped(s.delete)) | \(grouped(s.deleteBlocked)) | +\(grouped(s.addSenders)) | -\(grouped(s.removeSenders)) | \(grouped(s.apiCalls)) |\n\n"
        head += "`\(summaryLine(plan))`\n\n"
        if !plan.hasChanges && s.conflicts == 0 {
            head += "**No changes.** The live pools match the manifests.\n"
        }
        return head
    }

    /// Conflicts, destructive changes and warnings, each a section when
    /// there are any; their lines are cut one by one to fit.
    private static func markdownNotices(_ plan: Plan) -> [MarkdownSection] {
        var sections: [MarkdownSection] = []
        let conflicts = plan.diagnostics.filter { $0.severity == .error }
        if !conflicts.isEmpty {
            sections.append(
                MarkdownSection(
                    head: "#### ❌ Conflicts (no change is planned for these pools)\n\n",
                    items: conflicts.map { "- \(escape(diagnosticText($0)))\n" }))
        }
        let destructive = plan.changes.filter {
            $0.action == .delete || $0.action == .deleteDuplicate || $0.action == .deleteBlocked || !$0.removeSenders.isEmpty
        }
        if !destructive.isEmpty {
            sections.append(MarkdownSection(head: "#### ⚠️ Destructive changes\n\n", items: destructive.map(destructiveLine)))
        }
        let warnings = plan.diagnostics.filter { $0.severity != .error }
        if !warnings.isEmpty {
            sections.append(MarkdownSection(head: "#### Warnings\n\n", items: warnings.map { "- \(escape(diagnosticText($0)))\n" }))
        }
        return sections
    }

    private static func destructiveLine(_ change: PoolChange) -> String {
        switch change.action {
        case .delete:
            return "- **delete** pool `\(change.key)` (\(code(change.poolID ?? "")), \(grouped(change.membersBefore)) members)\n"
        case .deleteDuplicate:
            return
                "- **delete duplicate** of pool `\(change.key)` (\(code(change.poolID ?? "")), created \(escape(change.createdAt ?? "?")), \(grouped(change.membersBefore)) members)\n"
        case .deleteBlocked:
            return "- **delete blocked (protected)**: pool `\(change.key)` (\(code(change.poolID ?? "")))\n"
        default:
            return
                "- **remove \(grouped(change.removeSenders.count)) sender\(change.removeSenders.count == 1 ? "" : "s")** from `\(change.key)`\n"
        }
    }

    /// `head`, then as many sections as fit under `markdownLimit` (a list's
    /// lines one by one, so that a long list of deletes still shows its
    /// first ones), a notice counting what was cut (`pools` of the sections
    /// are pools), and `footer`. Counted in Unicode code points, as GitHub
    /// counts a comment's characters; Swift's `count` (grapheme clusters)
    /// would let combining marks through many times over.
    private static func fitted(_ head: String, _ sections: [MarkdownSection], pools: Int, footer: String) -> String {
        // Room for the cut notice and the footer.
        let budget = markdownLimit - footer.unicodeScalars.count - 400
        var out = clipped(head, to: budget)
        var used = out.unicodeScalars.count
        var shown = 0
        for section in sections {
            let first = section.items.first?.unicodeScalars.count ?? 0
            let ending = section.items.isEmpty ? 0 : MarkdownSection.moreLineWidth
            guard used + section.head.unicodeScalars.count + first + ending <= budget else { break }
            out += section.head
            used += section.head.unicodeScalars.count
            var items = 0
            for item in section.items {
                let width = item.unicodeScalars.count
                guard used + width + ending <= budget else { break }
                out += item
                used += width
                items += 1
            }
            if items < section.items.count {
                out += "- … and \(grouped(section.items.count - items)) more (`poolctl plan` lists every one)\n\n"
                break
            }
            if !section.items.isEmpty {
                out += "\n"
                used += 1
            }
            shown += 1
        }
        if shown < sections.count {
            let left = sections.count - shown
            let poolsLeft = min(left, pools)
            out +=
                "\n> ✂️ Cut to stay under \(grouped(markdownLimit)) characters: \(grouped(left)) more section\(left == 1 ? "" : "s") (\(grouped(poolsLeft)) pool\(poolsLeft == 1 ? "" : "s")) not shown. Run `poolctl plan` or `poolctl show` for the full plan.\n"
        }
        return out + footer
    }

    /// `text` whole when it fits `budget` code points, else its first whole
    /// lines that do: only pathological names make the head this long.
    private static func clipped(_ text: String, to budget: Int) -> String {
        guard text.unicodeScalars.count > budget else { return text }
        var out = ""
        var used = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let width = line.unicodeScalars.count + 1
            guard used + width <= budget else { break }
            out += line + "\n"
            used += width
        }
        return out
    }

    private static func markdownChange(_ change: PoolChange, mask: Bool) -> String {
        let marker: String
        switch change.action {
        case .create: marker = "➕ create"
        case .update: marker = "✏️ update"
        case .adopt: marker = "📥 adopt"
        case .move: marker = "🔀 move from <code>\(htmlEscape(change.movedFrom ?? "?"))</code>"
        case .delete: marker = "🗑️ delete"
        case .deleteDuplicate: marker = "🗑️ delete duplicate"
        case .deleteBlocked: marker = "🔒 delete blocked"
        case .conflict: marker = "❌ conflict"
        case .noChange: marker = "no change"
        }
        let counts =
            change.addSenders.isEmpty && change.removeSenders.isEmpty
            ? "" : " · senders +\(grouped(change.addSenders.count)) -\(grouped(change.removeSenders.count))"
        var out = "<details><summary><code>\(htmlEscape(change.key))</code> · \(marker)\(counts)</summary>\n\n"
        if let reason = change.reason { out += "_\(escape(reason))_\n\n" }
        if let note = ignoredNote(change) { out += "_\(escape(note))_\n\n" }
        out += "```diff\n" + markdownFields(change)
        if !change.addSenders.isEmpty || !change.removeSenders.isEmpty {
            out += "  senders: \(grouped(change.membersBefore)) -> \(grouped(change.membersAfter))\n"
            out += memberLines(change.addSenders, sign: "+", limit: markdownListLimit, indent: "", mask: mask, paint: { $0 })
            out += memberLines(change.removeSenders, sign: "-", limit: markdownListLimit, indent: "", mask: mask, paint: { $0 })
        }
        out += "```\n\n</details>\n\n"
        return out
    }

    /// Name and tags as a diff, or what is deleted.
    private static func markdownFields(_ change: PoolChange) -> String {
        var out = ""
        switch change.action {
        case .create:
            out += "+ name: \(quoted(change.name.after))\n"
            for tag in change.tags { out += "+ tags.\(Printable.text(tag.key)): \(quoted(tag.after))\(createOnly(change, tag))\n" }
        case .update, .adopt, .move:
            if let id = change.poolID { out += "  id: \(Printable.text(id))\n" }
            if change.name.changed {
                out += "- name: \(quoted(change.name.before))\n+ name: \(quoted(change.name.after))\n"
                if change.name.onlyNormalizationDiffers { out += "  (the same text in another Unicode normalization)\n" }
            }
            for tag in change.tags {
                let key = Printable.text(tag.key)
                if let before = tag.before { out += "- tags.\(key): \(quoted(before))\n" }
                if let after = tag.after { out += "+ tags.\(key): \(quoted(after))\n" }
            }
        case .delete, .deleteBlocked, .deleteDuplicate:
            if let id = change.poolID { out += "  id: \(Printable.text(id))\n" }
            out += "\(change.action == .deleteBlocked ? " " : "-") name: \(quoted(change.name.before))\n"
            if let createdAt = change.createdAt { out += "  createdAt: \(Printable.text(createdAt))\n" }
            out += "  members: \(grouped(change.membersBefore))\n"
        case .conflict, .noChange:
            break
        }
        return out
    }
}

/// One part of the PR comment: a pool's `<details>` (no items, kept whole
/// or cut whole) or a list whose lines can be cut one by one.
struct MarkdownSection {
    var head: String
    var items: [String] = []

    /// The most the "… and N more" line that ends a cut list takes.
    static let moreLineWidth = 80
}

import PoolctlModel
import PoolctlPlan

/// Human renderings of a plan: terminal text and a Markdown PR comment.
/// Pure and deterministic: everything is sorted, nothing depends on
/// Dictionary order, and colour is applied only when asked for.
public enum PlanRenderer {
    /// How many ids each member list shows before it is cut.
    public static let textListLimit = 20
    public static let markdownListLimit = 50
    public static let markdownLimit = 60_000
    /// How many keys a partial plan's notice names before it is cut.
    public static let keyListLimit = 20

    // MARK: - Text

    public static func text(_ plan: Plan, color: Bool = false) -> String {
        let style = Style(enabled: color)
        // A partial plan says so before anything else.
        var out = targetingLines(plan).map { style.yellow("! " + $0) + "\n" }.joined()
        out += "poolctl plan for stack \"\(plan.stack)\" (prune: \(plan.prune ? "on" : "off"))\n"
        let visible = plan.changes.filter { $0.action != .noChange }
        let unchanged = plan.changes.count - visible.count
        if visible.isEmpty {
            out += "\nNo changes. The live pools match the manifests.\n"
        }
        for change in visible {
            out += "\n" + textChange(change, style: style)
        }
        if unchanged > 0 {
            out += "\n\(grouped(unchanged)) pool\(unchanged == 1 ? "" : "s") unchanged.\n"
        }
        let conflicts = plan.diagnostics.filter { $0.severity == .error }
        let warnings = plan.diagnostics.filter { $0.severity != .error }
        if !conflicts.isEmpty {
            out += "\n" + style.red("Conflicts (no change is planned for these pools):") + "\n"
            for item in conflicts { out += "  \(style.red("✗")) \(diagnosticText(item))\n" }
        }
        if !warnings.isEmpty {
            out += "\n" + style.yellow("Warnings:") + "\n"
            for item in warnings { out += "  ! \(diagnosticText(item))\n" }
        }
        out += DriftRenderer.planText(plan)
        out += guardText(plan.destructiveGuard, style: style)
        out += policyText(plan.policy, style: style)
        out += "\n" + style.bold(summaryLine(plan)) + "\n"
        return out
    }

    /// The guard's block: nothing when no rule is broken.
    private static func guardText(_ verdict: GuardResult, style: Style) -> String {
        guard let finding = Finding(verdict) else { return "" }
        return finding.text(
            blocked: "!! Destructive-change guard: BLOCKED. plan exits 1 and apply refuses this plan:",
            passed: "Destructive-change guard: lifted by --allow-destructive; it would have blocked this plan:", style: style)
    }

    /// The policy's block: nothing without `--policy` or without violations.
    private static func policyText(_ outcome: PolicyOutcome?, style: Style) -> String {
        guard let finding = Finding(outcome) else { return "" }
        return finding.text(
            blocked: "!! Policy: BLOCKED. plan exits 1 and apply refuses this plan:",
            passed: "Policy: warnings (nothing blocks this plan):", style: style)
    }

    /// One line per violation, errors first, cut after `keyListLimit` with
    /// an exact count.
    public static func policyLines(_ outcome: PolicyOutcome) -> [String] {
        let all = outcome.verdict.diagnostics.map { d in
            (d.severity == .error ? "error: " : "warning: ") + d.message + (d.location.map { " (\($0.description))" } ?? "")
        }
        return capped(all) { "\($0) more violation\($0 == "1" ? "" : "s")" }
    }

    /// The first `keyListLimit` lines, then one that counts the rest
    /// (`more` names them, given the count): a plan that touches 2,000 pools
    /// must still fit a PR comment.
    static func capped(_ lines: [String], more: (String) -> String) -> [String] {
        var shown = lines.prefix(keyListLimit).map(clipped)
        let rest = lines.count - shown.count
        if rest > 0 { shown.append("… and \(more(grouped(rest))) (the JSON plan lists every one)") }
        return shown
    }

    /// The most code points one line of such a list shows: a line quotes
    /// names and tags, and twenty of them must still fit a PR comment.
    public static let lineLimit = 400

    static func clipped(_ line: String) -> String {
        guard line.unicodeScalars.count > lineLimit else { return line }
        var out = String.UnicodeScalarView(line.unicodeScalars.prefix(lineLimit - 1))
        out.append("…")
        return String(out)
    }

    public static let policyAdvice =
        "Change the manifests, or if a limit rule's effect is intended, run again with --allow-policy RULE_ID."

    /// One sentence per broken rule, cut after `keyListLimit` with an exact
    /// count: a plan emptying 2,000 pools must still fit a PR comment.
    public static func guardLines(_ verdict: GuardResult) -> [String] {
        capped(verdict.violations.map(\.message)) { "\($0) more pool\($0 == "1" ? "" : "s") over the limit" }
    }

    /// What to do about a blocked plan, in every format and in apply's refusal.
    public static let guardAdvice =
        "If this is intended, run again with --allow-destructive, or raise the limits with guard: in the manifests."

    /// A partial plan's notice: what it covers and what it left out, with
    /// long key lists cut with exact counts.
    public static func targetingLines(_ plan: Plan) -> [String] {
        guard let targeting = plan.targeting else { return [] }
        var scope: [String] = []
        if !targeting.targets.isEmpty { scope.append("--target " + keyList(targeting.targets)) }
        if !targeting.excludes.isEmpty { scope.append("--exclude " + keyList(targeting.excludes)) }
        let count = targeting.leftOut.count
        let leftOut =
            count == 0
            ? "No other pool key was left out."
            : "Left out, not planned: \(grouped(count)) pool key\(count == 1 ? "" : "s") (\(keyList(targeting.leftOut)))."
        return [
            "Partial plan (\(scope.joined(separator: "; "))): the keys left out are neither planned nor pruned.", leftOut,
        ]
    }

    private static func keyList(_ keys: [String]) -> String {
        var text = keys.prefix(keyListLimit).joined(separator: ", ")
        if keys.count > keyListLimit { text += ", … and \(grouped(keys.count - keyListLimit)) more" }
        return text
    }

    /// `Plan: 2 to create, 1 to update, 0 to delete; senders +120 -4; 37 API calls`
    public static func summaryLine(_ plan: Plan) -> String {
        let s = plan.summary
        var line = "Plan: \(grouped(s.create)) to create, \(grouped(s.update)) to update"
        if s.adopt > 0 { line += ", \(grouped(s.adopt)) to adopt" }
        if s.move > 0 { line += ", \(grouped(s.move)) to move" }
        line += ", \(grouped(s.delete)) to delete"
        if s.deleteDuplicate > 0 { line += " (\(grouped(s.deleteDuplicate)) duplicate\(s.deleteDuplicate == 1 ? "" : "s"))" }
        line +=
            "; senders +\(grouped(s.addSenders)) -\(grouped(s.removeSenders)); \(grouped(s.apiCalls)) API call\(s.apiCalls == 1 ? "" : "s")"
        if s.deleteBlocked > 0 { line += "; \(grouped(s.deleteBlocked)) delete blocked (protected)" }
        if s.conflicts > 0 { line += "; \(grouped(s.conflicts)) conflict\(s.conflicts == 1 ? "" : "s")" }
        if plan.destructiveGuard.blocks { line += "; blocked by the destructive-change guard" }
        if plan.policy?.blocks == true { line += "; blocked by the policy" }
        return line
    }

    static func diagnosticText(_ item: PlanDiagnostic) -> String {
        var text = item.key.map { "\($0): " } ?? ""
        text += Printable.text(item.message)
        if let location = item.location { text += " (\(location.description))" }
        return text
    }

    private static func textChange(_ change: PoolChange, style: Style) -> String {
        let id = change.poolID.map { " " + Printable.text($0) } ?? ""
        var out: String
        switch change.action {
        case .create: out = style.green("  + \(change.key)") + " will be created\n"
        case .update: out = style.yellow("  ~ \(change.key)") + "\(id) will be updated in place\n"
        case .adopt: out = style.cyan("  ⇐ \(change.key)") + "\(id) will be adopted\n"
        case .move: out = style.cyan("  → \(change.key)") + "\(id) will be moved from '\(change.movedFrom ?? "?")'\n"
        case .delete: out = style.red("  - \(change.key)") + "\(id) will be deleted\n"
        case .deleteDuplicate: out = style.red("  - \(change.key)") + "\(id) will be deleted (duplicate)\n"
        case .deleteBlocked: out = style.red("  ! \(change.key)") + "\(id) delete blocked (protected)\n"
        case .conflict: out = style.red("  ✗ \(change.key)") + " conflict: no change planned\n"
        case .noChange: out = "    \(change.key)\(id) unchanged\n"
        }
        if let reason = change.reason, change.action != .conflict {
            out += "      # \(Printable.text(reason))\n"
        }
        if let note = ignoredNote(change) { out += "      # \(note)\n" }
        switch change.action {
        case .create:
            out += "      name: \(quoted(change.name.after))\n"
            for tag in change.tags { out += "      tags.\(Printable.text(tag.key)): \(quoted(tag.after))\(createOnly(change, tag))\n" }
        case .update, .adopt, .move:
            if change.name.changed {
                let note = change.name.onlyNormalizationDiffers ? "  # the same text in another Unicode normalization" : ""
                out += style.yellow("      ~ name: \(quoted(change.name.before)) -> \(quoted(change.name.after))\(note)") + "\n"
            }
            for tag in change.tags {
                let key = Printable.text(tag.key)
                switch (tag.before, tag.after) {
                case (nil, let after?): out += style.green("      + tags.\(key): \(quoted(after))") + "\n"
                case (let before?, nil): out += style.red("      - tags.\(key): \(quoted(before))") + "\n"
                default: out += style.yellow("      ~ tags.\(key): \(quoted(tag.before)) -> \(quoted(tag.after))") + "\n"
                }
            }
        case .delete, .deleteBlocked, .deleteDuplicate:
            out += "      name: \(quoted(change.name.before))\n"
            if let createdAt = change.createdAt { out += "      createdAt: \(Printable.text(createdAt))\n" }
            out += "      members: \(grouped(change.membersBefore))\n"
        case .conflict, .noChange:
            break
        }
        if !change.addSenders.isEmpty || !change.removeSenders.isEmpty {
            var line =
                "      senders: \(grouped(change.membersBefore)) -> \(grouped(change.membersAfter)) (+\(grouped(change.addSenders.count)) -\(grouped(change.removeSenders.count)))"
            if change.membership == .additive { line += ", additive" }
            out += line + "\n"
            out += memberLines(change.addSenders, sign: "+", limit: textListLimit, indent: "        ", paint: style.green)
            out += memberLines(change.removeSenders, sign: "-", limit: textListLimit, indent: "        ", paint: style.red)
        }
        return out
    }

    /// An ignored tag is written by the create and never again.
    static func createOnly(_ change: PoolChange, _ tag: TagChange) -> String {
        change.ignoredTags.contains(tag.key) ? "  # ignored after create" : ""
    }

    /// Only where the live pool has an ignored tag: the PATCH sends it back as is.
    static func ignoredNote(_ change: PoolChange) -> String? {
        let keys = change.liveIgnoredTags
        guard !keys.isEmpty, change.action.isChange else { return nil }
        let shown = keys.map { "\(Printable.text($0))=\(quoted(change.desiredTags[$0]))" }.joined(separator: ", ")
        return "ignored tag\(keys.count == 1 ? "" : "s") kept as live: \(shown)"
    }

    static func memberLines(
        _ members: [MemberChange], sign: String, limit: Int, indent: String, mask: Bool = false, paint: (String) -> String
    ) -> String {
        var out = ""
        for member in members.prefix(limit) {
            out += paint("\(indent)\(sign) \(memberText(member, mask: mask))") + "\n"
        }
        if members.count > limit {
            out += "\(indent)… and \(grouped(members.count - limit)) more\n"
        }
        return out
    }

    static func memberText(_ member: MemberChange, mask: Bool) -> String {
        var text = Printable.text(member.id)
        var details: [String] = []
        if let alias = member.alias { details.append(alias) }
        if let address = member.address { details.append(Printable.text(mask ? maskAddress(address) : address)) }
        if let channel = member.channel { details.append(Printable.text(channel)) }
        if !details.isEmpty { text += " (\(details.joined(separator: ", ")))" }
        return text
    }

    // MARK: - Helpers

    /// `+14155550100` → `+1415•••0100`; `ops@example.com` → `o•••@example.com`.
    /// At least a third of an address stays hidden: `+35312345` → `+3•••45`.
    public static func maskAddress(_ address: String) -> String {
        if let at = address.firstIndex(of: "@") {
            guard let first = address.first, at != address.startIndex else { return "•••" + address[at...] }
            return "\(first)•••" + address[at...]
        }
        let characters = Array(address)
        guard characters.count > 8 else { return String(repeating: "•", count: max(3, characters.count)) }
        let (head, tail) = characters.count >= 12 ? (5, 4) : (2, 2)
        return String(characters.prefix(head)) + "•••" + String(characters.suffix(tail))
    }

    /// 4812 → "4,812": fixed, locale-independent grouping.
    public static func grouped(_ value: Int) -> String {
        let digits = String(abs(value))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    static func quoted(_ value: String?) -> String {
        guard let value else { return "(none)" }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + Printable.text(escaped) + "\""
    }

    /// Markdown prose: inert (see `Printable`), with every character that
    /// could start markup escaped, and `@` kept from mentioning anyone.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in Printable.text(text) {
            if "\\`*_[]<>|#&~$".contains(character) { out.append("\\") }
            out.append(character)
            // A word joiner after '@': GitHub links (and notifies) '@name' even when escaped.
            if character == "@" { out.append("\u{2060}") }
        }
        return out
    }

    static func htmlEscape(_ text: String) -> String {
        Printable.text(text).replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// A Markdown code span of text from outside: inert, and fenced with
    /// one backtick more than the longest run inside it.
    static func code(_ text: String) -> String {
        let shown = Printable.text(text)
        var longest = 0
        var run = 0
        for character in shown {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = longest > 0 ? " " : ""
        return fence + pad + shown + pad + fence
    }
}

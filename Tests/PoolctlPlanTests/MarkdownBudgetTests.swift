import PoolctlModel
import PoolctlPlan
import PoolctlRender
import Testing

private func owned(_ key: String) -> [String: String] { ["poolctl": Ownership(stack: "big", key: key).tagValue] }
private func poolID(_ n: Int) -> String { "comms_senderpool_01jd8a7k2m3n4p5q6r7s" + String(n + 1_000_000, radix: 32) }

/// The PR comment stays under `markdownLimit` code points (GitHub counts a
/// comment's characters so, and refuses one over 65,536) whatever the plan
/// holds, and a long list is cut line by line, not dropped whole.
@Suite struct MarkdownBudgetTests {
    /// 5,000 renames to names of 256 code points that are one grapheme
    /// cluster each: Swift's `count` sees 5,000 characters, GitHub 1.3 million.
    @Test func combiningMarksCountAsTheCodePointsTheyAre() {
        let name = "a" + String(repeating: "\u{301}", count: 255)
        let keys = (0..<5_000).map { "p\($0)" }
        let desired = DesiredState(stack: "big", prune: false, pools: keys.map { DesiredPool(key: $0, name: name) })
        let live = LiveState(pools: keys.enumerated().map { LivePool(id: poolID($0.offset), name: "old", tags: owned($0.element)) })
        let markdown = PlanRenderer.markdown(Planner().plan(desired: desired, live: live))
        #expect(markdown.unicodeScalars.count < PlanRenderer.markdownLimit)
        #expect(markdown.contains("Cut to stay under 60,000 characters"))
    }

    /// 2,000 prunes: the destructive list names as many deletes as fit and
    /// counts the rest, rather than vanishing from the comment.
    @Test func aLongDestructiveListShowsItsFirstLinesAndCountsTheRest() throws {
        let keys = (0..<2_000).map { "pool-\(String(repeating: "k", count: 50))-\($0)" }
        let desired = DesiredState(stack: "big", prune: true, pools: [])
        let live = LiveState(pools: keys.enumerated().map { LivePool(id: poolID($0.offset), name: "n", tags: owned($0.element)) })
        let markdown = PlanRenderer.markdown(Planner().plan(desired: desired, live: live))
        #expect(markdown.unicodeScalars.count < PlanRenderer.markdownLimit)
        let named = markdown.split(separator: "\n").filter { $0.hasPrefix("- **delete** pool") }.count
        #expect(named > 300, "most of the budget goes to the list")
        #expect(markdown.contains("- … and \(PlanRenderer.grouped(2_000 - named)) more (`poolctl plan` lists every one)"))
        #expect(markdown.contains("Cut to stay under 60,000 characters: 2,001 more sections (2,000 pools) not shown."))
    }

    /// A policy's `limit.deletes` line names 20 keys and counts the rest:
    /// it goes into the comment, SARIF and the saved plan whole.
    @Test func aDeletesViolationNamesTwentyKeys() {
        let keys = (0..<2_000).map { "p\($0)" }
        let desired = DesiredState(stack: "big", prune: true, pools: [])
        let live = LiveState(pools: keys.enumerated().map { LivePool(id: poolID($0.offset), name: "n", tags: owned($0.element)) })
        let plan = Planner().plan(desired: desired, live: live)
        let rule = PolicyRule(id: "keep", check: .limit(PolicyLimit(deletes: 0)))
        let messages = PolicyCheck.limits(Policy(rules: [rule]), plan: plan, desired: desired).map(\.message)
        #expect(messages.count == 1)
        #expect(messages.first?.contains(", … and 1980 more)") == true, "\(messages)")
        #expect((messages.first?.count ?? 0) < 400)
    }
}

import PoolctlModel
import PoolctlPlan
import Testing

@testable import PoolctlRender

private let s1 = "comms_sender_01jd8a7k2m3n4p5q6r7s8t9v01"
private let p1 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v01"
private let p2 = "comms_senderpool_01jd8a7k2m3n4p5q6r7s8t9v02"

/// Anyone who can rename a live pool (or set a tag or a sender's address)
/// writes into the plan a reviewer reads: in a terminal and in the PR
/// comment. Such text must stay text.
@Suite struct HostileTextTests {
    static let fenceBreak = "x\n```\n</details>\n\n# PWNED <img src=x onerror=alert(1)>\n\n<details><summary>"

    /// A hand-renamed owned pool, a tag value that clears the screen, a live
    /// member whose address breaks lines, and a pool to prune whose name
    /// mentions someone.
    static func plan() -> Plan {
        let desired = DesiredState(
            stack: "web", prune: true, pools: [DesiredPool(key: "a", name: "Pay", tags: ["team": "ops"], senders: [])])
        let live = LiveState(pools: [
            LivePool(
                id: p1, name: fenceBreak, tags: ["poolctl": Ownership(stack: "web", key: "a").tagValue, "team": "\u{1B}[2J\rspoof"],
                members: [LiveMember(id: s1, address: "+14155550100\n+ fake line", channel: "SMS\u{202E}")]),
            LivePool(
                id: p2, name: "cc @octocat\n\n---\n<img src=x>", tags: ["poolctl": Ownership(stack: "web", key: "old").tagValue],
                members: []),
        ])
        return Planner().plan(desired: desired, live: live)
    }

    @Test func textKeepsEveryLineItsOwn() {
        let text = PlanRenderer.text(Self.plan())
        #expect(!text.unicodeScalars.contains { $0 != "\n" && Printable.needsEscape($0) }, "\(text)")
        #expect(text.contains(#"~ name: "x\n```\n</details>"#), "\(text)")
        #expect(text.contains(#""\u{1B}[2J\rspoof""#), "\(text)")
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("+ fake line") || $0.hasPrefix("# PWNED") })
    }

    @Test func markdownKeepsItsStructure() {
        let markdown = PlanRenderer.markdown(Self.plan())
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false)
        // One fence opens and one closes per pool section, and nothing else starts a line with them.
        #expect(lines.filter { $0.hasPrefix("```") }.count == 4, "\(markdown)")
        #expect(lines.filter { $0.hasPrefix("</details>") }.count == 2, "\(markdown)")
        #expect(!lines.contains { $0.hasPrefix("# PWNED") || $0.hasPrefix("---") || $0.hasPrefix("<img") }, "\(markdown)")
        #expect(!markdown.unicodeScalars.contains { $0 != "\n" && Printable.needsEscape($0) })
    }

    /// GitHub notifies '@name' in prose even when escaped; in code it does not.
    @Test func proseNeverMentionsAnyone() {
        #expect(PlanRenderer.escape("cc @octocat") == "cc @\u{2060}octocat")
    }

    @Test(arguments: [
        ("plain", "plain"), ("a\nb", #"a\nb"#), ("\r\t", #"\r\t"#), ("\u{1B}[31m", #"\u{1B}[31m"#),
        ("\u{85}\u{2028}\u{202E}", #"\u{85}\u{2028}\u{202E}"#), ("Café ✓", "Café ✓"),
    ])
    func printableEscapesOnlyWhatActs(input: String, shown: String) {
        #expect(Printable.text(input) == shown)
    }

    @Test(arguments: [("abc", "`abc`"), ("a`b", "`` a`b ``"), ("a``b`", "``` a``b` ```")])
    func aCodeSpanFenceIsLongerThanAnyRunInside(input: String, span: String) {
        #expect(PlanRenderer.code(input) == span)
    }

    /// A third at least stays hidden, however short the address.
    @Test(arguments: [
        ("+14155550100", "+1415•••0100"), ("+35312345", "+3•••45"), ("ACMEBANK1", "AC•••K1"), ("+3531234567", "+3•••67"),
        ("12345678", "••••••••"), ("ops@example.com", "o•••@example.com"),
    ])
    func anAddressIsMaskedByAtLeastAThird(address: String, masked: String) {
        #expect(PlanRenderer.maskAddress(address) == masked)
    }
}

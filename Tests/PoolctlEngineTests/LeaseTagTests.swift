import PoolctlModel
import Testing

@Suite struct LeaseTagTests {
    @Test func rendersAndParsesTheCanonicalValue() throws {
        let tag = try LeaseTag(stack: "web", holder: "ci-runner_7.4711", ttlSeconds: 120)
        #expect(tag.tagValue == "v1~web~ci-runner_7.4711~120")
        #expect(LeaseTag(tagValue: tag.tagValue) == tag)
        #expect(LeaseTag(tags: ["poolctl-lease": tag.tagValue, "team": "x"]) == tag)
    }

    @Test(arguments: [
        "", "v1~web~h", "v1~web~h~120~x", "v2~web~h~120", "V1~web~h~120",
        "v1~Web~h~120", "v1~~h~120", "v1~web~~120", "v1~web~h ost~120", "v1~web~h@st~120",
        "v1~web~h~0", "v1~web~h~012", "v1~web~h~-5", "v1~web~h~+5", "v1~web~h~1000000000", "v1~web~h~12s", "v1~web~h~",
    ])
    func rejectsValuesPoolctlNeverWrites(_ value: String) {
        #expect(LeaseTag(tagValue: value) == nil)
    }

    @Test func holderIsLimitedTo100CharactersWithoutTilde() throws {
        let longest = String(repeating: "h", count: LeaseTag.maxHolderLength)
        _ = try LeaseTag(stack: "web", holder: longest, ttlSeconds: 1)
        #expect(throws: LeaseTag.Problem.holder(longest + "h")) { try LeaseTag(stack: "web", holder: longest + "h", ttlSeconds: 1) }
        #expect(throws: LeaseTag.Problem.holder("a~b")) { try LeaseTag(stack: "web", holder: "a~b", ttlSeconds: 1) }
        #expect(throws: LeaseTag.Problem.ttl(0)) { try LeaseTag(stack: "web", holder: "h", ttlSeconds: 0) }
        #expect(throws: LeaseTag.Problem.stack("-web")) { try LeaseTag(stack: "-web", holder: "h", ttlSeconds: 1) }
    }

    @Test func theLongestValueFitsTheAPIsTagValueLimit() throws {
        let tag = try LeaseTag(
            stack: String(repeating: "s", count: ResourceName.maxLength), holder: String(repeating: "h", count: LeaseTag.maxHolderLength),
            ttlSeconds: LeaseTag.maxTTLSeconds)
        #expect(tag.tagValue.utf8.count == 177)
        #expect(APIFormat.isTagValue(tag.tagValue))
        #expect(APIFormat.isTagKey(LeaseTag.tagKey))
        #expect(LeaseTag(tagValue: tag.tagValue) == tag)
    }

    @Test func aLeaseIsNeverAPoolOfTheStack() throws {
        let tags = try LeaseTag(stack: "web", holder: "h", ttlSeconds: 120).tags
        #expect(Ownership(tags: tags) == nil)
        #expect(LeaseTag.isLease(tags))
        #expect(LeaseTag.stack(of: tags) == "web")
        #expect(LeaseTag.stack(of: ["poolctl": "v1~web~a"]) == nil)
        // The reserved key with a value poolctl never writes is still reserved, but names no stack.
        #expect(LeaseTag.isLease(["poolctl-lease": "junk"]))
        #expect(LeaseTag.stack(of: ["poolctl-lease": "junk"]) == nil)
    }

    @Test func anyTextBecomesAValidHolder() {
        #expect(LeaseTag.holder(from: "build host~7 (pid 42) é") == "build-host-7--pid-42---")
        #expect(LeaseTag.holder(from: "") == "unknown")
        let long = LeaseTag.holder(from: String(repeating: "x", count: 500))
        #expect(long.count == LeaseTag.maxHolderLength && LeaseTag.isHolder(long))
    }

    @Test func thePoolNameSaysWhoHoldsTheLeaseWithinThe256CodePointLimit() {
        #expect(LeaseTag.poolName(stack: "web", host: "runner-a") == "poolctl lease: web (runner-a)")
        #expect(LeaseTag.poolName(stack: "web", host: "runner-a", ciRun: "4711") == "poolctl lease: web (runner-a, CI run 4711)")
        #expect(LeaseTag.poolName(stack: "web", host: "a\nb") == "poolctl lease: web (a b)")
        let stack = String(repeating: "s", count: ResourceName.maxLength)
        // "e" + combining accent: 2 code points each, so the cut counts code points.
        let host = String(repeating: "e\u{301}", count: 300)
        let name = LeaseTag.poolName(stack: stack, host: host, ciRun: String(repeating: "9", count: 300))
        #expect(APIFormat.poolNameLength(name) == APIFormat.maxPoolNameLength)
        #expect(name.unicodeScalars.starts(with: "poolctl lease: \(stack) (e\u{301}".unicodeScalars))
        #expect(name.hasSuffix(", CI run \(String(repeating: "9", count: 64)))"))
    }
}

import PoolctlModel
import Testing

@Suite struct PoolKeyDerivationTests {
    @Test(arguments: [
        ("Sales Leads - APAC", "sales-leads-apac"),
        ("Café", "cafe"),
        ("ÅNGSTRÖM Über", "angstrom-uber"),
        ("v1.2_eu", "v1.2_eu"),
        ("a . b", "a-b"),
        ("a__b", "a-b"),
        ("--Leading and trailing--", "leading-and-trailing"),
        ("yes", "yes"),
        ("007", "007"),
        ("日本語", "pool"),
        ("", "pool"),
        ("   ", "pool"),
        ("Pool 日本 2", "pool-2"),
        ("it's \"quoted\"", "it-s-quoted"),
        ("line\nbreak", "line-break"),
    ])
    func baseKeys(_ name: String, _ key: String) {
        #expect(PoolKeyDerivation.base(from: name) == key)
        #expect(ResourceName.isValid(PoolKeyDerivation.base(from: name)))
    }

    @Test func longNamesAreCutTo63CharactersWithoutATrailingSeparator() {
        let name = String(repeating: "a", count: 62) + " b c"
        #expect(PoolKeyDerivation.base(from: name) == String(repeating: "a", count: 62))
        let long = String(repeating: "abc", count: 40)
        #expect(PoolKeyDerivation.base(from: long) == String(long.prefix(63)))
    }

    @Test func duplicatesGetTheSmallestFreeNumericSuffix() {
        let keys = PoolKeyDerivation.assign(["Sales", "sales", "SALES!", "Sales 2", "Other"], reserved: ["other"])
        // "Sales 2" derives "sales-2", which the second "sales" already took.
        #expect(keys == ["sales", "sales-2", "sales-3", "sales-2-2", "other-2"])
        #expect(Set(keys).count == keys.count)
    }

    @Test func suffixesKeepLongKeysWithin63Characters() {
        let name = String(repeating: "x", count: 70)
        let keys = PoolKeyDerivation.assign(Array(repeating: name, count: 12), reserved: [])
        #expect(keys[0] == String(repeating: "x", count: 63))
        #expect(keys[1] == String(repeating: "x", count: 61) + "-2")
        #expect(keys[11] == String(repeating: "x", count: 60) + "-12")
        #expect(keys.allSatisfy(ResourceName.isValid))
        #expect(Set(keys).count == 12)
    }

    @Test func theSameNamesAlwaysGiveTheSameKeys() {
        let names = (0..<500).map { "Pool \($0 % 37) – ünïcode" }
        #expect(
            PoolKeyDerivation.assign(names, reserved: ["pool-1-unicode"]) == PoolKeyDerivation.assign(names, reserved: ["pool-1-unicode"]))
    }
}

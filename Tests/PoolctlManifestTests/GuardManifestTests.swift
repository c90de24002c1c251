import PoolctlManifest
import PoolctlModel
import Testing

/// `guard:` is read into DesiredState; every mistake is located.
@Suite struct GuardManifestTests {
    @Test func guardSettingsReachTheDesiredState() throws {
        let result = load(
            """
            apiVersion: poolctl/v1
            stack: web
            guard: {maxDeletedPools: 3, maxRemovedFraction: 0.25}

            """)
        let desired = try #require(result.desired)
        #expect(desired.guardPolicy == GuardPolicy(maxDeletedPools: 3, maxRemovedFraction: 0.25))
    }

    @Test func withoutGuardTheDefaultsApply() throws {
        let desired = try #require(load("apiVersion: poolctl/v1\nstack: web\n").desired)
        #expect(desired.guardPolicy == GuardPolicy())
        #expect(desired.guardPolicy.removedFraction == 0.5)
    }

    @Test func mistakesAreLocatedWithSuggestions() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            guard:
              ⟨1⟩maxDeletedPool: 2
              maxDeletedPools: ⟨2⟩-1
              maxRemovedFraction: ⟨3⟩1.5
            pools: {}

            """)
        let result = load(yaml.text)
        #expect(
            lines(result.diagnostics) == [
                "\(yaml.at(1)): error: unknown key 'maxDeletedPool' in guard; did you mean 'maxDeletedPools'?",
                "\(yaml.at(2)): error: 'maxDeletedPools' must be a whole number of pools, 0 or more, not '-1'",
                "\(yaml.at(3)): error: 'maxRemovedFraction' must be a number from 0 to 1, such as 0.25, not '1.5'",
            ])
        #expect(result.desired == nil)
    }

    @Test(arguments: [
        ("maxDeletedPools: ⟨1⟩\"2\"", "'maxDeletedPools' must be a whole number of pools, 0 or more, not '2'"),
        ("maxDeletedPools: ⟨1⟩2.5", "'maxDeletedPools' must be a whole number of pools, 0 or more, not '2.5'"),
        ("maxRemovedFraction: ⟨1⟩half", "'maxRemovedFraction' must be a number from 0 to 1, such as 0.25, not 'half'"),
        ("maxRemovedFraction: ⟨1⟩.nan", "'maxRemovedFraction' must be a number from 0 to 1, such as 0.25, not '.nan'"),
        ("maxRemovedFraction: ⟨1⟩[0.5]", "'maxRemovedFraction' must be a number from 0 to 1, such as 0.25, not a list"),
    ])
    func wrongTypesAreErrors(field: String, message: String) {
        let yaml = MarkedYAML("apiVersion: poolctl/v1\nstack: web\nguard:\n  \(field)\n")
        #expect(lines(load(yaml.text).diagnostics) == ["\(yaml.at(1)): error: \(message)"])
    }

    @Test func guardMustBeAMapping() {
        let yaml = MarkedYAML("apiVersion: poolctl/v1\nstack: web\nguard: ⟨1⟩0.5\n")
        #expect(
            lines(load(yaml.text).diagnostics) == [
                "\(yaml.at(1)): error: 'guard' must be a mapping with maxDeletedPools and/or maxRemovedFraction, not '0.5'"
            ])
    }

    @Test func theBoundsAreAllowed() throws {
        let desired = try #require(
            load("apiVersion: poolctl/v1\nstack: web\nguard: {maxDeletedPools: 0, maxRemovedFraction: 1}\n").desired)
        #expect(desired.guardPolicy == GuardPolicy(maxDeletedPools: 0, maxRemovedFraction: 1))
    }

    @Test func repeatedGuardsMustBeIdentical() {
        let first = MarkedYAML("apiVersion: poolctl/v1\nstack: web\nguard: ⟨1⟩{maxDeletedPools: 2}\n")
        let same = "apiVersion: poolctl/v1\nguard: {maxDeletedPools: 2}\n"
        let other = MarkedYAML("apiVersion: poolctl/v1\nguard: ⟨1⟩{maxDeletedPools: 2, maxRemovedFraction: 0.5}\n")
        #expect(load([("a.yaml", first.text), ("b.yaml", same)]).diagnostics.isEmpty)
        let result = load([("a.yaml", first.text), ("b.yaml", same), ("c.yaml", other.text)])
        #expect(
            lines(result.diagnostics) == [
                "\(other.at(1, file: "c.yaml")): error: guard: {maxDeletedPools: 2, maxRemovedFraction: 0.5} contradicts guard: {maxDeletedPools: 2} at \(first.at(1, file: "a.yaml")); set it once, or identically"
            ])
        #expect(result.diagnostics.first?.notes.first?.location?.description == first.at(1, file: "a.yaml"))
    }
}

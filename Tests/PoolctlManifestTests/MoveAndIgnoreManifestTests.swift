import PoolctlManifest
import PoolctlModel
import Testing

/// `movedFrom` and `ignoreTags`: every rule, at its position.
@Suite struct MoveAndIgnoreManifestTests {
    @Test func validMovesAndIgnoredTagsResolve() throws {
        let result = load(
            """
            apiVersion: poolctl/v1
            stack: web
            ignoreTags: [owner]
            pools:
              new:
                movedFrom: old
                ignoreTags: [cost-center, owner]
                tags: {owner: ops}
              other: {}

            """)
        #expect(result.diagnostics.isEmpty)
        let desired = try #require(result.desired)
        #expect(desired.pools.map(\.movedFrom) == ["old", nil])
        #expect(desired.pools.map(\.ignoreTags) == [["cost-center", "owner"], ["owner"]])
        #expect(desired.pools[0].tags == ["owner": "ops"])
    }

    @Test func movedFromRulesAreLocatedWithANoteAtTheOtherPlace() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            pools:
              ⟨1⟩kept: {}
              a:
                movedFrom: ⟨2⟩kept
              b:
                movedFrom: ⟨3⟩b
              c:
                movedFrom: ⟨4⟩gone
              d:
                movedFrom: ⟨5⟩gone
              e:
                ⟨6⟩adopt: ⟨7⟩comms_senderpool_01h9krwprkeee8fzqspvwy6nq8
                movedFrom: ⟨8⟩older
              f:
                movedFrom: ⟨9⟩Not_A_Key

            """)
        let result = load(yaml.text)
        #expect(
            lines(result.diagnostics) == [
                "\(yaml.at(2)): error: pool 'a' is moved from 'kept', which is still declared at \(yaml.at(1)); remove one of them",
                "\(yaml.at(3)): error: pool 'b' is moved from its own key; remove movedFrom",
                "\(yaml.at(5)): error: pool 'd' is moved from 'gone', which pool 'c' is already moved from at \(yaml.at(4)); a key can be moved to one pool only",
                "\(yaml.at(8)): error: pool 'e' declares both movedFrom and adopt; a pool either keeps its own former pool or takes over another one",
                "\(yaml.at(9)): error: invalid pool key 'Not_A_Key' for movedFrom: use \(ResourceName.rule)",
            ])
        let notes = result.diagnostics.map { $0.notes.map { $0.location?.description ?? "" } }
        #expect(notes == [[yaml.at(1)], [], [yaml.at(4)], [yaml.at(7)], []])
        #expect(result.desired == nil)
    }

    @Test func movesAcrossFilesPointAtEachOther() {
        let result = load([
            ("a.yaml", "apiVersion: poolctl/v1\nstack: web\npools:\n  x:\n    movedFrom: old\n"),
            ("b.yaml", "apiVersion: poolctl/v1\npools:\n  y:\n    movedFrom: old\n"),
        ])
        #expect(
            lines(result.diagnostics) == [
                "b.yaml:4:16: error: pool 'y' is moved from 'old', which pool 'x' is already moved from at a.yaml:5:16; a key can be moved to one pool only"
            ])
        #expect(result.diagnostics.first?.notes.map(\.location) == [SourceLocation(file: "a.yaml", line: 5, column: 16)])
    }

    @Test func ignoreTagsEntriesAreLocated() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            ignoreTags: [⟨1⟩poolctl]
            pools:
              a:
                ignoreTags: [⟨2⟩owner, ⟨3⟩"bad key", ⟨4⟩owner]
                ignoreTgs: [x]
              b:
                ignoreTags: ⟨5⟩owner

            """)
        let result = load(yaml.text)
        #expect(
            lines(result.diagnostics) == [
                "\(yaml.at(1)): error: tag key 'poolctl' cannot be ignored: it is poolctl's ownership tag, which poolctl always writes",
                "\(yaml.at(3)): error: invalid tag key 'bad key' in ignoreTags: use 1-128 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
                "\(yaml.at(4)): error: tag key 'owner' is listed twice in ignoreTags; first listed at line 6, column 18",
                "m.yaml:7:5: error: unknown key 'ignoreTgs' in pool 'a'; did you mean 'ignoreTags'?",
                "\(yaml.at(5)): error: 'ignoreTags' must be a list of tag keys, not a string",
            ])
        #expect(result.diagnostics[2].notes.map(\.location?.description) == [yaml.at(2)])
    }

    @Test func topLevelIgnoreTagsMustBeIdenticalWhereverRepeated() {
        let same = load([
            ("a.yaml", "apiVersion: poolctl/v1\nstack: web\nignoreTags: [x, y]\n"),
            ("b.yaml", "apiVersion: poolctl/v1\nignoreTags: [y, x]\npools:\n  p: {ignoreTags: [z]}\n"),
        ])
        #expect(same.diagnostics.isEmpty)
        #expect(same.desired?.pools.first?.ignoreTags == ["x", "y", "z"])

        let different = load([
            ("a.yaml", "apiVersion: poolctl/v1\nstack: web\nignoreTags: [x, y]\n"),
            ("b.yaml", "apiVersion: poolctl/v1\nignoreTags: [x]\n"),
        ])
        #expect(
            lines(different.diagnostics) == [
                "b.yaml:2:13: error: ignoreTags: [x] differs from ignoreTags: [x, y] at a.yaml:3:13; set it once, or identically"
            ])
        #expect(different.diagnostics.first?.notes.map(\.location) == [SourceLocation(file: "a.yaml", line: 3, column: 13)])
    }

    /// Issue 21: the fingerprint takes a tag slot, so 9 declared tags are
    /// still valid but leave none for it; 8 are quiet.
    @Test func nineTagsWarnThatDriftCannotBeTold() throws {
        func tags(_ count: Int) -> String { (1...count).map { "t\($0): v" }.joined(separator: ", ") }
        let nine = load("apiVersion: poolctl/v1\nstack: web\npools:\n  a:\n    tags: {\(tags(9))}\n")
        #expect(nine.desired != nil, "a warning, not an error")
        #expect(
            lines(nine.diagnostics) == [
                "m.yaml:5:11: warning: pool 'a' has 9 tags, which leaves no slot for the poolctl-applied fingerprint: drift cannot be told for it (cause unknown); declare at most 8"
            ])
        let eight = load("apiVersion: poolctl/v1\nstack: web\npools:\n  a:\n    tags: {\(tags(8))}\n")
        #expect(eight.diagnostics.isEmpty)
        // Ignored keys keep their slots for their other owner: 8 declared and 1 ignored are full too.
        let ignoring = load("apiVersion: poolctl/v1\nstack: web\nignoreTags: [cost]\npools:\n  a:\n    tags: {\(tags(8))}\n")
        #expect(ignoring.desired != nil)
        #expect(
            lines(ignoring.diagnostics) == [
                "m.yaml:5:3: warning: pool 'a' declares 8 tags and ignores 1 more (ignoreTags), which with the ownership tag leaves no slot for the poolctl-applied fingerprint: drift cannot be told for it (cause unknown); keep declared and ignored tags to 8 in all"
            ])
    }
}

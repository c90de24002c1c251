import PoolctlManifest
import PoolctlModel
import Testing

/// Every diagnostic lands on the exact line and column of the offending key
/// or value.
@Suite struct PositionTests {
    @Test func unknownKeysSuggestTheNearestValidKey() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            ⟨1⟩pool:
              a: {}
            pools:
              b:
                ⟨2⟩tag: {x: y}
                ⟨3⟩colour: blue

            """)
        let result = load(yaml.text)
        #expect(
            lines(result.diagnostics) == [
                "\(yaml.at(1)): error: unknown top-level key 'pool'; did you mean 'pools'?",
                "\(yaml.at(2)): error: unknown key 'tag' in pool 'b'; did you mean 'tags'?",
                "\(yaml.at(3)): error: unknown key 'colour' in pool 'b'; valid keys are adopt, ignoreTags, membership, movedFrom, name, protect, senders, tags",
            ])
        #expect(result.desired == nil)
    }

    /// A delete a policy limits points at `prune:`, or without one at the
    /// stack: GitHub refuses a SARIF result that has no location.
    @Test func deletionsPointAtPruneOrElseTheStack() throws {
        let pruned = try #require(load("apiVersion: poolctl/v1\nstack: web\nprune: true\npools: {}\n").desired)
        #expect(pruned.pruneLocation?.description == "m.yaml:3:8")
        let unpruned = try #require(load("apiVersion: poolctl/v1\nstack: web\npools: {}\n").desired)
        #expect(unpruned.pruneLocation?.description == "m.yaml:2:8")
    }

    /// The API allows an empty name (and defaults to one), so an export of
    /// such a pool must validate; only an absent name means the key.
    @Test func anEmptyNameIsANameAndAnAbsentOneIsTheKey() throws {
        let desired = try #require(load("apiVersion: poolctl/v1\nstack: web\npools:\n  a: {name: \"\"}\n  b: {}\n").desired)
        #expect(desired.pools.map(\.name) == ["", "b"])
    }

    @Test func valuesAreLocatedAtTheValue() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: ⟨1⟩Web
            prune: ⟨2⟩yes
            pools:
              ok:
                membership: ⟨3⟩full
                protect: ⟨4⟩[true]
                name: ⟨5⟩"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                adopt: ⟨6⟩comms_senderpool_9xyz
                tags:
                  ⟨7⟩poolctl: mine
                  ⟨8⟩"bad key": v
                  region: ⟨9⟩"a/b"

            """)
        let result = load(yaml.text)
        #expect(
            lines(result.diagnostics) == [
                "\(yaml.at(1)): error: invalid stack 'Web': use \(ResourceName.rule)",
                "\(yaml.at(2)): error: 'prune' must be true or false, not 'yes'",
                "\(yaml.at(3)): error: invalid membership 'full': use 'exact' (remove undeclared members) or 'additive' (only add)",
                "\(yaml.at(4)): error: 'protect' must be true or false, not a list",
                "\(yaml.at(5)): error: 'name' must be at most 256 characters, not 257",
                "\(yaml.at(6)): error: invalid pool id 'comms_senderpool_9xyz' for adopt: expected 'comms_senderpool_' followed by 26-35 lowercase Crockford base32 characters",
                "\(yaml.at(7)): error: tag key 'poolctl' is reserved for poolctl's ownership tag",
                "\(yaml.at(8)): error: invalid tag key 'bad key': use 1-128 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
                "\(yaml.at(9)): error: invalid value 'a/b' for tag 'region': use 1-256 characters of A-Z, a-z, 0-9, '.', '_', '~' and '-'",
            ])
    }

    @Test func sendersAreResolvedWithSuggestionsAndDuplicates() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            senders:
              apac-sms-1: comms_sender_01h9krwprkeee8fzqspvwy6nq8
            pools:
              p:
                senders:
                  - apac-sms-1
                  - ⟨1⟩apac-sms1
                  - ⟨2⟩comms_sender_01h9krwprkeee8fzqspvwy6nq8
                  - ⟨3⟩comms_sender_0I
                  - ⟨4⟩nothing-like-it

            """)
        let result = load(yaml.text)
        #expect(
            lines(result.diagnostics) == [
                "\(yaml.at(1)): error: unknown sender alias 'apac-sms1'; did you mean 'apac-sms-1'?",
                "\(yaml.at(2)): error: sender comms_sender_01h9krwprkeee8fzqspvwy6nq8 is listed twice in pool 'p'; first listed at line 8, column 9",
                "\(yaml.at(3)): error: invalid sender id 'comms_sender_0I': expected 'comms_sender_' followed by 26-35 lowercase Crockford base32 characters",
                "\(yaml.at(4)): error: unknown sender alias 'nothing-like-it': define it in a top-level 'senders' table, or use a sender id",
            ])
        #expect(result.diagnostics[1].notes.first?.location == SourceLocation(file: "m.yaml", line: 8, column: 9))
    }

    @Test func duplicateKeysAreErrorsThatLibyamlMisses() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            pools:
              a: {name: x, ⟨1⟩name: y}
              b: {}
              ⟨2⟩b: {}

            """)
        #expect(
            lines(load(yaml.text).diagnostics) == [
                "\(yaml.at(1)): error: duplicate key 'name' (first defined at line 4, column 7)",
                "\(yaml.at(2)): error: duplicate key 'b' (first defined at line 5, column 3)",
            ])
    }

    @Test func duplicatePoolKeysAcrossFilesReportBothLocations() {
        let result = load([
            ("a.yaml", "apiVersion: poolctl/v1\nstack: web\npools:\n  shared: {}\n"),
            ("b.yaml", "apiVersion: poolctl/v1\nstack: other\npools:\n  shared: {}\n"),
        ])
        #expect(
            lines(result.diagnostics) == [
                "b.yaml:2:8: error: stack 'other' differs from stack 'web' declared at a.yaml:2:8; every document of a set must name the same stack",
                "b.yaml:4:3: error: duplicate pool key 'shared': it is also declared at a.yaml:4:3; pool keys must be unique across the set",
            ])
        #expect(result.diagnostics[1].notes.map(\.location) == [SourceLocation(file: "a.yaml", line: 4, column: 3)])
    }

    @Test func syntaxErrorsCarryLibyamlsPosition() {
        let result = load("apiVersion: poolctl/v1\nstack: web\npools:\n  a: [x, y\n  b: {}\n")
        #expect(result.diagnostics.count == 1)
        let diagnostic = result.diagnostics[0]
        #expect(diagnostic.message.hasPrefix("YAML syntax error: did not find expected ',' or ']'"))
        #expect(diagnostic.location == SourceLocation(file: "m.yaml", line: 5, column: 4))
    }

    @Test func invalidUTF8IsLocated() {
        var bytes = Array("apiVersion: poolctl/v1\nstack: web\npools:\n  a: {name: caf".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("}\n".utf8)
        let result = ManifestLoader().load(contents: [("u.yaml", bytes)])
        #expect(lines(result.diagnostics) == ["u.yaml:4:16: error: invalid UTF-8 (byte 0xC3); manifests must be UTF-8 text"])
    }

    @Test func wrongApiVersionAndMissingApiVersion() {
        let result = load("apiVersion: poolctl/v2\nstack: web\n---\nstack: web\n")
        #expect(
            lines(result.diagnostics) == [
                "m.yaml:1:13: error: unsupported apiVersion 'poolctl/v2'; this version of poolctl reads 'poolctl/v1'",
                "m.yaml:4:1: error: missing apiVersion: every document must declare 'apiVersion: poolctl/v1'",
            ])
    }

    @Test func foreignTagsAreRejectedAndStandardOnesAccepted() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            pools:
              a:
                name: !!str 123
                tags: {v: !!float 1.0}
                protect: ⟨1⟩!custom yes

            """)
        #expect(
            lines(load(yaml.text).diagnostics) == [
                "\(yaml.at(1)): error: 'protect' must be true or false, not 'yes'",
                "\(yaml.at(1)): error: unsupported YAML tag '!custom': only the standard scalar tags !!str, !!int, !!float, !!bool and !!null are allowed",
            ])
    }

    /// One node shared through an alias is one problem, reported once.
    @Test func aProblemSharedThroughAnAliasIsReportedOnce() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            pools:
              a: {senders: &s [⟨1⟩nope]}
              b: {senders: *s}

            """)
        let messages = lines(load(yaml.text).diagnostics)
        #expect(messages.count == 1, "\(messages)")
        #expect(messages.first?.hasPrefix("\(yaml.at(1)): error: ") == true, "\(messages)")
    }

    /// `protect: "true"` is the text "true": the error says so, not just "not 'true'".
    @Test func aQuotedBooleanIsCalledAString() {
        let yaml = MarkedYAML(
            """
            apiVersion: poolctl/v1
            stack: web
            prune: ⟨1⟩'false'
            pools:
              a:
                protect: ⟨2⟩!!str true

            """)
        #expect(
            lines(load(yaml.text).diagnostics) == [
                "\(yaml.at(1)): error: 'prune' must be true or false, not 'false' (a string: remove the quotes or the !!str tag)",
                "\(yaml.at(2)): error: 'protect' must be true or false, not 'true' (a string: remove the quotes or the !!str tag)",
            ])
    }

    @Test func billionLaughsFailsFast() {
        var yaml = "apiVersion: poolctl/v1\nstack: web\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "l\(level): &l\(level) [\(refs)]\n"
        }
        let result = load(yaml)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics[0].message.contains("billion laughs"))
        #expect(result.diagnostics[0].location?.line == 9)
    }

    @Test func scalarsKeepTheirLiteralTextAndAnchorsWork() throws {
        let result = load(
            """
            apiVersion: poolctl/v1
            stack: web
            senders:
              one: comms_sender_01h9krwprkeee8fzqspvwy6nq8
            pools:
              a:
                tags: {version: 1.0, enabled: true, zip: 007}
                senders: &s [one, comms_sender_01h9krwprkeee8fzqspvwy6nq9]
              b:
                senders: *s
                membership: additive
                protect: true

            """)
        #expect(result.diagnostics.isEmpty)
        let desired = try #require(result.desired)
        #expect(desired.stack == "web")
        #expect(desired.prune == false)
        #expect(desired.pools.map(\.key) == ["a", "b"])
        #expect(desired.pools[0].tags == ["version": "1.0", "enabled": "true", "zip": "007"])
        #expect(desired.pools[0].name == "a")
        #expect(desired.pools[1].senders == ["comms_sender_01h9krwprkeee8fzqspvwy6nq8", "comms_sender_01h9krwprkeee8fzqspvwy6nq9"])
        #expect(desired.pools[1].aliases == ["comms_sender_01h9krwprkeee8fzqspvwy6nq8": "one"])
        #expect(desired.pools[1].membership == .additive)
        #expect(desired.pools[1].protect)
    }

    @Test func everyProblemInTheSetIsReportedSortedByFileAndPosition() {
        let result = load([
            ("b.yaml", "apiVersion: poolctl/v1\npools:\n  x: {nme: a}\n"),
            ("a.yaml", "apiVersion: poolctl/v1\nstack: web\npools:\n  y: {tags: [1]}\n  Z: {}\n"),
        ])
        #expect(
            lines(result.diagnostics) == [
                "a.yaml:4:13: error: 'tags' must be a mapping of tag key to value, not a list",
                "a.yaml:5:3: error: invalid pool key 'Z': use \(ResourceName.rule)",
                "b.yaml:3:7: error: unknown key 'nme' in pool 'x'; did you mean 'name'?",
            ])
    }
}

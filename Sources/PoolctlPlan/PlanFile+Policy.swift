import PoolctlModel

extension PlanFile {
    /// The policy a plan was checked against (formatVersion 3): its rules as
    /// written, the limit rules lifted by `--allow-policy`, every violation,
    /// and whether it blocks. `apply FILE` re-checks the limit rules against
    /// the saved changes, so a policy cannot be skipped by leaving
    /// `--policy` off, and `blocked` is for readers.
    public struct PolicyResult: Sendable, Hashable, Codable {
        public var files: [String]
        public var rules: [Rule]
        public var allowed: [String]
        public var violations: [Violation]
        public var blocked: Bool

        init(_ outcome: PolicyOutcome) {
            files = outcome.policy.files
            rules = outcome.policy.rules.map(Rule.init)
            allowed = outcome.allowed
            violations = outcome.verdict.diagnostics.map(Violation.init)
            blocked = outcome.blocks
        }

        var outcome: PolicyOutcome {
            PolicyOutcome(
                policy: PoolctlModel.Policy(rules: rules.map(\.policyRule), files: files), allowed: allowed,
                verdict: PolicyVerdict(diagnostics: violations.map(\.diagnostic)))
        }

        /// A rule as its policy file wrote it (no location: a saved plan is read
        /// where the policy may not be).
        public struct Rule: Sendable, Hashable, Codable {
            public var id: String
            public var description: String?
            public var severity: String
            public var match: PolicyMatch
            public var require: Require?
            public var limit: PolicyLimit?

            init(_ rule: PolicyRule) {
                id = rule.id
                description = rule.description
                severity = rule.severity.rawValue
                match = rule.match
                switch rule.check {
                case .require(let r):
                    require = Require(
                        tags: r.tags, name: r.name, protect: r.protect ? true : nil, minMembers: r.minMembers, maxMembers: r.maxMembers,
                        membership: r.membership?.rawValue)
                case .limit(let limit):
                    self.limit = limit
                }
            }

            var policyRule: PolicyRule {
                let check: PolicyRule.Check
                if let limit {
                    check = .limit(limit)
                } else {
                    let r = require ?? Require()
                    check = .require(
                        PolicyRequirement(
                            tags: r.tags, name: r.name, protect: r.protect ?? false, minMembers: r.minMembers, maxMembers: r.maxMembers,
                            membership: r.membership.flatMap(Membership.init(rawValue:))))
                }
                return PolicyRule(
                    id: id, description: description, severity: PolicyRule.Severity(rawValue: severity) ?? .error, match: match,
                    check: check)
            }
        }

        public struct Require: Sendable, Hashable, Codable {
            public var tags: [String: String] = [:]
            public var name: String?
            public var protect: Bool?
            public var minMembers: Int?
            public var maxMembers: Int?
            public var membership: String?
        }

        /// One violation: the rule, its severity for this run (a lifted one is
        /// a warning), the message, and where in the manifests.
        public struct Violation: Sendable, Hashable, Codable {
            public var rule: String
            public var severity: String
            public var message: String
            public var file: String?
            public var line: Int?
            public var column: Int?
            /// Where the rule is defined, as when the plan was made; absent
            /// in plans saved before it was recorded.
            public var notes: [Note]?

            init(_ diagnostic: PoolctlModel.Diagnostic) {
                rule = diagnostic.rule ?? ""
                severity = diagnostic.severity.rawValue
                message = diagnostic.message
                file = diagnostic.location?.file
                line = diagnostic.location?.line
                column = diagnostic.location?.column
                notes = diagnostic.notes.isEmpty ? nil : diagnostic.notes.map(Note.init)
            }

            var diagnostic: PoolctlModel.Diagnostic {
                var diagnostic = PoolctlModel.Diagnostic(
                    PoolctlModel.Diagnostic.Severity(rawValue: severity) ?? .error, message,
                    at: Note.location(file: file, line: line, column: column), notes: (notes ?? []).map(\.note))
                diagnostic.rule = rule
                return diagnostic
            }
        }

        public struct Note: Sendable, Hashable, Codable {
            public var message: String
            public var file: String?
            public var line: Int?
            public var column: Int?

            init(_ note: PoolctlModel.Diagnostic.Note) {
                message = note.message
                file = note.location?.file
                line = note.location?.line
                column = note.location?.column
            }

            var note: PoolctlModel.Diagnostic.Note {
                PoolctlModel.Diagnostic.Note(message: message, location: Self.location(file: file, line: line, column: column))
            }

            static func location(file: String?, line: Int?, column: Int?) -> SourceLocation? {
                file.map { SourceLocation(file: $0, line: line ?? 1, column: column ?? 1) }
            }
        }
    }
}

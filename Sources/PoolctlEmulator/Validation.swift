import PoolctlAPI
import PoolctlModel

/// Field rules shared by the store (in-process calls), the HTTP front and
/// the seed loader. Each returns a message for a 400, or nil when valid.
enum FieldRules {
    static let maxTags = APIFormat.maxTags
    static let maxSenders = APIFormat.maxSendersPerRequest

    static func tagTextProblem(_ text: String, what: String, max: Int) -> String? {
        let utf8 = text.utf8
        if utf8.isEmpty { return "\(what) must not be empty" }
        if !APIFormat.isTagText(text) {
            return "\(what) '\(text)' may only contain the characters a-z A-Z 0-9 . _ ~ -"
        }
        if utf8.count > max { return "\(what) must be at most \(max) characters" }
        return nil
    }

    static func tagsProblem(_ tags: Tags) -> String? {
        if tags.count > maxTags { return "tags must have at most \(maxTags) pairs, got \(tags.count)" }
        for key in tags.keys.sorted() {
            if let problem = tagTextProblem(key, what: "tag key", max: APIFormat.maxTagKeyLength) { return problem }
            if let problem = tagTextProblem(tags[key]!, what: "value of tag '\(key)'", max: APIFormat.maxTagValueLength) { return problem }
        }
        return nil
    }

    static func nameProblem(_ name: String) -> String? {
        APIFormat.poolNameLength(name) > APIFormat.maxPoolNameLength
            ? "name must be at most \(APIFormat.maxPoolNameLength) characters" : nil
    }

    static func idProblem(_ id: String, kind: EmulatorIDKind, what: String) -> String? {
        kind.matches(id)
            ? nil
            : "\(what) '\(clip(id))' is not a valid \(kind.noun) id (expected \(kind.prefix) followed by 26-35 lowercase base32 characters)"
    }

    /// Sender ids of Create's `senders` or of Add Senders.
    /// `limit`: the most senders one request may carry (`add-batch-limit`).
    static func senderListProblem(_ ids: [String], allowEmpty: Bool, limit: Int = maxSenders) -> String? {
        if ids.isEmpty && !allowEmpty { return "at least one sender is required" }
        if ids.count > limit { return "at most \(limit) senders are allowed per request, got \(ids.count)" }
        var seen = Set<String>(minimumCapacity: ids.count)
        for id in ids {
            if let problem = idProblem(id, kind: .sender, what: "senderId") { return problem }
            if !seen.insert(id).inserted { return "senderId '\(id)' appears more than once" }
        }
        return nil
    }

    /// Keeps messages short when echoing hostile input.
    static func clip(_ text: String) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == 80 { return out + "…" }
            if scalar.value < 0x20 || scalar.value == 0x7F { out += "?" } else { out.unicodeScalars.append(scalar) }
            count += 1
        }
        return out
    }
}

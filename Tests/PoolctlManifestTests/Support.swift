import PoolctlManifest
import PoolctlModel

/// Loads inline YAML files as one set.
func load(_ files: [(String, String)]) -> ManifestLoader.Result {
    ManifestLoader().load(contents: files.map { ($0.0, Array($0.1.utf8)) })
}

func load(_ yaml: String, file: String = "m.yaml") -> ManifestLoader.Result {
    load([(file, yaml)])
}

/// `file:line:column: severity: message`, the first line of each diagnostic.
func lines(_ diagnostics: [Diagnostic]) -> [String] {
    diagnostics.map { diagnostic in
        let location = diagnostic.location.map { "\($0.description): " } ?? ""
        return "\(location)\(diagnostic.severity.rawValue): \(diagnostic.message)"
    }
}

/// Marked YAML: each `⟨1⟩`-style marker is removed and its position recorded,
/// so that tests state where a diagnostic must land without counting columns.
struct MarkedYAML {
    var text: String
    var marks: [Int: (line: Int, column: Int)] = [:]

    init(_ marked: String) {
        var text = ""
        var line = 1
        var column = 1
        var index = marked.startIndex
        while index < marked.endIndex {
            let character = marked[index]
            if character == "⟨", let close = marked[index...].firstIndex(of: "⟩"),
                let number = Int(marked[marked.index(after: index)..<close])
            {
                marks[number] = (line, column)
                index = marked.index(after: close)
                continue
            }
            text.append(character)
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index = marked.index(after: index)
        }
        self.text = text
    }

    func at(_ number: Int, file: String = "m.yaml") -> String {
        let mark = marks[number]!
        return "\(file):\(mark.line):\(mark.column)"
    }
}

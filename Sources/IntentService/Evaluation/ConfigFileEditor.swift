import Foundation

/// Rewrites top-level `key: value` lines of a YAML config file, appending missing keys
/// and keeping everything else (comments included) as it was.
enum ConfigFileEditor {
    static func set(_ values: [String: String], in path: String) throws {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            if let i = lines.firstIndex(where: { $0.hasPrefix("\(key):") }) {
                lines[i] = "\(key): \(value)"
            } else {
                lines.append("\(key): \(value)")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

import Foundation
import IntentCore
import Yams

/// Settings from three layers, highest first: command-line flags, `INTENT_*`
/// environment variables, the YAML config file; then built-in defaults.
/// Typed getters say exactly which layer held a bad value.
struct ConfigurationLayers {
    private var flags: [Setting: String] = [:]
    private var environment: [Setting: String] = [:]
    private var file: [Setting: (value: String, location: SourceLocation)] = [:]
    /// The whole process environment the layers were read from (API keys are read from it by name).
    let processEnvironment: [String: String]

    /// - Parameters:
    ///   - configFile: `--config`, else `$INTENT_CONFIG`; nil for none.
    ///   - flags: values given on the command line.
    init(
        configFile: String?, flags: [Setting: String], environment env: [String: String] = ProcessInfo.processInfo.environment
    )
        throws(ConfigurationError)
    {
        self.flags = flags
        processEnvironment = env
        for setting in Setting.allCases {
            if let value = env[setting.environmentVariable] { environment[setting] = value }
        }
        if let path = configFile ?? env[configEnvironmentVariable] {
            file = try Self.readFile(path)
        }
    }

    static func readFile(_ path: String) throws(ConfigurationError) -> [Setting: (value: String, location: SourceLocation)] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(path): cannot be read as UTF-8 text; check --config")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError("\(path): malformed YAML: \(error)")
        }
        guard let root else { return [:] }
        guard let mapping = root.mapping else {
            throw ConfigurationError("\(path):\(root.mark?.line ?? 1): expected a mapping of settings")
        }
        var values: [Setting: (String, SourceLocation)] = [:]
        var problems: [String] = []
        for (key, value) in mapping {
            let name = key.string ?? "?"
            let location = SourceLocation(file: path, line: key.mark?.line ?? 1)
            guard let setting = Setting(rawValue: name) else {
                problems.append(
                    "\(location): \(name): unknown setting; known: \(Setting.allCases.map(\.key).joined(separator: ", "))")
                continue
            }
            if setting.isStructured {
                values[setting] = (Self.flowText(value), location)
                continue
            }
            guard let scalar = value.scalar else {
                problems.append("\(location): \(name): expected a single value")
                continue
            }
            if scalar.style == .plain && (scalar.string == "~" || scalar.string == "null") { continue }
            values[setting] = (scalar.string, location)
        }
        if !problems.isEmpty { throw ConfigurationError(problems.joined(separator: "\n")) }
        return values
    }

    /// A structured value as YAML's one-line flow form, read back by `structured(_:)`: the file's
    /// and the environment's values take the same path.
    private static func flowText(_ node: Node) -> String {
        (try? Yams.serialize(node: node)) ?? ""
    }

    /// A structured setting's winning value as YAML, and where it came from (with the file's
    /// line); nil when it is not set. A value that is not YAML is an error naming its origin.
    func structured(_ setting: Setting) throws(ConfigurationError) -> (node: Node, origin: String)? {
        guard let (text, origin) = raw(setting), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        do {
            guard let node = try Yams.compose(yaml: text) else { return nil }
            return (node, origin)
        } catch {
            throw ConfigurationError("\(origin): not YAML or JSON: \(error)")
        }
    }

    /// The winning raw value and a description of where it came from.
    func raw(_ setting: Setting) -> (value: String, origin: String)? {
        if let v = flags[setting] { return (v, "--\(setting.key.replacingOccurrences(of: "_", with: "-"))") }
        if let v = environment[setting] { return (v, setting.environmentVariable) }
        if let v = file[setting] { return (v.value, "\(v.location): \(setting.key)") }
        return nil
    }

    func string(_ setting: Setting, default value: String) -> String {
        raw(setting)?.value ?? value
    }

    func optionalString(_ setting: Setting) -> String? {
        guard let value = raw(setting)?.value, !value.isEmpty else { return nil }
        return value
    }

    func int(_ setting: Setting, default value: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let (text, origin) = raw(setting) else { return value }
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw ConfigurationError(
                "\(origin): '\(describe(setting, text))' is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func float(_ setting: Setting, default value: Float, in range: ClosedRange<Float>) throws(ConfigurationError) -> Float {
        guard let (text, origin) = raw(setting) else { return value }
        guard let number = Float(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else {
            throw ConfigurationError(
                "\(origin): '\(describe(setting, text))' is not a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    /// A number when the setting is given, else nil (absent, or `off`).
    func floatOrOff(_ setting: Setting, in range: ClosedRange<Float>) throws(ConfigurationError) -> Float? {
        guard let (text, _) = raw(setting), text.trimmingCharacters(in: .whitespaces) != "off" else { return nil }
        return try float(setting, default: 0, in: range)
    }

    func choice(_ setting: Setting, default value: String, from choices: [String]) throws(ConfigurationError) -> String {
        guard let (text, origin) = raw(setting) else { return value }
        guard choices.contains(text) else {
            throw ConfigurationError("\(origin): '\(describe(setting, text))' is not one of \(choices.joined(separator: ", "))")
        }
        return text
    }

    /// One of an enumeration's cases, by its raw value; an unknown one names the cases.
    func choice<Choice: RawRepresentable & CaseIterable>(_ setting: Setting, default value: Choice) throws(ConfigurationError) -> Choice
    where Choice.RawValue == String {
        let text = try choice(setting, default: value.rawValue, from: Choice.allCases.map(\.rawValue))
        return Choice(rawValue: text) ?? value
    }

    private func describe(_ setting: Setting, _ value: String) -> String {
        setting.isSecret ? "<redacted>" : value
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

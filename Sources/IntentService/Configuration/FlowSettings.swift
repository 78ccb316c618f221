import Foundation
import IntentChannels
import IntentCore

/// The conversation flows' settings: the flow file, the key that signs the flows' webhook calls,
/// and the URLs a webhook step can name (`{setting: order_lookup_url}`).
struct FlowSettings {
    /// The flow file; nil: none (no flows run).
    var path: String?
    /// Whether the file was named (`flows`): then it is read whatever corpus is imported.
    var pathIsExplicit: Bool
    /// The HMAC-SHA256 key of `X-Intent-Signature-256` on the flows' webhook calls; nil: unsigned.
    var webhookSecret: String?
    /// The URL settings by name (`order_lookup_url`, `lead_capture_url`), those that are set.
    var urls: [String: String]

    /// The URL settings a webhook step can name, as `FlowFile` knows them.
    static let urlSettings: [Setting] = [.orderLookupURL, .leadCaptureURL]

    /// The flow file's names in a corpus directory, in the order they are looked for.
    static let fileNames = ["flows.yaml", "flows.yml"]

    init(path: String? = nil, webhookSecret: String? = nil, urls: [String: String] = [:]) {
        self.path = path
        pathIsExplicit = path != nil
        self.webhookSecret = webhookSecret
        self.urls = urls
    }

    init(_ layers: ConfigurationLayers, corpus: String) throws(ConfigurationError) {
        if let path = layers.optionalString(.flows) {
            self.path = path
            pathIsExplicit = true
        } else {
            path = Self.defaultPath(corpus: corpus)
            pathIsExplicit = false
        }
        webhookSecret = layers.optionalString(.flowWebhookSecret)
        if let secret = webhookSecret, secret.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) {
            throw ConfigurationError(
                "\(layers.raw(.flowWebhookSecret)?.origin ?? Setting.flowWebhookSecret.key): contains a control character (a line break?)")
        }
        urls = [:]
        for setting in Self.urlSettings {
            guard let url = layers.optionalString(setting) else { continue }
            guard FlowFile.isHTTPURL(url) else {
                throw ConfigurationError("\(layers.raw(setting)?.origin ?? setting.key): '\(url)' is not an http(s) URL")
            }
            urls[setting.key] = url
        }
    }

    /// The flow file beside a corpus (in its directory, or beside a corpus file), when there is one.
    static func defaultPath(corpus: String) -> String? {
        let directory = ChannelSettings.isDirectory(corpus) ? corpus : (corpus as NSString).deletingLastPathComponent
        let base = directory.isEmpty ? "." : (directory.hasSuffix("/") ? String(directory.dropLast()) : directory)
        return fileNames.map { "\(base)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The flow files to check with an import of `sources`: the named one, else the one beside
    /// each source that has one.
    func paths(importing sources: [String]) -> [String] {
        if pathIsExplicit, let path { return [path] }
        var found: [String] = []
        for source in sources {
            if let path = Self.defaultPath(corpus: source), !found.contains(path) { found.append(path) }
        }
        return found
    }

    /// Reads and checks the flow file at `path` against the corpus's keyword rules, off Swift
    /// concurrency's threads (it reads a file). Throws `FlowsError` with every problem.
    func read(_ path: String, rules: [KeywordRule]) async throws -> FlowSet {
        let urls = urls
        do {
            return try await BlockingIO.run { try FlowFile.load(path: path, rules: rules, urls: urls) }
        } catch let error as FlowFile.Invalid {
            throw FlowsError(problems: error.problems)
        }
    }
}

extension FlowSettings {
    /// The flow file at `path` and its text, read and checked as `read` does.
    func readDocument(_ path: String, rules: [KeywordRule]) async throws -> (set: FlowSet, text: String) {
        let text = try await BlockingIO.run {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw FlowsError(problems: ["\(path): cannot be read; check the flows setting"])
            }
            guard let text = String(data: data, encoding: .utf8) else { throw FlowsError(problems: ["\(path): not UTF-8 text"]) }
            return text
        }
        return (try await check(text, file: path, rules: rules), text)
    }

    /// A flow document's text (the console's, or a file's), checked as the flow file is:
    /// against the corpus's keyword rules and these URL settings. Throws `FlowsError`.
    func check(_ text: String, file: String, rules: [KeywordRule]) async throws -> FlowSet {
        let urls = urls
        do {
            return try await BlockingIO.run { try FlowFile.parse(text, file: file, rules: rules, urls: urls) }
        } catch let error as FlowFile.Invalid {
            throw FlowsError(problems: error.problems)
        }
    }
}

/// A flow file that cannot be served: every problem, as `file:line: field: what to do`.
struct FlowsError: Error, CustomStringConvertible {
    var problems: [String]
    var description: String { problems.joined(separator: "\n") }
}

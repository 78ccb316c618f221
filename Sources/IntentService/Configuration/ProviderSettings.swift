import Foundation
import IntentCore
import IntentHTTP
import IntentProviders
import IntentServer

/// Which provider embeds, which one settles close calls, and how they are reached.
/// Keys come from the environment (`OPENAI_API_KEY`, `DEEPSEEK_API_KEY`,
/// `COZE_API_TOKEN`) or from a file named by `api_key_file` / `llm_api_key_file`;
/// never from a flag or the config file itself, so they stay out of shell history
/// and version control.
struct ProviderSettings {
    /// Who embeds: the built-in embedders, or an OpenAI-compatible `/embeddings` API. DeepSeek
    /// and Coze are named only to say what to use instead (they have no embeddings API).
    enum Embedding: String, CaseIterable {
        case local, openai, deepseek, coze
    }

    /// Who settles close calls, if anyone.
    enum Chat: String, CaseIterable {
        case none, openai, deepseek, coze
    }

    /// What answers while the remote embedder fails.
    enum Fallback: String, CaseIterable {
        /// The configured built-in embedder (`embedder`), over the same corpus.
        case local
        /// Keyword rules only: messages no rule claims are unmatched.
        case rules
    }

    var provider: Embedding
    var baseURL: String
    var model: String
    var dimensions: Int?
    var batchSize: Int
    /// Embedding requests in flight at once (an import's batches; a large query batch).
    var concurrency: Int
    var key: Secret?
    var llm: Chat
    var llmBaseURL: String
    var llmModel: String
    var llmKey: Secret?
    var cozeBotID: String?
    var cozeStream: Bool
    var timeout: Duration
    var deadline: Duration
    /// How long a decision waits for the chat model, on top of `deadline`.
    var llmDeadline: Duration
    /// The most close calls of one request sent to the chat model.
    var llmMaxCalls: Int
    /// Whether the chat model translates answers into customers' languages, and who accepts them.
    var translate: TranslateMode
    /// The most translations asked of the chat model in an hour.
    var translatePerHour: Int
    var fallback: Fallback
    var caBundle: String?
    /// Size of the embedding cache, and of the decision memory `serve` keeps.
    var cacheEntries: Int

    var isRemote: Bool { provider != .local }
    /// Send keys over plain http:// to hosts other than this machine (off: refused).
    var allowInsecureHTTP: Bool

    init(_ layers: ConfigurationLayers) throws(ConfigurationError) {
        let environment = layers.processEnvironment
        provider = try layers.choice(.provider, default: .local)
        if provider == .deepseek {
            throw ConfigurationError(
                "provider deepseek: DeepSeek's API has no embeddings endpoint (/embeddings answers 404). Embed with --provider local or --provider openai (any OpenAI-compatible server, including a DeepSeek-compatible deployment that exposes /embeddings, via --base-url), and use DeepSeek as the chat model with --llm deepseek"
            )
        }
        if provider == .coze {
            throw ConfigurationError(
                "provider coze: Coze has no embeddings API. Embed with --provider local or openai, and use Coze as the chat model with --llm coze --coze-bot-id ID"
            )
        }
        baseURL = layers.string(.baseURL, default: "https://api.openai.com/v1")
        model = layers.string(.model, default: "text-embedding-3-small")
        dimensions = layers.raw(.dimensions) == nil ? nil : try layers.int(.dimensions, default: 0, in: 1...65_536)
        batchSize = try layers.int(.batchSize, default: 2048, in: 1...2048)
        concurrency = try layers.int(.concurrency, default: 2, in: 1...32)
        key = try Self.key(layers, file: .apiKeyFile, variable: "OPENAI_API_KEY", environment: environment)
        if provider == .openai && key == nil && baseURL.contains("api.openai.com") {
            throw ConfigurationError("provider openai: no API key; set OPENAI_API_KEY (or api_key_file)")
        }

        llm = try layers.choice(.llm, default: .none)
        let llmDefaults: [Chat: (url: String, model: String, variable: String)] = [
            .openai: ("https://api.openai.com/v1", "gpt-4o-mini", "OPENAI_API_KEY"),
            .deepseek: ("https://api.deepseek.com", "deepseek-chat", "DEEPSEEK_API_KEY"),
            .coze: ("https://api.coze.com", "", "COZE_API_TOKEN"),
        ]
        let defaults = llmDefaults[llm] ?? ("", "", "")
        llmBaseURL = layers.string(.llmBaseURL, default: defaults.url)
        llmModel = layers.string(.llmModel, default: defaults.model)
        llmKey = llm == .none ? nil : try Self.key(layers, file: .llmAPIKeyFile, variable: defaults.variable, environment: environment)
        cozeBotID = layers.optionalString(.cozeBotID)
        cozeStream = try layers.choice(.cozeStream, default: "true", from: ["true", "false"]) == "true"
        if llm == .coze && cozeBotID == nil {
            throw ConfigurationError("llm coze: set the bot with --coze-bot-id ID (or coze_bot_id / INTENT_COZE_BOT_ID)")
        }
        if llm != .none && llmKey == nil && !llmBaseURL.contains("127.0.0.1") && !llmBaseURL.contains("localhost") {
            throw ConfigurationError("llm \(llm.rawValue): no API key; set \(defaults.variable) (or llm_api_key_file)")
        }
        allowInsecureHTTP = try layers.choice(.allowInsecureHTTP, default: "false", from: ["true", "false"]) == "true"
        if provider != .local { try Self.checkTransport(baseURL, setting: .baseURL, layers: layers, allowInsecure: allowInsecureHTTP) }
        if llm != .none { try Self.checkTransport(llmBaseURL, setting: .llmBaseURL, layers: layers, allowInsecure: allowInsecureHTTP) }
        timeout = .milliseconds(try layers.int(.providerTimeoutMs, default: 10_000, in: 100...300_000))
        deadline = .milliseconds(try layers.int(.deadlineMs, default: 1_500, in: 50...120_000))
        llmDeadline = .milliseconds(try layers.int(.llmDeadlineMs, default: 5_000, in: 100...120_000))
        llmMaxCalls = try layers.int(.llmMaxCalls, default: 4, in: 0...100)
        translate = try layers.choice(.translate, default: .off)
        translatePerHour = try layers.int(.translatePerHour, default: 100, in: 1...100_000)
        if translate != .off && llm == .none {
            throw ConfigurationError(
                "translate \(translate.rawValue): answers are translated by a chat model; set llm (openai, deepseek or coze) or translate: off")
        }
        fallback = try layers.choice(.fallback, default: .local)
        caBundle = layers.optionalString(.caBundle)
        cacheEntries = try layers.int(.cacheEntries, default: 10_000, in: 1...10_000_000)
    }

    /// The key from `file` (its first line) or the environment variable. A key becomes an
    /// HTTP header: one with a control character (a CR/LF would start a header of its own) is
    /// refused, naming where it came from but not the key.
    private static func key(
        _ layers: ConfigurationLayers, file setting: Setting, variable: String, environment: [String: String]
    )
        throws(ConfigurationError) -> Secret?
    {
        let value: String
        let origin: String
        if let path = layers.optionalString(setting) {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let line = text.split(whereSeparator: \.isNewline).first, !line.trimmingCharacters(in: .whitespaces).isEmpty
            else { throw ConfigurationError("\(setting.key): cannot read a key from \(path)") }
            (value, origin) = (line.trimmingCharacters(in: .whitespaces), "\(setting.key) (\(path))")
        } else {
            guard let raw = environment[variable], !raw.isEmpty else { return nil }
            (value, origin) = (raw, variable)
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) else {
            throw ConfigurationError("\(origin): the key contains a control character (a line break?); it cannot be sent as a header")
        }
        return Secret(value)
    }

    /// Keys travel in headers: plain http:// only to this machine (loopback), unless allowed.
    static func checkTransport(
        _ url: String, setting: Setting, layers: ConfigurationLayers, allowInsecure: Bool
    )
        throws(ConfigurationError)
    {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else {
            throw ConfigurationError("\(layers.raw(setting)?.origin ?? setting.key): '\(url)' is not an http(s) URL with a host")
        }
        guard scheme == "http", !allowInsecure else { return }
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        guard loopback else {
            throw ConfigurationError(
                "\(layers.raw(setting)?.origin ?? setting.key): '\(url)' is plain http to another host: the key or token would cross the network unencrypted; use https, or set allow_insecure_http: true (INTENT_ALLOW_INSECURE_HTTP=true) for a trusted private network"
            )
        }
    }
}

import Foundation
import IntentChannels
import Testing

@testable import IntentService

/// `webchat_sites`: a mapping of sites to their origins in the config file, or the same as one
/// line of YAML or JSON in `INTENT_WEBCHAT_SITES`; bad names and origins refused naming where.
@Suite struct WebChatSettingsTests {
    func webchat(_ environment: [String: String] = [:], file: String? = nil) throws(ConfigurationError) -> WebChatSettings? {
        try WebChatSettings.from(try ConfigurationLayers(configFile: file, flags: [:], environment: environment))
    }

    func refusal(_ environment: [String: String] = [:], file: String? = nil) -> String {
        do {
            _ = try webchat(environment, file: file)
            Issue.record("must be refused")
            return ""
        } catch {
            return error.description
        }
    }

    func write(_ text: String) throws -> String {
        let file = NSTemporaryDirectory() + "webchat-settings-\(UUID().uuidString).yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func sitesComeFromTheFileOrTheEnvironment() throws {
        #expect(try webchat() == nil)
        let file = try write(
            """
            corpus: corpus
            webchat_sites:
              shop:
                origins: ["https://Shop.Example.com", "https://www.shop.example.com:443"]
              blog: {origins: ["http://localhost:3000"]}
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let settings = try #require(try webchat(file: file))
        #expect(settings.sites["shop"]?.origins == ["https://shop.example.com", "https://www.shop.example.com"])
        #expect(settings.sites["blog"]?.origins == ["http://localhost:3000"])
        #expect(!settings.trustForwardedFor)

        let json = try #require(
            try webchat([
                "INTENT_WEBCHAT_SITES": #"{"shop": {"origins": ["https://shop.example.com"]}}"#, "INTENT_WEBCHAT_TRUST_FORWARDED_FOR": "true",
            ]))
        #expect(json.sites.keys.sorted() == ["shop"] && json.trustForwardedFor)
        // The environment wins over the file.
        let both = try #require(try webchat(["INTENT_WEBCHAT_SITES": "{news: {origins: [https://news.example.com]}}"], file: file))
        #expect(both.sites.keys.sorted() == ["news"])
    }

    @Test func badSitesAndOriginsAreRefusedNamingWhere() throws {
        let file = try write("webchat_sites:\n  shop:\n    origins: [\"https://shop.example.com/chat\"]\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let path = refusal(file: file)
        #expect(path.hasPrefix("\(file):1: webchat_sites: site 'shop': origin 'https://shop.example.com/chat': an origin has no path"))
        #expect(refusal(["INTENT_WEBCHAT_SITES": "{shop: {origins: ['*']}}"]).contains("a wildcard is not an origin"))
        #expect(
            refusal(["INTENT_WEBCHAT_SITES": "{Shop!: {origins: [https://a.example]}}"]).contains("site 'Shop!': a site's name is 1-64 characters"))
        #expect(refusal(["INTENT_WEBCHAT_SITES": "{shop: {origins: []}}"]).contains("'origins' must list"))
        #expect(refusal(["INTENT_WEBCHAT_SITES": "{shop: {origin: [https://a.example]}}"]).contains("unknown field 'origin'"))
        #expect(refusal(["INTENT_WEBCHAT_SITES": "[https://a.example]"]).hasPrefix("INTENT_WEBCHAT_SITES: expected a mapping of site names"))
        #expect(refusal(["INTENT_WEBCHAT_SITES": "{shop: [}"]).hasPrefix("INTENT_WEBCHAT_SITES: not YAML or JSON"))
    }
}

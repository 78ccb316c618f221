import IntentChannels
import Yams

extension WebChatSettings {
    /// The web chat's settings from the layers: nil when `webchat_sites` is not set. The value
    /// is a mapping of site names to their origins, in the config file
    /// (`webchat_sites: {shop: {origins: ["https://shop.example.com"]}}`) or, in
    /// `INTENT_WEBCHAT_SITES`, the same as one line of YAML or JSON. Errors name where the
    /// value came from, the site and the origin.
    static func from(_ layers: ConfigurationLayers, retentionDays: Int = 90) throws(ConfigurationError) -> WebChatSettings? {
        guard let (node, origin) = try layers.structured(.webchatSites) else { return nil }
        guard let mapping = node.mapping else {
            throw ConfigurationError(
                "\(origin): expected a mapping of site names to {origins: [...]}, such as {shop: {origins: [\"https://shop.example.com\"]}}")
        }
        var sites: [Site] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard WebChatSettings.isValidSiteName(name) else {
                throw ConfigurationError(
                    "\(origin): site '\(name)': a site's name is 1-64 characters of a-z, 0-9, '_' and '-' (what the page's data-site says)")
            }
            guard let fields = value.mapping else {
                throw ConfigurationError("\(origin): site '\(name)': expected {origins: [\"https://...\"]}")
            }
            for (field, _) in fields where field.string != "origins" {
                throw ConfigurationError("\(origin): site '\(name)': unknown field '\(field.string ?? "?")'; a site has 'origins'")
            }
            guard let list = fields["origins"]?.sequence, !list.isEmpty else {
                throw ConfigurationError(
                    "\(origin): site '\(name)': 'origins' must list the origins its pages are served from, such as [\"https://shop.example.com\"]")
            }
            var origins: [String] = []
            for entry in list {
                let text = entry.string ?? ""
                switch WebChatSettings.normalizedOrigin(text) {
                case .success(let normalized): if !origins.contains(normalized) { origins.append(normalized) }
                case .failure(let problem): throw ConfigurationError("\(origin): site '\(name)': origin '\(text)': \(problem)")
                }
            }
            sites.append(Site(name: name, origins: origins))
        }
        guard !sites.isEmpty else { throw ConfigurationError("\(origin): no site is configured; remove the setting to turn the web chat off") }
        let trust = try layers.choice(.webchatTrustForwardedFor, default: "false", from: ["true", "false"]) == "true"
        return WebChatSettings(sites: sites, trustForwardedFor: trust, retentionDays: retentionDays)
    }
}

import Foundation
import IntentChannels

/// The Messenger and Instagram channels' settings, read from the configuration layers like the
/// WhatsApp channel's: a channel is on when its verify token, app secret, page or account id
/// and access token are all set, and setting only some of them is refused, naming the others.
extension MessengerSettings {
    /// The settings of each part, per platform.
    struct Keys {
        var verifyToken: Setting
        var appSecret: Setting
        var account: Setting
        var accessToken: Setting
        var graphURL: Setting

        init(_ platform: Platform) {
            switch platform {
            case .messenger:
                (verifyToken, appSecret, account, accessToken, graphURL) = (
                    .messengerVerifyToken, .messengerAppSecret, .messengerPageID, .messengerPageAccessToken, .messengerGraphURL
                )
            case .instagram:
                (verifyToken, appSecret, account, accessToken, graphURL) = (
                    .instagramVerifyToken, .instagramAppSecret, .instagramAccountID, .instagramAccessToken, .instagramGraphURL
                )
            }
        }

        var required: [Setting] { [verifyToken, appSecret, account, accessToken] }
    }

    /// The platform's settings from the layers; nil when none of them is set (the channel is off).
    ///
    /// Refused, naming where the value came from but never a secret: a channel set only in
    /// part; a value with a control character (a line break pasted with a token would end an
    /// HTTP header); a page or account id that is not digits (it goes into the send URL); a
    /// Graph URL that is not http(s), or plain http to another host than this one without
    /// `allow_insecure_http` (the access token would cross the network unencrypted).
    static func configured(
        _ platform: Platform, from layers: ConfigurationLayers, retentionDays: Int, allowInsecureHTTP: Bool
    ) throws(ConfigurationError) -> MessengerSettings? {
        let keys = Keys(platform)
        let given = keys.required.filter { layers.optionalString($0) != nil }
        guard !given.isEmpty else { return nil }
        guard given.count == keys.required.count else {
            let missing = keys.required.filter { !given.contains($0) }.map { "\($0.key) (\($0.environmentVariable))" }.joined(separator: ", ")
            throw ConfigurationError(
                "the \(platform.title) channel needs \(missing) too (it is on when \(keys.required.map(\.key).joined(separator: ", ")) are all set)")
        }
        for setting in keys.required {
            let value = layers.optionalString(setting) ?? ""
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) {
                throw ConfigurationError("\(layers.raw(setting)?.origin ?? setting.key): contains a control character (a line break?)")
            }
        }
        let account = layers.optionalString(keys.account) ?? ""
        guard account.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
            let what =
                platform == .messenger
                ? "a Facebook Page id (digits, from the page's About > Page transparency, or the app's Messenger > Settings)"
                : "an Instagram professional account id (digits, from the app's Instagram > API setup)"
            throw ConfigurationError("\(layers.raw(keys.account)?.origin ?? keys.account.key): '\(account)' is not \(what)")
        }
        let graphURL = layers.string(keys.graphURL, default: Self.defaultGraphURL)
        try ProviderSettings.checkTransport(graphURL, setting: keys.graphURL, layers: layers, allowInsecure: allowInsecureHTTP)
        return MessengerSettings(
            platform: platform, verifyToken: layers.optionalString(keys.verifyToken) ?? "", appSecret: layers.optionalString(keys.appSecret) ?? "",
            accountID: account, accessToken: layers.optionalString(keys.accessToken) ?? "", graphURL: graphURL, retentionDays: retentionDays)
    }
}

import IntentChannels

extension TelegramSettings {
    /// The Telegram channel's settings from the layers: nil when neither the bot token nor the
    /// webhook secret is set, refused when only one is (naming the missing one). Neither value
    /// is ever echoed: a bad one is named by where it came from.
    static func from(
        _ layers: ConfigurationLayers, allowInsecureHTTP: Bool, retentionDays: Int = 90
    ) throws(ConfigurationError) -> TelegramSettings? {
        let secrets: [Setting] = [.telegramBotToken, .telegramWebhookSecret]
        let given = secrets.filter { layers.optionalString($0) != nil }
        guard !given.isEmpty else { return nil }
        guard given.count == secrets.count else {
            let missing = secrets.filter { !given.contains($0) }.map(\.environmentVariable).joined(separator: ", ")
            throw ConfigurationError("the Telegram channel needs \(missing) too (it is on when the bot token and the webhook secret are set)")
        }
        for setting in secrets {
            let value = layers.optionalString(setting) ?? ""
            if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.value == 0x7F }) {
                throw ConfigurationError("\(layers.raw(setting)?.origin ?? setting.key): contains a control character (a line break?)")
            }
        }
        let token = layers.optionalString(.telegramBotToken) ?? ""
        guard TelegramSettings.botID(ofToken: token) != nil else {
            throw ConfigurationError(
                "\(layers.raw(.telegramBotToken)?.origin ?? "telegram_bot_token"): not a bot token as @BotFather gives them (digits, a colon, then letters, digits, '_' or '-')"
            )
        }
        let secret = layers.optionalString(.telegramWebhookSecret) ?? ""
        guard TelegramSettings.isValidWebhookSecret(secret) else {
            throw ConfigurationError(
                "\(layers.raw(.telegramWebhookSecret)?.origin ?? "telegram_webhook_secret"): Telegram takes 1-256 characters of A-Z, a-z, 0-9, '_' and '-' as a webhook secret"
            )
        }
        let apiURL = layers.string(.telegramAPIURL, default: TelegramSettings.defaultAPIURL)
        try ProviderSettings.checkTransport(apiURL, setting: .telegramAPIURL, layers: layers, allowInsecure: allowInsecureHTTP)
        return TelegramSettings(botToken: token, webhookSecret: secret, apiURL: apiURL, retentionDays: retentionDays)
    }
}

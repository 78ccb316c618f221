import Foundation
import IntentChannels
import Testing

@testable import IntentService

/// `telegram_bot_token`, `telegram_webhook_secret`, `telegram_api_url`: the channel is on with
/// both secrets, refused half-configured, and neither secret is ever echoed.
@Suite struct TelegramSettingsTests {
    static let token = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    static let secrets = ["INTENT_TELEGRAM_BOT_TOKEN": token, "INTENT_TELEGRAM_WEBHOOK_SECRET": "s3cret_hook-value"]

    func telegram(_ environment: [String: String], insecure: Bool = false) throws(ConfigurationError) -> TelegramSettings? {
        let layers = try ConfigurationLayers(configFile: nil, flags: [:], environment: environment)
        return try TelegramSettings.from(layers, allowInsecureHTTP: insecure)
    }

    func refusal(_ environment: [String: String], insecure: Bool = false) -> String {
        do {
            _ = try telegram(environment, insecure: insecure)
            Issue.record("\(environment.keys.sorted()) must be refused")
            return ""
        } catch {
            return error.description
        }
    }

    @Test func theChannelIsOnWithBothSecretsAndOffWithNeither() throws {
        #expect(try telegram([:]) == nil)
        let settings = try #require(try telegram(Self.secrets))
        #expect(settings.botToken == Self.token && settings.webhookSecret == "s3cret_hook-value")
        #expect(settings.apiURL == "https://api.telegram.org" && settings.botID == "7012345678" && settings.messagesPerSecond == 30)
        let local = try telegram(Self.secrets.merging(["INTENT_TELEGRAM_API_URL": "http://127.0.0.1:18202"]) { $1 })
        #expect(local?.apiURL == "http://127.0.0.1:18202")
        #expect(Setting.telegramBotToken.isSecret && Setting.telegramWebhookSecret.isSecret && !Setting.telegramAPIURL.isSecret)
        #expect(Setting.telegramAPIURL.environmentVariable == "INTENT_TELEGRAM_API_URL")
    }

    @Test func aHalfConfiguredChannelIsRefusedNamingWhatIsMissing() {
        #expect(
            refusal(["INTENT_TELEGRAM_BOT_TOKEN": Self.token])
                == "the Telegram channel needs INTENT_TELEGRAM_WEBHOOK_SECRET too (it is on when the bot token and the webhook secret are set)")
        #expect(refusal(["INTENT_TELEGRAM_WEBHOOK_SECRET": "s3cret"]).contains("needs INTENT_TELEGRAM_BOT_TOKEN too"))
    }

    @Test func badValuesAreRefusedWithoutEchoingThem() {
        let shapeless = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
        let noShape = refusal(Self.secrets.merging(["INTENT_TELEGRAM_BOT_TOKEN": shapeless]) { $1 })
        #expect(noShape.hasPrefix("INTENT_TELEGRAM_BOT_TOKEN: not a bot token") && !noShape.contains(shapeless))
        let broken = refusal(Self.secrets.merging(["INTENT_TELEGRAM_BOT_TOKEN": Self.token + "\r\nX-Evil: 1"]) { $1 })
        #expect(broken == "INTENT_TELEGRAM_BOT_TOKEN: contains a control character (a line break?)")
        let spaced = refusal(Self.secrets.merging(["INTENT_TELEGRAM_WEBHOOK_SECRET": "two words"]) { $1 })
        #expect(spaced.hasPrefix("INTENT_TELEGRAM_WEBHOOK_SECRET: Telegram takes 1-256 characters") && !spaced.contains("two words"))
        let plain = refusal(Self.secrets.merging(["INTENT_TELEGRAM_API_URL": "http://bot-proxy.example.com"]) { $1 })
        #expect(plain.contains("plain http to another host") && !plain.contains(Self.token))
        #expect((try? telegram(Self.secrets.merging(["INTENT_TELEGRAM_API_URL": "http://bot-proxy.example.com"]) { $1 }, insecure: true)) != nil)
        #expect(refusal(Self.secrets.merging(["INTENT_TELEGRAM_API_URL": "api.telegram.org"]) { $1 }).contains("is not an http(s) URL"))
    }

    @Test func theFileMayHoldThemAndTheErrorNamesTheLine() throws {
        let folder = NSTemporaryDirectory() + "telegram-settings-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/config.yaml"
        try "telegram_bot_token: \"\(Self.token)\"\ntelegram_webhook_secret: 'bad secret!'\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try TelegramSettings.from(try ConfigurationLayers(configFile: file, flags: [:], environment: [:]), allowInsecureHTTP: false)
            Issue.record("a secret Telegram would refuse must be refused")
        } catch {
            #expect(error.description.hasPrefix("\(file):2: telegram_webhook_secret: Telegram takes"))
            #expect(!error.description.contains("bad secret"))
        }
    }
}

package import Foundation

/// How the Telegram channel connects to the Bot API. The token and the secret are never logged
/// or echoed: the token is part of every request's URL, so no URL is either.
package struct TelegramSettings: Sendable {
    /// The bot's token from @BotFather (`123456789:AA...`): authorises every Bot API call.
    package var botToken: String
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token` with every webhook, as given to
    /// `setWebhook` (`intent-service telegram set-webhook`).
    package var webhookSecret: String
    package var apiURL: String
    /// The most messages sent a second, all chats together (Telegram's broadcast limit is about 30).
    package var messagesPerSecond: Double
    /// Messages, conversations and delivery statuses older than this are deleted.
    package var retentionDays: Int
    /// The first retry of a failed send waits this long; each next one twice as long, up to 10 minutes.
    package var firstRetryDelay: TimeInterval = 2

    package static let defaultAPIURL = "https://api.telegram.org"

    package init(
        botToken: String, webhookSecret: String, apiURL: String = Self.defaultAPIURL, messagesPerSecond: Double = 30, retentionDays: Int = 90
    ) {
        self.botToken = botToken
        self.webhookSecret = webhookSecret
        self.apiURL = apiURL
        self.messagesPerSecond = messagesPerSecond
        self.retentionDays = retentionDays
    }

    /// The bot's own id: the digits before the token's colon, public (it is the bot's user id).
    package var botID: String { Self.botID(ofToken: botToken) ?? "bot" }

    /// The digits before the colon of a token shaped as BotFather gives them (`digits:rest`,
    /// the rest letters, digits, `_` or `-`); nil for any other shape.
    package static func botID(ofToken token: String) -> String? {
        let parts = token.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy({ (0x30...0x39).contains($0) }), !parts[1].isEmpty,
            parts[1].utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
            })
        else { return nil }
        return String(parts[0])
    }

    /// Telegram's own rules for `secret_token`: 1-256 characters, letters, digits, `_` and `-`.
    package static func isValidWebhookSecret(_ secret: String) -> Bool {
        (1...256).contains(secret.utf8.count)
            && secret.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte == 0x2D
            }
    }
}

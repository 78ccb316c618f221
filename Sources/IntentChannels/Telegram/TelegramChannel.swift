package import Foundation
import IntentCore
package import IntentHTTP

/// Telegram's Bot API as a `ChatChannel`: webhooks carrying the secret given to `setWebhook`
/// (`X-Telegram-Bot-Api-Secret-Token`), read by `TelegramUpdate`; sends through `BotAPI`
/// (`sendMessage`, `answerCallbackQuery`) with Telegram's error codes sorted into retry, wait,
/// fail, unreachable and rejected credentials.
package struct TelegramChannel: ChatChannel {
    package static let channelName = "telegram"

    package let settings: TelegramSettings
    let api: BotAPI
    let transport: any HTTPTransport
    /// The pause between the parts of a text too long for one message (Telegram allows about
    /// one message a second in a chat).
    let partPause: Duration

    package var name: String { Self.channelName }
    package var messagesPerSecond: Double { settings.messagesPerSecond }
    /// Telegram lets a bot write to anyone who started it, at any time.
    package var replyWindow: TimeInterval? { nil }
    /// An update is one message (4,096 characters, escaped as \uXXXX at most six bytes each)
    /// with its reply's and keyboard's copies: 1 MiB is far more than any.
    package var maxWebhookBytes: Int { 1024 * 1024 }

    package init(settings: TelegramSettings, transport: any HTTPTransport, partPause: Duration = .seconds(1)) {
        self.settings = settings
        self.transport = transport
        self.partPause = partPause
        api = BotAPI(baseURL: settings.apiURL, token: settings.botToken)
    }

    /// The runtime's settings from the Telegram ones (retention, first retry).
    package var runtimeSettings: ChannelRuntime.Settings {
        ChannelRuntime.Settings(retentionDays: settings.retentionDays, firstRetryDelay: settings.firstRetryDelay)
    }

    package func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading {
        guard let secret = headers["x-telegram-bot-api-secret-token"], !secret.isEmpty else {
            return .unsigned("X-Telegram-Bot-Api-Secret-Token is missing; Telegram sends it with every webhook set with a secret_token")
        }
        guard ConstantTime.equal(secret, settings.webhookSecret) else {
            return .forged("X-Telegram-Bot-Api-Secret-Token does not match telegram_webhook_secret")
        }
        do {
            let update = try TelegramUpdate.decode(body, bot: settings.botID, receivedAt: receivedAt)
            return .batch(InboundBatch(messages: update.message.map { [$0] } ?? [], unusableTimestamps: update.unusableTimestamp ? 1 : 0))
        } catch {
            return .malformed("\(error)")
        }
    }

    package func send(_ item: OutboxItem) async -> SendOutcome {
        let draft = item.draft
        switch draft.kind {
        case .webhook:
            return .failed("a webhook item is not a Telegram message; the channel sends none")
        case .template:
            return .failed("Telegram has no message templates (a bot may write to a customer at any time); nothing was sent")
        case .read:
            // Telegram has no read receipts; a button press is answered, or the customer's app
            // shows it pending for a while.
            guard case .callback(_, _, let query)? = draft.context.flatMap(TelegramMessageID.init) else { return .sent(channelMessageID: nil) }
            switch await api.call("answerCallbackQuery", ["callback_query_id": query], over: transport) {
            case .success: return .sent(channelMessageID: nil)
            case .failure(let error): return error.outcome
            }
        case .text, .buttons, .list:
            let quoting = draft.context.flatMap(TelegramMessageID.init)?.quotableMessageID
            return await sendMessages(TelegramOutgoing.messages(for: draft, chat: item.recipient.id, quoting: quoting))
        }
    }

    /// Sends the parts in order and names the last (the one with the keyboard, if any).
    ///
    /// A later part that meets a flood limit or a 5xx is tried again here (up to three times,
    /// waiting what Telegram says): giving the item back to the outbox would send the earlier
    /// parts twice. One that fails for good fails the item, its earlier parts already sent.
    private func sendMessages(_ messages: [[String: Any]]) async -> SendOutcome {
        var sentID: String?
        for (index, message) in messages.enumerated() {
            if index > 0 { try? await Task.sleep(for: partPause) }
            var attempt = 0
            while true {
                attempt += 1
                switch await api.call("sendMessage", message, over: transport) {
                case .success(let result):
                    sentID = Self.messageID(of: result)
                case .failure(let error):
                    let outcome = error.outcome
                    guard index > 0 else { return outcome }
                    switch outcome {
                    case .retry where attempt < 3, .retryAfter where attempt < 3:
                        try? await Task.sleep(for: .seconds(min(error.retryAfter ?? 1, 30)))
                        continue
                    case .retry(let text), .retryAfter(_, let text), .failed(let text):
                        return .failed("part \(index + 1) of \(messages.count) (the earlier ones were sent): \(text)")
                    default:
                        return outcome
                    }
                }
                break
            }
        }
        return .sent(channelMessageID: sentID)
    }

    /// The sent message's id as this channel names it (`telegram:<chat>:<message_id>`).
    static func messageID(of result: Any) -> String? {
        guard let message = result as? [String: Any], let id = (message["message_id"] as? NSNumber)?.int64Value,
            let chat = ((message["chat"] as? [String: Any])?["id"] as? NSNumber)?.int64Value
        else { return nil }
        return TelegramMessageID.sent(chat: chat, messageID: id)
    }
}

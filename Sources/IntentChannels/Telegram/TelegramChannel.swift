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

    package var name: String { Self.channelName }
    package var messagesPerSecond: Double { settings.messagesPerSecond }
    /// Telegram lets a bot write to anyone who started it, at any time.
    package var replyWindow: TimeInterval? { nil }
    package var maxTextLength: Int { TelegramOutgoing.maxTextLength }
    /// Telegram counts a text's length in UTF-16 code units: an emoji is two.
    package var textMeasure: TextMeasure { .utf16 }
    /// Telegram asks a bot for no more than one message a second in a chat, and tolerates a
    /// short burst over it. A burst of 3 lets what one customer message causes at most (the
    /// greeting, the away message and the answer) go out at once; the refill of one a second
    /// keeps anything longer (a long answer's parts, a flow's steps) at Telegram's pace, well
    /// under the 6 s WhatsApp needs.
    package var customerPacing: CustomerPacing? { CustomerPacing(burst: 3, interval: 1) }
    /// An update is one message (4,096 characters, escaped as \uXXXX at most six bytes each)
    /// with its reply's and keyboard's copies: 1 MiB is far more than any.
    package var maxWebhookBytes: Int { 1024 * 1024 }

    package init(settings: TelegramSettings, transport: any HTTPTransport) {
        self.settings = settings
        self.transport = transport
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
            switch await api.call("sendMessage", TelegramOutgoing.message(for: draft, chat: item.recipient.id, quoting: quoting), over: transport) {
            case .success(let result): return .sent(channelMessageID: Self.messageID(of: result))
            case .failure(let error): return error.outcome
            }
        }
    }

    /// The sent message's id as this channel names it (`telegram:<chat>:<message_id>`).
    static func messageID(of result: Any) -> String? {
        guard let message = result as? [String: Any], let id = (message["message_id"] as? NSNumber)?.int64Value,
            let chat = ((message["chat"] as? [String: Any])?["id"] as? NSNumber)?.int64Value
        else { return nil }
        return TelegramMessageID.sent(chat: chat, messageID: id)
    }
}

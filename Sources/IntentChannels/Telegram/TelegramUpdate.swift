package import Foundation

/// One Telegram webhook delivery: a single `Update` object, read into the service's message.
///
/// - `message`: text (`type: text`), or media and the like (`photo`, `sticker`, `voice`,
///   `document`...: the type as Telegram names the field, the caption as the text), or a
///   service message (`system`: recorded, never answered).
/// - `callback_query`: a press of an inline keyboard button: the choice is its `callback_data`,
///   the text the pressed button's title (looked up in the keyboard of the message it belongs
///   to), and `replyTo` that message, as `send` named it.
/// - `edited_message`: recorded as `edited` (a notice: never answered, see `ConversationPolicy`).
///
/// Anything else (a member update, a poll's answer...) and chats other than a private chat with
/// the bot (groups, channels) are accepted and skipped: Telegram would redeliver a refused one.
/// Decoding is lenient where Telegram adds fields and strict where the service depends on one.
package struct TelegramUpdate: Sendable {
    package var updateID: Int64
    /// The customer's message; nil when the update holds nothing for the service (`skipped` says why).
    package var message: InboundMessage?
    /// The customer's Telegram language (`from.language_code`, an IETF tag such as `en` or
    /// `zh-hans`), set by their app: a better guess at their language than a short text. The
    /// message carries it (`InboundMessage.language`).
    package var languageCode: String?
    /// Why the update was skipped, when it was.
    package var skipped: String?
    /// The message's date was not a plausible time: the receipt time stood in.
    package var unusableTimestamp = false

    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// Media and other content a message may carry instead of text, in the order they are
    /// looked for (an `animation` also carries a `document`).
    static let contentTypes = [
        "animation", "photo", "video", "video_note", "voice", "audio", "document", "sticker", "location", "venue", "contact", "poll",
        "dice", "game", "story", "paid_media", "invoice",
    ]

    /// - Parameters:
    ///   - bot: the bot's id, part of every message id (update ids are counted per bot).
    ///   - receivedAt: stands in for a date that is not a plausible time, and is a button
    ///     press's time (Telegram gives none).
    package static func decode(_ body: [UInt8], bot: String, receivedAt: Date = Date()) throws -> TelegramUpdate {
        let update: Wire.Update
        do {
            update = try JSONDecoder().decode(Wire.Update.self, from: Data(body))
        } catch {
            throw Malformed(description: "not a Telegram update: \(WebhookPayload.explain(error))")
        }
        var reading = TelegramUpdate(updateID: update.update_id)
        if let message = update.message {
            reading.read(message, id: .message(bot: bot, update: update.update_id, messageID: message.message_id), receivedAt: receivedAt)
        } else if let edited = update.edited_message {
            reading.read(edited, id: .edit(bot: bot, update: update.update_id, messageID: edited.message_id), receivedAt: receivedAt)
        } else if let query = update.callback_query {
            reading.read(query, id: .callback(bot: bot, update: update.update_id, queryID: query.id), receivedAt: receivedAt)
        } else {
            reading.skipped = "an update of a kind the service does not read"
        }
        return reading
    }

    private init(updateID: Int64) {
        self.updateID = updateID
    }

    private mutating func read(_ message: Wire.Message, id: TelegramMessageID, receivedAt: Date) {
        guard message.chat.type == nil || message.chat.type == "private" else {
            skipped = "a message in a \(message.chat.type ?? "") chat: only private chats with the bot are conversations"
            return
        }
        languageCode = message.from?.language_code
        let type: String
        let text: String?
        if case .edit = id {
            type = "edited"
            text = Self.words(message.text ?? message.caption)
        } else if let words = message.text {
            type = "text"
            text = Self.words(words)
        } else if let content = Self.contentTypes.first(where: message.fields.contains) {
            type = content
            text = Self.words(message.caption)
        } else {
            // A service message (pinned, shared users, write access allowed...): about the chat, not from the customer.
            type = "system"
            text = nil
        }
        let date = (id.isEdit ? message.edit_date : nil) ?? message.date
        self.message = InboundMessage(
            id: id.text, from: ChannelIdentity(channel: TelegramChannel.channelName, id: String(message.chat.id)),
            customerName: message.from?.name, account: id.bot, type: type, text: text, sentAt: time(date, receivedAt: receivedAt),
            language: languageCode)
    }

    private mutating func read(_ query: Wire.CallbackQuery, id: TelegramMessageID, receivedAt: Date) {
        languageCode = query.from.language_code
        if let chat = query.message?.chat, chat.type != nil, chat.type != "private" {
            skipped = "a button pressed in a \(chat.type ?? "") chat: only private chats with the bot are conversations"
            return
        }
        // A private chat's id is the user's; a message sent in inline mode names no chat.
        let chat = query.message?.chat.id ?? query.from.id
        guard let data = query.data, !data.isEmpty else {
            skipped = "a button press without callback_data (a game's button)"
            return
        }
        let buttons = query.message?.reply_markup?.inline_keyboard?.flatMap { $0 } ?? []
        let title = buttons.first { $0.callback_data == data }?.text
        message = InboundMessage(
            id: id.text, from: ChannelIdentity(channel: TelegramChannel.channelName, id: String(chat)), customerName: query.from.name,
            account: id.bot, type: "callback_query", text: Self.words(title) ?? data, choice: data,
            replyTo: query.message.map { TelegramMessageID.sent(chat: chat, messageID: $0.message_id) }, sentAt: receivedAt,
            language: languageCode)
    }

    private static func words(_ text: String?) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return text
    }

    /// The earliest plausible date: the Bot API did not exist before (2015-06-24).
    static let earliest = Date(timeIntervalSince1970: 1_435_104_000)

    /// A date that is not a time (before the Bot API, more than a day ahead of the receipt)
    /// becomes the receipt time, noted: stored as it came, it would date a conversation wrongly.
    private mutating func time(_ seconds: Int64?, receivedAt: Date) -> Date {
        if let seconds, Double(seconds) >= Self.earliest.timeIntervalSince1970, Double(seconds) <= receivedAt.timeIntervalSince1970 + 86_400 {
            return Date(timeIntervalSince1970: Double(seconds))
        }
        unusableTimestamp = true
        return receivedAt
    }

    // The wire shapes (only the fields the service reads).
    enum Wire {
        struct Update: Decodable {
            var update_id: Int64
            var message: Message?
            var edited_message: Message?
            var callback_query: CallbackQuery?
        }
        struct User: Decodable {
            var id: Int64
            var first_name: String?
            var last_name: String?
            var username: String?
            var language_code: String?

            /// First and last name, else the @username.
            var name: String? {
                let full = [first_name, last_name].compactMap { $0 }.joined(separator: " ").trimmingCharacters(in: .whitespaces)
                if !full.isEmpty { return full }
                return username.map { "@" + $0 }
            }
        }
        struct Chat: Decodable {
            var id: Int64
            var type: String?
        }
        struct Button: Decodable {
            var text: String?
            var callback_data: String?
        }
        struct Markup: Decodable { var inline_keyboard: [[Button]]? }
        struct Message: Decodable {
            var message_id: Int64
            var from: User?
            var chat: Chat
            var date: Int64?
            var edit_date: Int64?
            var text: String?
            var caption: String?
            var reply_markup: Markup?
            /// The message's top-level field names: which content it carries.
            var fields: Set<String>

            init(from decoder: Decoder) throws {
                let container = try decoder.container(keyedBy: Key.self)
                message_id = try container.decode(Int64.self, forKey: Key("message_id"))
                from = try container.decodeIfPresent(User.self, forKey: Key("from"))
                chat = try container.decode(Chat.self, forKey: Key("chat"))
                date = try container.decodeIfPresent(Int64.self, forKey: Key("date"))
                edit_date = try container.decodeIfPresent(Int64.self, forKey: Key("edit_date"))
                text = try container.decodeIfPresent(String.self, forKey: Key("text"))
                caption = try container.decodeIfPresent(String.self, forKey: Key("caption"))
                reply_markup = try? container.decodeIfPresent(Markup.self, forKey: Key("reply_markup"))
                fields = Set(container.allKeys.map(\.stringValue))
            }
        }
        /// A message the bot sent with the pressed keyboard (`message`, absent for messages sent
        /// in inline mode, or older than 48 hours: then only its id).
        struct CallbackQuery: Decodable {
            var id: String
            var from: User
            var message: Message?
            var data: String?
        }
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ name: String) { stringValue = name }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }
}

extension TelegramMessageID {
    var bot: String {
        switch self {
        case .message(let bot, _, _), .edit(let bot, _, _), .callback(let bot, _, _): bot
        }
    }

    var isEdit: Bool {
        if case .edit = self { return true }
        return false
    }
}

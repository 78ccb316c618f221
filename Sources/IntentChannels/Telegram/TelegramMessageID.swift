/// The ids the Telegram channel gives messages, so that `send` can recover what it needs from
/// the id the runtime hands back (a read receipt's or a quote's `context`).
///
/// A customer's message is `telegram:<bot>:<update_id>:<kind>:<ref>`: unique across channels
/// (the `telegram:` prefix) and bots (update ids are counted per bot), the same for every
/// redelivery of an update (Telegram redelivers with the same `update_id`, so a redelivery is a
/// duplicate), and carrying what a reply needs: the chat's `message_id` to quote (`message`,
/// `edit`) or the callback query to answer (`callback`).
///
/// A message the bot sent is `telegram:<chat_id>:<message_id>` (message ids are counted per
/// chat): what `send` returns and what a button press's `replyTo` names, so that the runtime
/// finds which choice the pressed button belonged to.
package enum TelegramMessageID: Sendable, Equatable {
    /// A customer's message: quoted by its `message_id` in the chat.
    case message(bot: String, update: Int64, messageID: Int64)
    /// A customer's edit of an earlier message (recorded, never answered).
    case edit(bot: String, update: Int64, messageID: Int64)
    /// A press of an inline keyboard button: answered with `answerCallbackQuery`.
    case callback(bot: String, update: Int64, queryID: String)

    package static let prefix = "telegram:"

    package var text: String {
        switch self {
        case .message(let bot, let update, let id): "\(Self.prefix)\(bot):\(update):message:\(id)"
        case .edit(let bot, let update, let id): "\(Self.prefix)\(bot):\(update):edit:\(id)"
        case .callback(let bot, let update, let query): "\(Self.prefix)\(bot):\(update):callback:\(query)"
        }
    }

    /// Reads an id this channel gave a customer's message; nil for any other.
    package init?(_ text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let parts = text.dropFirst(Self.prefix.count).split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[0].isEmpty, let update = Int64(parts[1]), !parts[3].isEmpty else { return nil }
        let bot = String(parts[0])
        switch parts[2] {
        case "message":
            guard let id = Int64(parts[3]) else { return nil }
            self = .message(bot: bot, update: update, messageID: id)
        case "edit":
            guard let id = Int64(parts[3]) else { return nil }
            self = .edit(bot: bot, update: update, messageID: id)
        case "callback":
            self = .callback(bot: bot, update: update, queryID: String(parts[3]))
        default:
            return nil
        }
    }

    /// The message a reply may quote (`reply_parameters.message_id`); nil for a button press.
    package var quotableMessageID: Int64? {
        switch self {
        case .message(_, _, let id), .edit(_, _, let id): id
        case .callback: nil
        }
    }

    /// The id of a message the bot sent to a chat.
    package static func sent(chat: Int64, messageID: Int64) -> String { "\(prefix)\(chat):\(messageID)" }
}

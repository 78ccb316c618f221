import Foundation

/// What a text, buttons or list draft becomes on Telegram: one `sendMessage` call, quoting the
/// customer's message when the draft does.
///
/// Buttons and lists alike become an inline keyboard, one button a row, its `callback_data`
/// the option's id: an option whose id is empty, repeated or over Telegram's 64 bytes is left
/// out (a cut id would not come back as the option's), and at most 100 buttons go. Without any
/// option left the body goes as text; a blank body with options becomes a label ("Choose"),
/// since Telegram refuses an empty text. The text goes as it is: the runtime split a long one
/// before queuing (`MessageSplitter`, counting as Telegram counts), and refuses to send one
/// still over the limit rather than cut it.
package enum TelegramOutgoing {
    /// Telegram's longest message text, in UTF-16 code units (an emoji is two).
    package static let maxTextLength = 4_096
    /// Telegram's longest `callback_data`, in bytes.
    package static let maxCallbackData = 64
    /// The most buttons an inline keyboard holds.
    package static let maxButtons = 100

    /// The `sendMessage` parameters for a draft to `chat`.
    /// - Parameter quoting: the chat's `message_id` the message replies to.
    package static func message(for draft: OutboundDraft, chat: String, quoting: Int64?) -> [String: Any] {
        let keyboard = draft.kind == .text ? nil : self.keyboard(draft.options)
        var text = draft.body
        if keyboard != nil, text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { text = InteractiveLimits.labels(for: text).button }
        let chatID: Any = Int64(chat) ?? chat
        var message: [String: Any] = ["chat_id": chatID, "text": text]
        if let quoting {
            // The quoted message may be gone (deleted by the customer): the answer goes anyway.
            message["reply_parameters"] = ["message_id": quoting, "allow_sending_without_reply": true]
        }
        if let keyboard { message["reply_markup"] = ["inline_keyboard": keyboard] }
        return message
    }

    /// One button a row; nil when no option can be sent.
    static func keyboard(_ options: [Flow.Option]) -> [[[String: String]]]? {
        var seen: Set<String> = []
        var rows: [[[String: String]]] = []
        for option in options where rows.count < maxButtons {
            guard !option.id.isEmpty, option.id.utf8.count <= maxCallbackData, seen.insert(option.id).inserted else { continue }
            let title = option.title.trimmingCharacters(in: .whitespacesAndNewlines)
            rows.append([["text": title.isEmpty ? option.id : title, "callback_data": option.id]])
        }
        return rows.isEmpty ? nil : rows
    }
}

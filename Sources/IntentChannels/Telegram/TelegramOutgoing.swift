import Foundation

/// What a text, buttons or list draft becomes on Telegram: one `sendMessage` call a part.
///
/// The text is cut at sentences, as `MessageSplitter` cuts, into parts within Telegram's 4,096
/// characters counted as Telegram counts them (UTF-16 code units: an emoji is two); the first
/// part quotes the customer's message, the last carries the keyboard. Buttons and lists alike
/// become an inline keyboard, one button a row, its `callback_data` the option's id: an option
/// whose id is empty, repeated or over Telegram's 64 bytes is left out (a cut id would not come
/// back as the option's), and at most 100 buttons go. Without any option left the body goes as
/// text; a blank body with options becomes a label ("Choose"), since Telegram refuses an empty text.
package enum TelegramOutgoing {
    /// Telegram's longest message text, in UTF-16 code units.
    package static let maxTextLength = 4_096
    /// Telegram's longest `callback_data`, in bytes.
    package static let maxCallbackData = 64
    /// The most buttons an inline keyboard holds.
    package static let maxButtons = 100

    /// The `sendMessage` parameters, in order, for a draft to `chat`.
    /// - Parameter quoting: the chat's `message_id` the first part replies to.
    package static func messages(for draft: OutboundDraft, chat: String, quoting: Int64?) -> [[String: Any]] {
        let keyboard = draft.kind == .text ? nil : self.keyboard(draft.options)
        var body = draft.body
        if keyboard != nil, body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { body = InteractiveLimits.labels(for: body).button }
        let parts = split(body)
        let chatID: Any = Int64(chat) ?? chat
        return parts.enumerated().map { index, text in
            var message: [String: Any] = ["chat_id": chatID, "text": text]
            if index == 0, let quoting {
                // The quoted message may be gone (deleted by the customer): the answer goes anyway.
                message["reply_parameters"] = ["message_id": quoting, "allow_sending_without_reply": true]
            }
            if index == parts.count - 1, let keyboard { message["reply_markup"] = ["inline_keyboard": keyboard] }
            return message
        }
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

    /// The text in parts of at most `maxTextLength` UTF-16 code units, cut as `MessageSplitter`
    /// cuts (after the last sentence end, else the last space, else at the limit), whole
    /// characters only.
    static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(text)
        while rest.utf16.count > maxTextLength {
            var end = rest.startIndex
            var used = 0
            for index in rest.indices {
                used += rest[index].utf16.count
                if used > maxTextLength { break }
                end = rest.index(after: index)
            }
            if end == rest.startIndex { end = rest.index(after: end) }  // one character over the limit alone: it goes as it is
            let window = rest[..<end]
            let cut =
                window.lastIndex(where: { MessageSplitter.sentenceEnds.contains($0) }).map { window.index(after: $0) }
                ?? window.lastIndex(of: " ").map { window.index(after: $0) }
                ?? window.endIndex
            let part = rest[..<cut].trimmingCharacters(in: .whitespacesAndNewlines)
            if !part.isEmpty { parts.append(part) }
            rest = rest[cut...].drop { $0 == " " || $0 == "\n" }
        }
        let last = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty || parts.isEmpty { parts.append(last) }
        return parts
    }
}

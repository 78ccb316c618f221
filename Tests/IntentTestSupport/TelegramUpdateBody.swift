import Foundation

/// Webhook bodies as Telegram posts them: one `Update` a delivery.
package enum TelegramUpdateBody {
    package static let date = Int(Date().timeIntervalSince1970)

    package static func user(_ id: Int64, first: String = "Kerry", last: String? = "Lin", language: String? = "en") -> [String: Any] {
        var user: [String: Any] = ["id": id, "is_bot": false, "first_name": first]
        if let last { user["last_name"] = last }
        if let language { user["language_code"] = language }
        return user
    }

    package static func chat(_ id: Int64, type: String = "private") -> [String: Any] {
        ["id": id, "type": type, "first_name": "Kerry"]
    }

    /// A customer's message: `fields` are its content (`["text": "hi"]`, `["photo": [...], "caption": "..."]`).
    package static func message(
        update: Int64, chat: Int64, messageID: Int64 = 10, fields: [String: Any], kind: String = "message", chatType: String = "private",
        language: String? = "en", date: Int = TelegramUpdateBody.date
    ) -> [UInt8] {
        var message: [String: Any] = [
            "message_id": messageID, "from": user(chat, language: language), "chat": Self.chat(chat, type: chatType), "date": date,
        ]
        if kind == "edited_message" { message["edit_date"] = date + 5 }
        message.merge(fields) { $1 }
        return encode(["update_id": update, kind: message])
    }

    package static func text(update: Int64, chat: Int64, messageID: Int64 = 10, _ text: String, language: String? = "en") -> [UInt8] {
        message(update: update, chat: chat, messageID: messageID, fields: ["text": text], language: language)
    }

    /// A press of `data` on the bot's message `messageID` whose keyboard is `buttons` (title, data).
    package static func callback(
        update: Int64, chat: Int64, query: String, data: String, messageID: Int64, buttons: [(String, String)]
    ) -> [UInt8] {
        let keyboard = buttons.map { [["text": $0.0, "callback_data": $0.1]] }
        let message: [String: Any] = [
            "message_id": messageID, "from": ["id": 7_012_345_678, "is_bot": true, "first_name": "Shop"], "chat": Self.chat(chat), "date": date,
            "text": "Pick one", "reply_markup": ["inline_keyboard": keyboard],
        ]
        return encode([
            "update_id": update,
            "callback_query": ["id": query, "from": user(chat), "message": message, "chat_instance": "-1234", "data": data],
        ])
    }

    package static func encode(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}

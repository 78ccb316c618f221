package import Foundation

/// WhatsApp Cloud API webhook bodies as Meta sends them: JSON with non-ASCII escaped as \uXXXX
/// (sign them with `WebhookSignature`).
package enum WebhookBody {
    package static func message(
        id: String, from customer: String, text: String?, type: String = "text", caption: String? = nil, name: String = "Kerry",
        phoneNumberID: String = "106540352242922", timestamp: Date = Date()
    ) -> [UInt8] {
        var message: [String: Any] = ["from": customer, "id": id, "timestamp": "\(Int(timestamp.timeIntervalSince1970))", "type": type]
        if let text { message["text"] = ["body": text] }
        // Media as Meta sends it: an id to download it by, and the caption the customer wrote.
        var media: [String: Any]? =
            switch type {
            case "image": ["mime_type": "image/jpeg", "sha256": "abc", "id": "1234"]
            case "video": ["mime_type": "video/mp4", "sha256": "def", "id": "1235"]
            case "document": ["mime_type": "application/pdf", "sha256": "ghi", "id": "1236", "filename": "invoice.pdf"]
            case "audio": ["mime_type": "audio/ogg; codecs=opus", "sha256": "jkl", "id": "1237", "voice": true]
            default: nil
            }
        if let caption { media?["caption"] = caption }
        if let media { message[type] = media }
        return envelope(
            phoneNumberID: phoneNumberID,
            value: ["contacts": [["profile": ["name": name], "wa_id": customer]], "messages": [message]])
    }

    /// A customer's pick in an interactive message: `kind` `button_reply` or `list_reply`,
    /// replying to (quoting) the business's message `to`.
    package static func reply(
        id: String, from customer: String, choice: String, title: String, kind: String = "button_reply", description: String? = nil,
        to context: String? = nil, name: String = "Kerry", phoneNumberID: String = "106540352242922", timestamp: Date = Date()
    ) -> [UInt8] {
        var reply: [String: Any] = ["id": choice, "title": title]
        if let description { reply["description"] = description }
        var message: [String: Any] = [
            "from": customer, "id": id, "timestamp": "\(Int(timestamp.timeIntervalSince1970))", "type": "interactive",
            "interactive": ["type": kind, kind: reply],
        ]
        if let context { message["context"] = ["from": "15550783881", "id": context] }
        return envelope(
            phoneNumberID: phoneNumberID, value: ["contacts": [["profile": ["name": name], "wa_id": customer]], "messages": [message]])
    }

    /// A tap on a template's quick-reply button (the older `type: button` message).
    package static func templateButton(
        id: String, from customer: String, payload: String, text: String, phoneNumberID: String = "106540352242922", timestamp: Date = Date()
    ) -> [UInt8] {
        let message: [String: Any] = [
            "from": customer, "id": id, "timestamp": "\(Int(timestamp.timeIntervalSince1970))", "type": "button",
            "button": ["payload": payload, "text": text],
        ]
        return envelope(
            phoneNumberID: phoneNumberID, value: ["contacts": [["profile": ["name": "Kerry"], "wa_id": customer]], "messages": [message]])
    }

    package static func status(_ messageID: String, _ status: String, to customer: String, errorCode: Int? = nil) -> [UInt8] {
        var object: [String: Any] = [
            "id": messageID, "status": status, "timestamp": "\(Int(Date().timeIntervalSince1970))", "recipient_id": customer,
        ]
        if let errorCode {
            object["errors"] = [["code": errorCode, "title": "Message undeliverable", "error_data": ["details": "Message Undeliverable."]]]
        }
        return envelope(phoneNumberID: "106540352242922", value: ["statuses": [object]])
    }

    package static func envelope(phoneNumberID: String, value: [String: Any]) -> [UInt8] {
        var value = value
        value["messaging_product"] = "whatsapp"
        value["metadata"] = ["display_phone_number": "15550783881", "phone_number_id": phoneNumberID]
        let root: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": value]]]],
        ]
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        return asciiEscaped(String(decoding: data, as: UTF8.self))
    }

    /// Every non-ASCII character as \uXXXX (surrogate pairs beyond the BMP), as Meta writes it.
    package static func asciiEscaped(_ json: String) -> [UInt8] {
        var out = ""
        for unit in json.utf16 {
            if unit < 0x80 {
                out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            } else {
                out += String(format: "\\u%04x", unit)
            }
        }
        return Array(out.utf8)
    }
}

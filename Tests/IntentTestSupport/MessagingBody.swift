package import Foundation
package import IntentChannels

/// Messenger Platform webhook bodies as Meta sends them (`object: "page"` or `"instagram"`,
/// `entry[].messaging[]`, times in milliseconds), JSON with non-ASCII escaped as \uXXXX.
package enum MessagingBody {
    package static func millis(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1_000) }

    /// A typed message; `quickReply` makes it a tap on a quick reply with that payload.
    package static func message(
        mid: String, from sender: String, text: String?, quickReply: String? = nil, attachments: [String] = [], storyReply: Bool = false,
        echo: Bool = false, platform: MessengerSettings.Platform = .messenger, account: String = "104000000000001", at: Date = Date()
    ) -> [UInt8] {
        var message: [String: Any] = ["mid": mid]
        if let text { message["text"] = text }
        if let quickReply { message["quick_reply"] = ["payload": quickReply] }
        if !attachments.isEmpty {
            message["attachments"] = attachments.map { ["type": $0, "payload": ["url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"]] }
        }
        if storyReply { message["reply_to"] = ["story": ["url": "https://lookaside.fbsbx.com/story", "id": "17900000000000001"]] }
        if echo {
            message["is_echo"] = true
            message["app_id"] = 1_517_000_000
            return envelope(
                [["sender": ["id": account], "recipient": ["id": sender], "timestamp": millis(at), "message": message]], platform, account)
        }
        return event(["message": message], from: sender, platform: platform, account: account, at: at)
    }

    package static func postback(
        mid: String?, from sender: String, title: String, payload: String, platform: MessengerSettings.Platform = .messenger,
        account: String = "104000000000001", at: Date = Date()
    ) -> [UInt8] {
        var postback: [String: Any] = ["title": title, "payload": payload]
        if let mid { postback["mid"] = mid }
        return event(["postback": postback], from: sender, platform: platform, account: account, at: at)
    }

    package static func reaction(
        to mid: String, from sender: String, emoji: String, action: String = "react", platform: MessengerSettings.Platform = .messenger,
        account: String = "104000000000001", at: Date = Date()
    ) -> [UInt8] {
        event(
            ["reaction": ["mid": mid, "action": action, "reaction": "love", "emoji": emoji]], from: sender, platform: platform, account: account,
            at: at)
    }

    package static func delivery(_ mids: [String]?, from sender: String, account: String = "104000000000001", at: Date = Date()) -> [UInt8] {
        var delivery: [String: Any] = ["watermark": millis(at)]
        if let mids { delivery["mids"] = mids }
        return event(["delivery": delivery], from: sender, platform: .messenger, account: account, at: at)
    }

    /// Messenger's read (a watermark), or Instagram's (`messaging_seen`: the message's `mid`).
    package static func read(
        mid: String?, from sender: String, platform: MessengerSettings.Platform = .messenger, account: String = "104000000000001", at: Date = Date()
    )
        -> [UInt8]
    {
        let read: [String: Any] = mid.map { ["mid": $0] } ?? ["watermark": millis(at)]
        return event(["read": read], from: sender, platform: platform, account: account, at: at)
    }

    package static func event(
        _ fields: [String: Any], from sender: String, platform: MessengerSettings.Platform, account: String, at: Date
    ) -> [UInt8] {
        var event = fields
        event["sender"] = ["id": sender]
        event["recipient"] = ["id": account]
        event["timestamp"] = millis(at)
        return envelope([event], platform, account)
    }

    package static func envelope(_ events: [[String: Any]], _ platform: MessengerSettings.Platform, _ account: String) -> [UInt8] {
        let root: [String: Any] = [
            "object": platform == .messenger ? "page" : "instagram",
            "entry": [["id": account, "time": millis(Date()), "messaging": events]],
        ]
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        return WebhookBody.asciiEscaped(String(decoding: data, as: UTF8.self))
    }
}

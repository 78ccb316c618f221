import Foundation
import IntentChannels

/// The web chat's JSON: what a visitor posts, and their conversation as the widget shows it.
/// Only what the visitor wrote and what was sent to them: no notes, no answer basis, no agent
/// names, nothing queued or failed.
enum WebChatJSON {
    /// The body of `POST /v1/webchat/{site}/messages`.
    struct Post: Decodable {
        var text: String?
        var visitor: String?
        /// The id of a button the visitor tapped (one the conversation offered them).
        var choice: String?
    }

    struct Posted: Encodable {
        var visitor: String
        var messageID: String

        enum CodingKeys: String, CodingKey {
            case visitor
            case messageID = "message_id"
        }
    }

    struct Button: Encodable {
        var id: String
        var title: String
    }

    struct Message: Encodable {
        var id: String
        var direction: String
        var text: String
        var buttons: [Button]?
        var at: String

        /// The item as the visitor sees it, or nil when it is not theirs to see.
        init?(_ item: TimelineItem) {
            switch item.direction {
            case .inbound:
                guard item.id.hasPrefix("in:") else { return nil }
                text = item.text ?? item.caption ?? ""
            case .outbound:
                guard WebChatJSON.itemNumber(item.id) != nil, WebChatJSON.shownStatuses.contains(item.status ?? ""),
                    WebChatJSON.shownTypes.contains(item.type)
                else { return nil }
                text = item.text ?? ""
                buttons = item.options.isEmpty ? nil : item.options.map { Button(id: $0.id, title: $0.title) }
            }
            id = item.id
            direction = item.direction.rawValue
            at = WebChatJSON.format(item.at)
        }
    }

    struct Messages: Encodable {
        var messages: [Message]
    }

    /// An outbound message reaches the widget once the outbox has marked it sent.
    static let shownStatuses: Set<String> = ["sent", "delivered", "read"]
    static let shownTypes: Set<String> = ["text", "buttons", "list"]

    /// The outbox item of a timeline id (`out:<item>`), or nil for any other id.
    static func itemNumber(_ id: String) -> Int64? {
        guard id.hasPrefix("out:") else { return nil }
        return Int64(id.dropFirst(4))
    }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    static func format(_ date: Date) -> String { style.format(date) }
}

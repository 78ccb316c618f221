package import Foundation

/// The web chat widget as a `ChatChannel`. There is no platform between the service and the
/// visitor: a visitor's message arrives on the service's own route (`POST
/// /v1/webchat/{site}/messages`, stored through `ChannelRuntime.receive(_:on:)`), and a reply is
/// the outbox row itself, which the widget reads from the timeline (`GET .../messages`, or the
/// event stream once the row is marked sent). So `send` only says "sent", and the runtime's
/// events tell the widgets listening.
package struct WebChatChannel: ChatChannel {
    package static let channelName = "webchat"

    package let settings: WebChatSettings

    package init(settings: WebChatSettings) {
        self.settings = settings
    }

    package var name: String { Self.channelName }
    /// Nothing to protect downstream: the limit is the store's, not a platform's.
    package var messagesPerSecond: Double { 1_000 }
    /// The business may answer a visitor at any time (the visitor reads it when they come back).
    package var replyWindow: TimeInterval? { nil }
    package var maxTextLength: Int { settings.maxTextLength }
    package var textMeasure: TextMeasure { .unicodeScalars }
    /// No per-visitor pace: the replies go to the service's own stream, with no platform to
    /// protect, and a visitor waiting for an answer should not wait on a bucket.
    package var customerPacing: CustomerPacing? { nil }
    package var maxWebhookBytes: Int { 0 }
    package var hasWebhook: Bool { false }

    package func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading {
        .malformed("the web chat has no webhook: visitors post to /v1/webchat/<site>/messages")
    }

    package func send(_ item: OutboxItem) async -> SendOutcome {
        switch item.draft.kind {
        case .webhook: .failed("a webhook item is not a web chat message")
        case .template: .failed("the web chat has no message templates (the business may write to a visitor at any time); nothing was sent")
        // The widget shows no read receipts: nothing to do, and nothing to report.
        case .read: .sent(channelMessageID: nil)
        case .text, .buttons, .list: .sent(channelMessageID: Self.messageID(ofItem: item.id))
        }
    }

    /// The id a sent reply has on this channel: a choice tapped in the widget replies to it.
    package static func messageID(ofItem item: Int64) -> String { "webchat:\(item)" }

    /// A visitor's message as the runtime stores it. `choice` is the id of the button the
    /// visitor tapped (then `text` is its title) and `replyTo` the item that offered it.
    package func message(
        site: String, visitor: String, text: String, choice: String? = nil, replyToItem: Int64? = nil, at: Date
    ) -> InboundMessage {
        InboundMessage(
            id: "webchat:" + UUID().uuidString.lowercased(), from: WebChatVisitor.identity(site: site, visitor: visitor), account: site,
            type: choice == nil ? "text" : "button", text: text, choice: choice, replyTo: replyToItem.map(Self.messageID(ofItem:)), sentAt: at)
    }
}

package import Foundation

/// How long each channel lets the business write after a customer's last message: WhatsApp 24
/// hours, Messenger and Instagram 24 hours (7 days for a person's reply), Telegram and the web
/// chat without limit. A conversation on a channel no longer configured keeps WhatsApp's 24 hours.
package struct ReplyWindows: Sendable {
    private var windows: [String: (bot: TimeInterval?, agent: TimeInterval?)] = [:]

    package init(_ channels: [any ChatChannel]) {
        for channel in channels { windows[channel.name] = (channel.replyWindow, channel.agentReplyWindow) }
    }

    /// When the business can no longer write freely to the customer (from the bot or a person);
    /// nil: never.
    package func closes(_ conversation: Conversation, agent: Bool = false) -> Date? {
        let window = windows[conversation.identity.channel].map { agent ? $0.agent : $0.bot } ?? Conversation.serviceWindow
        return window.map(conversation.lastInboundAt.addingTimeInterval)
    }

    /// Whether the business may still write freely at `now`.
    package func isOpen(_ conversation: Conversation, agent: Bool = false, at now: Date) -> Bool {
        closes(conversation, agent: agent).map { $0 > now } ?? true
    }
}

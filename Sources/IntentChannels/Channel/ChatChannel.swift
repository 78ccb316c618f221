package import Foundation

/// A chat channel: where a webhook becomes normalised inbound messages, and where a normalised
/// outbound message becomes the channel's API call. Everything in between (the store, the
/// automation around the matcher, the outbox, pacing, statistics) is `ChannelRuntime`'s and
/// the same for every channel, so a new channel is a folder with one type conforming to this.
///
/// The normalised shapes: `InboundMessage` (message id, the sender's `ChannelIdentity`, the
/// account that received it, type, text or choice, sent time), `DeliveryStatus`, and
/// `OutboxItem` (a text, buttons or a list, quoting a message or not, a read receipt, a
/// template; addressed to `recipient.id`).
package protocol ChatChannel: Sendable {
    /// The channel's name in logs, statistics and metrics: `whatsapp`, `messenger`, `telegram`...
    var name: String { get }

    /// The most messages a second the platform takes from the business, all customers together.
    var messagesPerSecond: Double { get }

    /// The longest text one message may carry, as `textMeasure` counts: the runtime splits a
    /// longer reply before queuing it (`MessageSplitter`), and `send` refuses one that is still
    /// longer rather than cut it.
    var maxTextLength: Int { get }

    /// How the platform counts `maxTextLength`. The default: characters.
    var textMeasure: TextMeasure { get }

    /// The longest text a message with buttons or a list may carry, and how the platform counts
    /// it, when that is less than `maxTextLength` (WhatsApp's interactive body: 1,024 Unicode
    /// scalars): the splitter sends the text before it as text messages. The default: nil, the
    /// same as text.
    var choiceTextLimit: (length: Int, measure: TextMeasure)? { get }

    /// How long after a customer's last message the business may still write to them: the bot,
    /// flows and automation (nil: no limit, as on Telegram and the web chat).
    var replyWindow: TimeInterval? { get }

    /// The same for a person's reply from the inbox (Messenger and Instagram allow a person 7
    /// days with the `HUMAN_AGENT` tag); the default is `replyWindow`.
    var agentReplyWindow: TimeInterval? { get }

    /// How fast one customer may be sent messages (read receipts aside), or nil for no limit
    /// beyond `messagesPerSecond`. The default is WhatsApp's: a burst of 5, then one every 6 s.
    var customerPacing: CustomerPacing? { get }

    /// The largest webhook delivery the platform sends: a larger body is refused (413). Generous:
    /// a refused delivery is redelivered for days.
    var maxWebhookBytes: Int { get }

    /// Whether the platform delivers to `/webhooks/<name>`; the web chat does not (its visitors
    /// post to `/v1/webchat/...`, which stores through `ChannelRuntime.receive(_:on:)`). The
    /// default: it does.
    var hasWebhook: Bool { get }

    /// Answers the platform's subscription handshake (`GET /webhooks/<name>`), for platforms
    /// that have one (Meta's `hub.challenge`). The default: none.
    func answerHandshake(query: [String: String]) -> Handshake

    /// Reads one webhook delivery (`POST /webhooks/<name>`, header names in lower case): checks
    /// that the channel sent it (signature, secret), then turns it into messages and delivery
    /// statuses. Nothing of a delivery that fails the check is read.
    func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading

    /// Sends one queued item and says what became of it.
    func send(_ item: OutboxItem) async -> SendOutcome
}

extension ChatChannel {
    package func answerHandshake(query: [String: String]) -> Handshake { .unsupported }
    package var agentReplyWindow: TimeInterval? { replyWindow }
    package var hasWebhook: Bool { true }
    package var textMeasure: TextMeasure { .characters }
    package var choiceTextLimit: (length: Int, measure: TextMeasure)? { nil }
    package var customerPacing: CustomerPacing? { CustomerPacing(burst: 5, interval: 6) }

    /// Whether one message can carry `text`.
    package func fits(_ text: String) -> Bool { textMeasure.length(of: text) <= maxTextLength }
}

/// The answer to a subscription handshake.
package enum Handshake: Sendable, Equatable {
    /// Subscribed: answer 200 with this text.
    case echo(String)
    /// Not a subscription the business configured: 403, saying what was expected.
    case refused(String)
    /// The platform has no handshake: 405.
    case unsupported
}

/// What a webhook delivery holds, or why it was refused.
package enum WebhookReading: Sendable {
    case batch(InboundBatch)
    /// No signature (or secret) where the channel always sends one: 401, saying which header.
    case unsigned(String)
    /// A signature that does not verify: 403, saying against which setting.
    case forged(String)
    /// Signed but not a webhook payload: 400 (the platforms do not retry a 4xx).
    case malformed(String)
}

/// The messages and delivery statuses of one webhook delivery.
package struct InboundBatch: Sendable {
    package var messages: [InboundMessage]
    package var statuses: [DeliveryStatus]
    /// Timestamps that were not a time (unparsable, out of range): the receipt time stood in.
    package var unusableTimestamps: Int

    package init(messages: [InboundMessage] = [], statuses: [DeliveryStatus] = [], unusableTimestamps: Int = 0) {
        self.messages = messages
        self.statuses = statuses
        self.unusableTimestamps = unusableTimestamps
    }

    package var isEmpty: Bool { messages.isEmpty && statuses.isEmpty }
}

/// What became of one send, as the channel's API said.
package enum SendOutcome: Sendable, Equatable {
    /// Accepted; the id the channel gave the message (delivery statuses name it).
    case sent(channelMessageID: String?)
    /// Temporary (the network, a rate limit, a 5xx): worth trying again later.
    case retry(String)
    /// Rate-limited with the platform's word on when to try again (Telegram's `retry_after`):
    /// not before this many seconds.
    case retryAfter(TimeInterval, String)
    /// Permanent for this message (outside the 24-hour window, an unknown recipient).
    case failed(String)
    /// Permanent for every message to this customer: they blocked the business or left the
    /// platform (Telegram's 403). Failed, and recorded on the conversation.
    case unreachable(String)
    /// The channel refused the business's credentials: no send can succeed until an operator
    /// replaces them. The text names the setting, never the secret.
    case credentialsRejected(String, detail: String)
}

package import Foundation

/// A Messenger Platform webhook delivery, Messenger's (`object: "page"`) or Instagram's
/// (`object: "instagram"`): `entry[]` per page or account, each with `messaging[]` events from
/// one customer (`sender.id`, their page- or Instagram-scoped id) to the business
/// (`recipient.id`), `timestamp` in milliseconds.
///
/// What the events become:
/// - `message`: the customer's message, `mid` its id. Typed text is `text`; a tap on a quick
///   reply is `quick_reply` (text: its title, choice: its payload); a reply to the business's
///   Instagram story is `story_reply` and a mention of the business in the customer's story
///   `story_mention` (recorded, never answered); anything else is its first attachment's type
///   (`image`, `audio`, `video`, `file`, `location`...). Echoes of the business's own sends
///   (`is_echo`) and messages the customer unsent (`is_deleted`) are skipped.
/// - `postback` (a button the business sent, the Get Started button, a persistent menu item):
///   `postback`, text: its title, choice: its payload.
/// - `reaction`: a `reaction` (recorded, never answered), text: the emoji (none when taken
///   back), replying to the reacted message. Meta gives a reaction no id of its own: it is
///   `<channel>:reaction:<sender>:<mid>:<timestamp>`, the same on every redelivery.
/// - `delivery {mids}`: `delivered` for each message named (the status's recipient is the
///   conversation's key, `messenger:<psid>`, as the runtime's events and purges read it). A delivery without `mids` (older
///   Messenger clients) names none, and nothing is recorded for it.
/// - `read`: Instagram's names the message (`mid`): `read` for it. Messenger's gives only a
///   `watermark` (everything sent before it was read), which names no message: the delivery
///   statuses are kept per message id, so it records nothing, and the inbox shows Messenger
///   messages as delivered at most.
///
/// Decoding is lenient where Meta adds fields (unknown ones are ignored, `standby`, `optin`,
/// `referral` and other events too) and strict where the service depends on one (a message
/// without `mid` or sender is skipped and counted).
package struct MessagingWebhook: Sendable {
    package var messages: [InboundMessage] = []
    package var statuses: [DeliveryStatus] = []
    /// Events skipped: echoes, unsent messages, events without what the service needs, and
    /// entries for another page or account than the configured one.
    package var skipped = 0
    /// Timestamps that were not a time: the receipt time stands in (`MetaTimestamp`).
    package var unusableTimestamps = 0

    package struct Malformed: Error, CustomStringConvertible {
        package var description: String
    }

    /// - Parameters:
    ///   - accountID: entries for other pages or accounts are skipped (an app's webhook receives
    ///     every page that subscribed it).
    ///   - receivedAt: stands in for a timestamp that is not a plausible time.
    package static func decode(
        _ body: [UInt8], platform: MessengerSettings.Platform, accountID: String?, receivedAt: Date = Date()
    ) throws(Malformed) -> MessagingWebhook {
        let root: Root
        do {
            root = try JSONDecoder().decode(Root.self, from: Data(body))
        } catch {
            throw Malformed(description: "not a \(platform.title) webhook payload: \(WebhookPayload.explain(error))")
        }
        guard root.object == nil || root.object == platform.webhookObject else {
            throw Malformed(description: "object is '\(root.object ?? "")', expected \(platform.webhookObject)")
        }
        var payload = MessagingWebhook()
        for entry in root.entry ?? [] {
            let events = entry.messaging ?? []
            let account = entry.id ?? events.first?.recipient?.id ?? ""
            if let accountID, account != accountID {
                payload.skipped += events.count
                continue
            }
            for event in events { payload.read(event, platform: platform, account: account, receivedAt: receivedAt) }
        }
        return payload
    }

    private mutating func read(_ event: Event, platform: MessengerSettings.Platform, account: String, receivedAt: Date) {
        guard let sender = event.sender?.id, !sender.isEmpty else {
            skipped += 1
            return
        }
        let at = date(event.timestamp, receivedAt: receivedAt)
        // What names an event Meta gives no id: its own timestamp, as sent (a redelivery sends the same).
        let stamp = event.timestamp?.value.flatMap { $0.isFinite && abs($0) < 1e18 ? String(Int64($0)) : nil } ?? "none"
        let from = ChannelIdentity(channel: platform.name, id: sender)
        func inbound(_ id: String, type: String, text: String?, choice: String? = nil, replyTo: String? = nil) {
            messages.append(
                InboundMessage(
                    id: id, from: from, account: account, type: type, text: Self.words(text), choice: Self.words(choice), replyTo: replyTo,
                    sentAt: at))
        }
        if let message = event.message {
            guard message.is_echo != true, message.is_deleted != true, let mid = message.mid, !mid.isEmpty else {
                skipped += 1
                return
            }
            inbound(mid, type: message.kind, text: message.text, choice: message.quick_reply?.payload, replyTo: message.reply_to?.mid)
        } else if let postback = event.postback {
            let id = postback.mid.flatMap { $0.isEmpty ? nil : $0 } ?? "\(platform.name):postback:\(sender):\(stamp)"
            inbound(id, type: "postback", text: postback.title, choice: postback.payload)
        } else if let reaction = event.reaction {
            guard let mid = reaction.mid, !mid.isEmpty else {
                skipped += 1
                return
            }
            let emoji = reaction.action == "unreact" ? nil : reaction.emoji ?? reaction.reaction
            inbound("\(platform.name):reaction:\(sender):\(mid):\(stamp)", type: "reaction", text: emoji, replyTo: mid)
        } else if let delivery = event.delivery {
            for mid in delivery.mids ?? [] where !mid.isEmpty {
                statuses.append(DeliveryStatus(messageID: mid, status: "delivered", recipient: from.key, at: at))
            }
        } else if let read = event.read {
            if let mid = read.mid, !mid.isEmpty {
                statuses.append(DeliveryStatus(messageID: mid, status: "read", recipient: from.key, at: at))
            }
        }
    }

    private mutating func date(_ timestamp: Number?, receivedAt: Date) -> Date {
        if let date = MetaTimestamp.date(seconds: timestamp?.value.map { $0 / 1_000 }, receivedAt: receivedAt) { return date }
        unusableTimestamps += 1
        return receivedAt
    }

    /// Words that say something, else nil.
    private static func words(_ text: String?) -> String? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return text
    }

    // The wire shapes (only the fields the service reads).
    struct Root: Decodable {
        var object: String?
        var entry: [Entry]?
    }
    struct Entry: Decodable {
        var id: String?
        var messaging: [Event]?
    }
    struct Party: Decodable { var id: String? }
    struct Event: Decodable {
        var sender: Party?
        var recipient: Party?
        var timestamp: Number?
        var message: Message?
        var postback: Postback?
        var reaction: Reaction?
        var delivery: Delivery?
        var read: Read?
    }
    struct Message: Decodable {
        struct QuickReply: Decodable { var payload: String? }
        struct ReplyTo: Decodable {
            struct Story: Decodable { var id: String? }
            /// The message replied to (a swipe to reply).
            var mid: String?
            /// The business's story replied to (Instagram).
            var story: Story?
        }
        struct Attachment: Decodable { var type: String? }
        var mid: String?
        var text: String?
        var is_echo: Bool?
        var is_deleted: Bool?
        var quick_reply: QuickReply?
        var reply_to: ReplyTo?
        var attachments: [Attachment]?

        /// The stored type (see `MessagingWebhook`).
        var kind: String {
            if reply_to?.story != nil { return "story_reply" }
            let attachment = attachments?.first?.type.flatMap { $0.isEmpty ? nil : $0 }
            if attachment == "story_mention" { return "story_mention" }
            if quick_reply != nil { return "quick_reply" }
            if let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "text" }
            return attachment ?? "unsupported"
        }
    }
    struct Postback: Decodable {
        var mid: String?
        var title: String?
        var payload: String?
    }
    struct Reaction: Decodable {
        /// The message reacted to.
        var mid: String?
        /// `react` or `unreact`.
        var action: String?
        /// Meta's word for it (`love`, `like`, `other`...).
        var reaction: String?
        var emoji: String?
    }
    struct Delivery: Decodable { var mids: [String]? }
    struct Read: Decodable { var mid: String? }

    /// A number Meta may write as a number or a string; anything else is no number (not a
    /// malformed delivery: the receipt time stands in).
    struct Number: Decodable {
        var value: Double?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Double.self) {
                value = number
            } else if let text = try? container.decode(String.self) {
                value = Double(text)
            } else {
                value = nil
            }
        }
    }
}

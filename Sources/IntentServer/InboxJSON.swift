import Foundation
import IntentChannels

/// The inbox's JSON: a conversation as the list and the customer's panel show it, and a
/// timeline of messages. Times are ISO 8601 with milliseconds (a timeline's oldest `at` is the
/// exact cursor of its next page).
enum InboxJSON {
    struct Customer: Encodable {
        var id: String
        var name: String?
        var channel: String
    }

    struct LastMessage: Encodable {
        var text: String?
        var at: String
    }

    /// A conversation in the list.
    struct Summary: Encodable {
        var id: String
        var customer: Customer
        /// `bot`, `waiting`, `assigned`, `resolved`.
        var status: String
        var agent: String?
        /// The agent's display name, when they have one.
        var agentDisplay: String?
        var unread: Int
        var windowOpen: Bool
        /// When a person can no longer write freely (or since when): WhatsApp's 24 hours after the
        /// customer's last message; nil on a channel without a window (Telegram, the web chat).
        var windowOpenUntil: String?
        var mutedUntil: String?
        var tags: [String]
        var lastMessage: LastMessage

        init(_ c: Conversation, windows: ReplyWindows, now: Date, displayNames: [String: String] = [:]) {
            id = c.customer
            customer = Customer(id: c.customer, name: c.name, channel: c.identity.channel)
            let status = c.status(at: now)
            self.status = status.rawValue
            agent = status == .assigned ? c.assignee : nil
            agentDisplay = agent.flatMap { displayNames[$0] }
            unread = c.unread
            windowOpen = windows.isOpen(c, agent: true, at: now)
            windowOpenUntil = windows.closes(c, agent: true).map(InboxJSON.format)
            mutedUntil = c.mutedUntil.flatMap { $0 > now ? InboxJSON.format($0) : nil }
            tags = c.tags
            lastMessage = LastMessage(text: c.lastMessage, at: InboxJSON.format(c.lastActivityAt))
        }

        enum CodingKeys: String, CodingKey {
            case id, customer, status, agent, unread, tags
            case agentDisplay = "agent_display"
            case windowOpen = "window_open"
            case windowOpenUntil = "window_open_until"
            case mutedUntil = "muted_until"
            case lastMessage = "last_message"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(customer, forKey: .customer)
            try container.encode(status, forKey: .status)
            try container.encodeIfPresent(agent, forKey: .agent)
            try container.encodeIfPresent(agentDisplay, forKey: .agentDisplay)
            try container.encode(unread, forKey: .unread)
            try container.encode(windowOpen, forKey: .windowOpen)
            // Always present: null says the channel has no window, absence would say nothing.
            try container.encode(windowOpenUntil, forKey: .windowOpenUntil)
            try container.encodeIfPresent(mutedUntil, forKey: .mutedUntil)
            try container.encode(tags, forKey: .tags)
            try container.encode(lastMessage, forKey: .lastMessage)
        }
    }

    /// A conversation with the customer's panel: what the contact told flows, when they were
    /// first and last seen, how many conversations they had.
    struct Detail: Encodable {
        var summary: Summary
        var attributes: [String: String]
        var flow: Flow?
        var firstSeenAt: String
        var lastSeenAt: String
        var conversations: Int
        /// Where the contact writes from: every channel identity merged into it.
        var identities: [Identity]

        struct Identity: Encodable {
            var channel: String
            var id: String
        }

        struct Flow: Encodable {
            var id: String
            var step: String
            var variables: [String: String]
        }

        init(
            _ c: Conversation, windows: ReplyWindows, now: Date, displayNames: [String: String] = [:], identities: [ContactIdentity] = []
        ) {
            summary = Summary(c, windows: windows, now: now, displayNames: displayNames)
            // A store that has not recorded the identity yet still knows where the customer wrote last.
            let known = identities.isEmpty ? [c.identity] : identities.map(\.identity)
            self.identities = known.map { Identity(channel: $0.channel, id: $0.id) }
            attributes = c.attributes
            flow = c.flowRun.map { Flow(id: $0.flow, step: $0.step, variables: $0.variables) }
            firstSeenAt = InboxJSON.format(c.firstInboundAt)
            lastSeenAt = InboxJSON.format(c.lastInboundAt)
            conversations = c.resolutions + (c.status(at: now) == .resolved ? 0 : 1)
        }

        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attributes, forKey: .attributes)
            try container.encodeIfPresent(flow, forKey: .flow)
            try container.encode(firstSeenAt, forKey: .firstSeenAt)
            try container.encode(lastSeenAt, forKey: .lastSeenAt)
            try container.encode(conversations, forKey: .conversations)
            try container.encode(identities, forKey: .identities)
        }

        enum CodingKeys: String, CodingKey {
            case attributes, flow, conversations, identities
            case firstSeenAt = "first_seen_at"
            case lastSeenAt = "last_seen_at"
        }
    }

    struct Page: Encodable {
        /// False when no channel is configured (the list is then always empty).
        var enabled: Bool
        var conversations: [Summary]
        var nextCursor: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(enabled, forKey: .enabled)
            try container.encode(conversations, forKey: .conversations)
            // Present and null on the last page: a client tells "no more" from "not sent".
            try container.encode(nextCursor, forKey: .nextCursor)
        }

        enum CodingKeys: String, CodingKey {
            case enabled, conversations
            case nextCursor = "next_cursor"
        }
    }

    struct Timeline: Encodable {
        struct Message: Encodable {
            var id: String
            var direction: String
            var kind: String
            var type: String
            var text: String?
            /// A customer's media message: its type again, and its caption.
            var media: Media?
            var choice: String?
            var options: [String]?
            var agent: String?
            /// The person's display name, when they have one.
            var agentDisplay: String?
            /// What a bot's answer came from: the FAQ entry or keyword rule, and the score.
            var entry: String?
            var rule: String?
            var score: Double?
            var status: String?
            var error: String?
            /// The channel it came through or went out on; absent for a note.
            var channel: String?
            var at: String

            struct Media: Encodable {
                var type: String
                var caption: String?
            }

            enum CodingKeys: String, CodingKey {
                case id, direction, kind, type, text, media, choice, options, agent, entry, rule, score, status, error, channel, at
                case agentDisplay = "agent_display"
            }

            /// The inbound types that are media (a caption comes with the first three).
            static let mediaTypes: Set<String> = ["image", "video", "document", "audio", "sticker"]

            init(_ item: TimelineItem, displayNames: [String: String] = [:]) {
                id = item.id
                direction = item.direction.rawValue
                kind = item.kind
                type = item.type
                text = item.text
                if item.direction == .inbound, Self.mediaTypes.contains(item.type) { media = Media(type: item.type, caption: item.caption) }
                choice = item.choice
                options = item.options.isEmpty ? nil : item.options.map(\.title)
                agent = item.agent
                agentDisplay = item.agent.flatMap { displayNames[$0] }
                entry = item.basis?.entry
                rule = item.basis?.rule
                score = item.basis?.score
                status = item.status
                error = item.error
                channel = item.channel
                at = InboxJSON.format(item.at)
            }
        }

        var messages: [Message]
    }

    /// One style for every response: making an `ISO8601DateFormatter` per date cost more than
    /// the list's SQL (a page of 50 conversations formats 150 dates).
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func format(_ date: Date) -> String {
        date.formatted(style)
    }

    static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}

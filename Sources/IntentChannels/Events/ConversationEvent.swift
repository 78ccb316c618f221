package import Foundation

/// Something that changed in a conversation, for the consoles showing it (`GET /v1/events`):
/// which conversation, which message of its timeline, and what became of it.
///
/// Never the message's words, nor a customer's name: events cross replicas as PostgreSQL
/// notifications (`NOTIFY`, whose payload is limited to 8,000 bytes, and which a server may log),
/// and customers' words stay in the store, behind the routes that show them. A console refetches
/// what it shows when an event says it changed.
package struct ConversationEvent: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        /// A message joined the timeline: the customer's, or replies queued (by the bot, the
        /// automation, a flow or a person).
        case message
        /// A message's status changed: sent or failed (the outbox), delivered or read (the platform).
        case status
        /// A person took the conversation, or passed it on.
        case assignment
        /// The conversation's own state changed: given back to the bot, resolved, a note.
        case conversation
    }

    package var type: Kind
    /// The customer: a conversation's id.
    package var conversation: String
    /// The timeline's id of the message meant (`in:<message id>`, `out:<outbox item>`); nil when
    /// the event is about the conversation, or about several messages at once (the replies to a
    /// customer's message), or a message the service knows by the platform's id only (a delivery
    /// report).
    package var message: String?
    /// `sent`, `failed` (the outbox), `delivered`, `read` (the platform), for `status`.
    package var status: String?
    /// The person who replied, or took the conversation.
    package var agent: String?
    /// When it happened (the service's clock).
    package var at: Date

    package init(_ type: Kind, conversation: String, message: String? = nil, status: String? = nil, agent: String? = nil, at: Date) {
        self.type = type
        self.conversation = conversation
        self.message = message
        self.status = status
        self.agent = agent
        self.at = at
    }
}

extension ConversationEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, conversation, message, status, agent, at
    }

    /// `at` as ISO 8601 with milliseconds, as the timeline writes it.
    private static let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .type)
        guard let type = Kind(rawValue: kind) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "not an event type: \(kind)")
        }
        self.type = type
        conversation = try c.decode(String.self, forKey: .conversation)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        agent = try c.decodeIfPresent(String.self, forKey: .agent)
        at = try Self.time.parse(try c.decode(String.self, forKey: .at))
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type.rawValue, forKey: .type)
        try c.encode(conversation, forKey: .conversation)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encodeIfPresent(agent, forKey: .agent)
        try c.encode(Self.time.format(at), forKey: .at)
    }

    /// The event as one line of JSON (what a console reads, and what replicas pass on).
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

package import Foundation

/// A page of the inbox's conversation list: newest activity first, filtered by who has them
/// and by text, continuing after a cursor.
package struct ConversationQuery: Sendable, Equatable {
    package enum Status: String, Sendable, CaseIterable {
        /// Handed over, nobody has taken them.
        case waiting
        /// A person has them.
        case assigned
        /// `assigned` to the asking person.
        case mine
        /// The bot answers them (never handed over, or a hand-over ran out).
        case bot
        case resolved
        case all
    }

    package var status: Status
    /// The asking person, for `mine`.
    package var agent: String?
    /// Matched, ignoring case, against the customer's id, name, tags and last message.
    package var text: String?
    package var after: Cursor?
    package var limit: Int
    /// The time `waiting`, `assigned` and `bot` are judged at (a mute runs out).
    package var now: Date

    package init(status: Status = .all, agent: String? = nil, text: String? = nil, after: Cursor? = nil, limit: Int = 50, now: Date) {
        self.status = status
        self.agent = agent
        self.text = text
        self.after = after
        self.limit = limit
        self.now = now
    }

    /// Where a page ended: the last conversation's activity and customer (the list's order).
    package struct Cursor: Sendable, Equatable {
        package var activity: Date
        package var customer: String

        package init(activity: Date, customer: String) {
            self.activity = activity
            self.customer = customer
        }

        package init(after conversation: Conversation) {
            self.init(activity: conversation.lastActivityAt, customer: conversation.customer)
        }

        /// Opaque to clients: base64url of `<seconds>|<customer>`.
        package var token: String {
            Data("\(activity.timeIntervalSince1970)|\(customer)".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }

        package init?(token: String) {
            var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
                let bar = text.firstIndex(of: "|"), let seconds = Double(text[..<bar]), seconds.isFinite
            else { return nil }
            self.init(activity: Date(timeIntervalSince1970: seconds), customer: String(text[text.index(after: bar)...]))
        }
    }

    /// `text` as a LIKE pattern, its wildcards escaped with `\` (`ESCAPE '\'` in both dialects).
    package var likePattern: String? {
        guard let text, !text.isEmpty else { return nil }
        let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        return "%" + escaped + "%"
    }
}

/// An internal note a person left on a conversation: shown in the timeline, never sent.
package struct ConversationNote: Sendable, Equatable {
    package var id: Int64
    package var customer: String
    package var agent: String
    package var text: String
    package var at: Date

    package init(id: Int64, customer: String, agent: String, text: String, at: Date) {
        self.id = id
        self.customer = customer
        self.agent = agent
        self.text = text
        self.at = at
    }

    package var timelineItem: TimelineItem {
        TimelineItem(id: "note:\(id)", direction: .outbound, kind: "note", type: "note", text: text, agent: agent, at: at)
    }
}

package import Foundation

extension Conversation {
    /// Who has a conversation in the inbox. A hand-over makes it `waiting` for a person; a
    /// person who takes it or replies makes it `assigned` to them; resolving gives it back to
    /// the bot (`resolved`, until the customer writes again: then it is the bot's).
    package enum Handling: String, Sendable, CaseIterable {
        case bot, waiting, assigned, resolved
    }

    /// Who has it at `now`: a hand-over whose mute ran out with no person's reply is the bot's
    /// again (as the bot answers it), whatever is stored until the next message.
    package func status(at now: Date) -> Handling {
        switch handling {
        case .waiting, .assigned: return (mutedUntil.map { $0 > now } ?? false) ? handling : .bot
        case .bot, .resolved: return handling
        }
    }

    /// The bot hands the customer over: silent until `until`, waiting for a person, unless one
    /// already has the conversation.
    package mutating func handOver(until: Date, now: Date) {
        if status(at: now) != .assigned {
            handling = .waiting
            assignee = nil
        }
        mutedUntil = until
    }

    /// A person takes the conversation: the bot stays silent at least until `until`.
    package mutating func assign(to agent: String, until: Date) {
        handling = .assigned
        assignee = agent
        mutedUntil = max(mutedUntil ?? until, until)
    }

    /// A person wrote to the customer (a reply, a template): the conversation is theirs unless
    /// someone has it already, and the bot stays silent at least until `until`.
    package mutating func answered(by agent: String, until: Date, now: Date) {
        if status(at: now) == .assigned {
            mutedUntil = max(mutedUntil ?? until, until)
        } else {
            assign(to: agent, until: until)
        }
    }

    /// A person is done: the bot answers again.
    package mutating func resolve() {
        handling = .resolved
        assignee = nil
        mutedUntil = nil
        resolutions += 1
    }

    /// The customer wrote while nobody silences the bot: a run-out hand-over or a resolved
    /// conversation is the bot's again.
    package mutating func returnToBot() {
        mutedUntil = nil
        if handling != .bot {
            handling = .bot
            assignee = nil
        }
    }
}

extension ConversationPlan {
    /// The longest preview of the last message kept on the conversation (the inbox's list).
    package static let previewLength = 200

    /// The plan with the inbox's bookkeeping of what it stores: the latest activity and its
    /// text (a reply the customer sees, else the customer's message) and one more unread
    /// message for a customer's. Stores apply it inside the plan's transaction, with its time.
    package func stamped(at time: Date, inbound: InboundMessage?) -> ConversationPlan {
        guard var conversation else { return self }
        var last: String?
        if let inbound {
            conversation.identity = inbound.identity
            conversation.unread += 1
            last = inbound.text ?? ["[\(inbound.type)]", inbound.caption].compactMap { $0 }.joined(separator: " ")
        }
        if let reply = replies.last(where: \.isMessage) { last = reply.preview }
        guard let last else { return self }
        conversation.lastActivityAt = max(conversation.lastActivityAt, time)
        conversation.lastMessage = String(last.prefix(Self.previewLength))
        var plan = self
        plan.conversation = conversation
        return plan
    }
}

extension OutboundDraft {
    /// The text a person sees for it in a list of conversations.
    package var preview: String { body }
}

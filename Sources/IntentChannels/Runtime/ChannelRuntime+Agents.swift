package import Foundation
import IntentCore

/// What people do in the inbox: reply, take a conversation, resolve it, tag it, mark it read,
/// leave notes. Each is one transaction of the state store on the customer's conversation, so
/// that replicas and the inbound messages they decide see it whole.
extension ChannelRuntime {
    /// What became of a person's reply.
    package enum AgentReply: Sendable, Equatable {
        /// Queued in the outbox (the first item, when the text was split).
        case queued(Int64)
        case unknownCustomer
        /// The customer's last message is older than 24 hours: only a template may reach them.
        case windowClosed(since: Date)
        /// The contact has no identity on the channel asked for.
        case noIdentity(channel: String, channels: [String])
        case storeUnavailable
    }

    /// What became of a change to a conversation.
    package enum InboxChange: Sendable, Equatable {
        /// The conversation as stored after the change.
        case changed(Conversation)
        case unknownCustomer
        case storeUnavailable
    }

    /// A person's reply to a customer (the console's inbox), queued in the same outbox as the
    /// bot's, in order with them and exactly once. The bot stays silent while a person talks:
    /// the reply (re)starts the hand-over's mute, and a waiting conversation becomes the
    /// replier's. `{{contact.name}}` and `{{contact.KEY}}` are filled from the conversation.
    ///
    /// It goes to where the customer last wrote, or to the contact's identity on `channel` (the
    /// one written from last there), whose own reply window applies.
    package func reply(to customer: String, text: String, agent: String, channel: String? = nil) async -> AgentReply {
        let now = clock()
        let muteMinutes = policy.automation.handover.muteMinutes
        let closed = Locked<Date?>(nil)
        let windows = replyWindows
        let store = self.store
        let queued: [Int64]?
        do {
            var chosen: ContactIdentity?
            if let channel {
                let identities = try await store.identities(contact: customer)
                guard !identities.isEmpty else { return .unknownCustomer }
                chosen = identities.first { $0.identity.channel == channel }
                guard chosen != nil else {
                    return .noIdentity(channel: channel, channels: Array(Set(identities.map(\.identity.channel))).sorted())
                }
            }
            queued = try await advance(customer: customer, at: now, finishing: nil) { [chosen] conversation in
                var there = conversation
                if let chosen {
                    there.identity = chosen.identity
                    there.lastInboundAt = chosen.lastSeenAt
                }
                if let closes = windows.closes(there, agent: true), closes <= now {
                    closed.withLock { $0 = closes }
                    return nil
                }
                var conversation = conversation
                let until = now.addingTimeInterval(Double(muteMinutes) * 60)
                conversation.answered(by: agent, until: until, now: now)
                let filled = QuickReplyText.fill(text, conversation: conversation)
                var plan = ConversationPlan(conversation: conversation, replies: [.text(filled, origin: .agent(agent))], triggers: [])
                plan.recipient = chosen?.identity
                plan.account = chosen?.account
                return plan
            }
            storeHealth.succeeded()
        } catch {
            storeHealth.failed("queuing a person's reply", error: error)
            return .storeUnavailable
        }
        if let since = closed.current { return .windowClosed(since: since) }
        guard let first = queued?.first else { return .unknownCustomer }
        outboxWakeup.signal()
        publishQueued(customer: customer, items: queued, agent: agent, at: now)
        return .queued(first)
    }

    /// A person takes the conversation (or gives it to `agent`): the bot stays silent for the
    /// hand-over's mute, renewed by every reply of theirs.
    package func assign(_ customer: String, to agent: String) async -> InboxChange {
        let until = clock().addingTimeInterval(Double(policy.automation.handover.muteMinutes) * 60)
        return await change(customer, "assigning a conversation", announcing: .assignment, agent: agent) { conversation in
            conversation.assign(to: agent, until: until)
            return []
        }
    }

    /// A person is done with the conversation: the bot answers again, and the satisfaction
    /// question (the automation file's `csat`) goes out while the 24-hour window is open.
    package func resolve(_ customer: String) async -> InboxChange {
        let now = clock()
        let survey = policy.automation.csat
        let windows = replyWindows
        return await change(customer, "resolving a conversation", announcing: .assignment) { conversation in
            conversation.resolve()
            guard let survey, windows.isOpen(conversation, at: now) else { return [] }
            return [SatisfactionSurvey.draft(survey)]
        } triggers: { replies in
            replies.isEmpty ? [] : [.csat("asked")]
        }
    }

    /// Adds and removes the contact's tags.
    package func tag(_ customer: String, adding added: [String], removing removed: [String]) async -> InboxChange {
        await change(customer, "tagging a conversation", announcing: .conversation) { conversation in
            conversation.tags = Set(conversation.tags).union(added).subtracting(removed).sorted()
            return []
        }
    }

    /// A person has read the customer's messages.
    package func markRead(_ customer: String) async -> InboxChange {
        await change(customer, "marking a conversation read", announcing: .conversation) { conversation in
            conversation.unread = 0
            return []
        }
    }

    /// An internal note on the conversation: in its timeline, never sent. Nil when there is no
    /// such conversation; throws when the store fails.
    package func addNote(to customer: String, text: String, agent: String) async throws -> ConversationNote? {
        let store = self.store
        do {
            let note = try await store.addNote(customer: customer, agent: agent, text: text, at: clock())
            storeHealth.succeeded()
            if let note { publish(ConversationEvent(.message, conversation: customer, message: "note:\(note.id)", agent: agent, at: note.at)) }
            return note
        } catch {
            storeHealth.failed("leaving a note", error: error)
            throw error
        }
    }

    /// The inbox's list (see `ConversationQuery`), judged at the runtime's clock.
    package func conversations(_ query: ConversationQuery) async throws -> [Conversation] {
        var query = query
        query.now = clock()
        let store = self.store
        return try await store.conversations(query)
    }

    /// One customer's messages both ways and the notes on them, newest first (the console's timeline).
    package func timeline(customer: String, before: Date?, limit: Int) async throws -> [TimelineItem] {
        let store = self.store
        return try await store.timeline(customer: customer, before: before, limit: limit)
    }

    /// Changes one conversation in one transaction: `body` edits it and returns the messages to
    /// queue; `triggers` says what to count for them.
    func change(
        _ customer: String, _ doing: String, announcing event: ConversationEvent.Kind, agent: String? = nil,
        _ body: @escaping @Sendable (inout Conversation) -> [OutboundDraft],
        triggers: @escaping @Sendable ([OutboundDraft]) -> [Trigger] = { _ in [] }
    ) async -> InboxChange {
        let stored = Locked<Conversation?>(nil)
        let now = clock()
        let queued: [Int64]?
        do {
            queued = try await advance(customer: customer, at: now, finishing: nil) { conversation in
                var conversation = conversation
                let replies = body(&conversation)
                stored.withLock { $0 = conversation }
                return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers(replies))
            }
            storeHealth.succeeded()
        } catch {
            storeHealth.failed(doing, error: error)
            return .storeUnavailable
        }
        guard queued != nil, let conversation = stored.current else { return .unknownCustomer }
        if queued?.isEmpty == false {
            outboxWakeup.signal()
            publishQueued(customer: customer, items: queued, at: now)
        }
        publish(ConversationEvent(event, conversation: customer, agent: agent, at: now))
        return .changed(conversation)
    }
}

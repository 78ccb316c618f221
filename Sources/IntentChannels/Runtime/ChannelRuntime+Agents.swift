package import Foundation
import IntentCore

extension ChannelRuntime {
    /// What became of a person's reply.
    package enum AgentReply: Sendable, Equatable {
        /// Queued in the outbox (the first item, when the text was split).
        case queued(Int64)
        case unknownCustomer
        /// The customer's last message is older than 24 hours: only a template may reach them.
        case windowClosed(since: Date)
        case storeUnavailable
    }

    /// A person's reply to a customer (the console's inbox), queued in the same outbox as the
    /// bot's, in order with them and exactly once. The bot stays silent while a person talks:
    /// the reply (re)starts the hand-over's mute.
    package func reply(to customer: String, text: String, agent: String) async -> AgentReply {
        let now = clock()
        let muteMinutes = policy.automation.handover.muteMinutes
        let closed = Locked<Date?>(nil)
        let store = self.store
        let queued: [Int64]?
        do {
            queued = try await store.advance(customer: customer, at: now, finishing: nil) { conversation in
                let closes = conversation.windowClosesAt
                guard closes > now else {
                    closed.withLock { $0 = closes }
                    return nil
                }
                var conversation = conversation
                let muted = now.addingTimeInterval(Double(muteMinutes) * 60)
                conversation.mutedUntil = max(conversation.mutedUntil ?? muted, muted)
                let replies = MessageSplitter.split(text).map { OutboundDraft.text($0, origin: .agent(agent)) }
                return ConversationPlan(conversation: conversation, replies: replies, triggers: [])
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

    /// One customer's messages both ways, newest first (the console's timeline).
    package func timeline(customer: String, before: Date?, limit: Int) async throws -> [TimelineItem] {
        let store = self.store
        return try await store.timeline(customer: customer, before: before, limit: limit)
    }
}

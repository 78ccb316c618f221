import Foundation

extension ChannelRuntime {
    /// Announces a change the store has committed to the consoles (nothing without `events`).
    /// Code that changes conversations outside the runtime's paths (assignments, notes) publishes
    /// through it too.
    package func publish(_ event: ConversationEvent) {
        events?.publish(event)
    }

    /// A webhook's new messages, one event each, and its delivery reports (for the conversation:
    /// the report names the platform's message id, not the timeline's).
    func publishReceived(_ messages: [InboundMessage], statuses: [DeliveryStatus], at: Date) {
        guard events != nil else { return }
        for message in messages {
            publish(ConversationEvent(.message, conversation: message.customer, message: "in:" + message.id, at: at))
        }
        for report in statuses {
            guard let customer = report.recipient else { continue }
            publish(ConversationEvent(.status, conversation: customer, status: report.status, at: at))
        }
    }

    /// Replies queued for a customer: one event per outbox item, or one without an id when the
    /// store does not say which items (the replies to a customer's message).
    func publishQueued(customer: String, items: [Int64]?, agent: String? = nil, at: Date) {
        guard let items else {
            publish(ConversationEvent(.message, conversation: customer, agent: agent, at: at))
            return
        }
        for item in items {
            publish(ConversationEvent(.message, conversation: customer, message: "out:\(item)", agent: agent, at: at))
        }
    }

    /// A send's outcome, once recorded: sent, or failed for good (a retry changes nothing shown).
    func publishOutcome(of item: OutboxItem, _ outcome: UnrecordedOutcome) {
        guard item.draft.isMessage else { return }
        let status: String
        let at: Date
        switch outcome {
        case .sent(_, let sentAt): (status, at) = ("sent", sentAt)
        case .failed(let failedAt, _): (status, at) = ("failed", failedAt)
        case .retry: return
        }
        publish(ConversationEvent(.status, conversation: item.customer, message: "out:\(item.id)", status: status, at: at))
    }
}

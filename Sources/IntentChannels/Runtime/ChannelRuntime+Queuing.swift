import Foundation

/// Every reply is queued through these: the store's `process` and `advance`, with the plan's
/// replies split for the channel they go to (`ReplySplitter`). A part is an outbox item of its
/// own, so a failed part is retried alone and a sent one never goes twice.
extension ChannelRuntime {
    /// `ConversationStore.process`, the replies split for the message's channel.
    func process(_ message: InboundMessage, at now: Date, plan: @escaping @Sendable (Conversation?) -> ConversationPlan) async throws -> Bool {
        let splitter = self.splitter
        let store = self.store
        return try await store.process(message, at: now) { conversation in splitter.split(plan(conversation), on: message.channel) }
    }

    /// `ConversationStore.advance`, the replies split for the conversation's channel (or the
    /// plan's recipient's).
    func advance(
        customer: String, at now: Date, finishing: FinishedItem?, plan: @escaping @Sendable (Conversation) -> ConversationPlan?
    ) async throws -> [Int64]? {
        let splitter = self.splitter
        let store = self.store
        return try await store.advance(customer: customer, at: now, finishing: finishing) { conversation in
            plan(conversation).map { splitter.split($0, on: conversation.identity.channel) }
        }
    }
}

/// Each channel's longest text (`ChatChannel.maxTextLength`, counted as its `textMeasure`
/// counts): replies are split to it before they are queued (`MessageSplitter`), so that each part
/// is an outbox item of its own, sent exactly once and paced like any message; a message with
/// buttons or a list within the channel's `choiceTextLimit` too. A channel no longer configured
/// keeps WhatsApp's limits.
package struct ReplySplitter: Sendable {
    private var limits: [String: MessageSplitter.Limits] = [:]

    package init(_ channels: [any ChatChannel]) {
        for channel in channels {
            limits[channel.name] = MessageSplitter.Limits(text: channel.maxTextLength, measure: channel.textMeasure, choice: channel.choiceTextLimit)
        }
    }

    /// The replies as the messages that carry them on `channel`.
    package func split(_ replies: [OutboundDraft], on channel: String) -> [OutboundDraft] {
        let limits =
            self.limits[channel]
            ?? MessageSplitter.Limits(
                text: GraphAPI.maxTextLength, measure: .characters, choice: (InteractiveLimits.maxInteractiveBody, .unicodeScalars))
        return replies.flatMap { MessageSplitter.split($0, limits: limits) }
    }

    /// The plan with its replies split for where they go: its `recipient`'s channel when it
    /// names one, else `channel` (the customer's message's, or the conversation's).
    package func split(_ plan: ConversationPlan, on channel: String) -> ConversationPlan {
        var plan = plan
        plan.replies = split(plan.replies, on: plan.recipient?.channel ?? channel)
        return plan
    }
}

/// Each channel's longest text (`ChatChannel.maxTextLength`, counted as its `textMeasure`
/// counts): replies are split to it before they are queued (`MessageSplitter`), so that each part
/// is an outbox item of its own, sent exactly once and paced like any message. A channel no
/// longer configured keeps WhatsApp's 4,096 characters.
package struct ReplySplitter: Sendable {
    private var limits: [String: (length: Int, measure: TextMeasure)] = [:]

    package init(_ channels: [any ChatChannel]) {
        for channel in channels { limits[channel.name] = (channel.maxTextLength, channel.textMeasure) }
    }

    /// The replies as the messages that carry them on `channel`.
    package func split(_ replies: [OutboundDraft], on channel: String) -> [OutboundDraft] {
        let limit = limits[channel] ?? (GraphAPI.maxTextLength, .characters)
        return replies.flatMap { MessageSplitter.split($0, limit: limit.length, measure: limit.measure) }
    }

    /// The plan with its replies split for where they go: its `recipient`'s channel when it
    /// names one, else `channel` (the customer's message's, or the conversation's).
    package func split(_ plan: ConversationPlan, on channel: String) -> ConversationPlan {
        var plan = plan
        plan.replies = split(plan.replies, on: plan.recipient?.channel ?? channel)
        return plan
    }
}

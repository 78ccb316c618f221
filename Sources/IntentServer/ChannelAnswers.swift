import IntentChannels
import IntentCore

extension IntentServerApp {
    /// The matcher's answer to a channel's customer, decided exactly as `/match` decides (LLM
    /// settling included) and counted in the same statistics and metrics. Waits while the
    /// corpus is loading.
    /// A message longer than `max_message_chars` is decided (and kept for review) on its start.
    public func channelAnswer(to message: String, from customer: String? = nil) async -> BotAnswer {
        let text = settings.limits.truncated(message)
        var service = holder.service
        while service == nil, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            service = holder.service
        }
        guard let service else { return .unanswered }
        let served = await service.match(text)
        let decision = served.decision
        stats.record(message: text, customer: customer, decision: decision, degraded: served.degraded)
        metrics.decision(decision, degraded: served.degraded)
        let answers = decision.status == .matched || decision.status == .keyword
        return BotAnswer(
            answer: answers ? decision.answer : nil, entry: answers ? decision.id : nil, rule: decision.rule,
            handover: answers && service.corpus.handsOver(decision))
    }
}

package import IntentChannels
import IntentCore

/// The matcher's answer to a channel's customer, decided exactly as `/match` decides (a chat
/// model settling close calls included) and counted by the same `DecisionRecorder`: what a
/// channel needs of the server, without a reference to it.
package struct BotAnswerer: Sendable {
    let holder: ServiceHolder
    let recorder: DecisionRecorder
    let limits: ServerLimits

    package init(holder: ServiceHolder, recorder: DecisionRecorder, limits: ServerLimits) {
        self.holder = holder
        self.recorder = recorder
        self.limits = limits
    }

    /// Waits while the corpus is loading. A message longer than `max_message_chars` is decided
    /// (and kept for review) on its start. With `rulesOnly` (a flow takes the message), only the
    /// `before` keyword rules are checked: nothing is embedded, recorded or counted. `language`
    /// (the contact's, `ContactLanguage.known`) picks the answer's language when the message's
    /// words do not tell one, as `/match`'s `language` does.
    package func answer(to message: String, from customer: String, rulesOnly: Bool = false, language: String? = nil) async -> BotAnswer {
        let text = limits.truncated(message)
        var service = holder.service
        while service == nil, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            service = holder.service
        }
        guard let service else { return .unanswered }
        if rulesOnly {
            guard var decision = service.beforeRuleDecision(text) else { return .unanswered }
            if decision.language == nil, let language { decision.answer(in: language, from: service.corpus) }
            return BotAnswer(
                answer: decision.answer, entry: decision.id, rule: decision.rule, handover: service.corpus.handsOver(decision))
        }
        var served = await service.match(text)
        if served.decision.language == nil, let language { served.decision.answer(in: language, from: service.corpus) }
        recorder.record(text, customer: customer, served)
        let decision = served.decision
        let answers = decision.status == .matched || decision.status == .keyword
        return BotAnswer(
            answer: answers ? decision.answer : nil, entry: answers ? decision.id : nil, rule: decision.rule,
            // A keyword rule's decision may carry the best entry's cosine: not what the rule answered from.
            score: decision.status == .matched ? decision.score : nil, handover: answers && service.corpus.handsOver(decision),
            choices: decision.status == .ambiguous ? decision.choices.map { Flow.Option(id: $0.id, title: $0.question) } : [])
    }

    /// The customer picked an entry offered as "did you mean" (`entry` empty: "something else"):
    /// its answer, in the language of the picked question's words. An entry gone from the corpus
    /// since (a reload) is unanswered. The customer's `question` and their pick go to the review
    /// queue as a confirmed suggestion.
    package func answer(picking entry: String, words: String?, question: String? = nil) async -> BotAnswer {
        guard !entry.isEmpty, let service = holder.service, let picked = service.corpus.entry(id: entry) else {
            return BotAnswer(answer: nil, chosen: false)
        }
        if let question { recorder.stats.confirm(question, entry: entry) }
        let answer = picked.answer(in: words.flatMap(LanguageDetector.language(of:)))
        return BotAnswer(answer: answer.text, entry: entry, handover: picked.handover, chosen: true)
    }
}

package import Foundation
import IntentCore

/// Decides, for one inbound message, what the bot sends and remembers: the automation rules in
/// one pure function, so that every store applies them identically inside its transaction.
///
/// In order: a read receipt; the greeting (first message ever, or after `after_days` of
/// silence); the away message when closed (once per conversation per local day); then the
/// answer quoting the customer's message, or the fallback reply (none when closed: one apology
/// is enough). A hand-over answer sends the hand-over text and mutes the bot; while muted,
/// messages are recorded and nothing is sent.
package struct ConversationPolicy: Sendable {
    package var automation: Automation
    package var fallbackReply: String

    package init(automation: Automation, fallbackReply: String) {
        self.automation = automation
        self.fallbackReply = fallbackReply
    }

    /// Message types that ask for nothing: a reaction to one of our messages; on Instagram, a
    /// reply to the business's story or a mention of it in the customer's (kept for a person to
    /// see, and they count as the customer writing: Meta opens the reply window for them).
    package static let silentTypes: Set<String> = ["reaction", "story_reply", "story_mention"]
    /// Notices about the customer rather than new words from them: a changed number (`system`),
    /// an answer to a call-permission request, an edit of a message already answered (Telegram's
    /// `edited`: answering it again would repeat the answer, and a text-less one would hand
    /// over). Recorded on the conversation, never answered, and they do not count as the
    /// customer writing (no greeting is due, no silence is broken).
    package static let noticeTypes: Set<String> = ["system", "call_permission_reply", "edited"]
    /// Types the matcher is never asked about.
    package static let unansweredTypes = silentTypes.union(noticeTypes)

    /// - Parameter flows: the flows in service; nil or empty: none.
    package func plan(
        _ message: InboundMessage, answer: BotAnswer?, conversation existing: Conversation?, now: Date, flows: FlowRunner? = nil
    ) -> ConversationPlan {
        if Self.noticeTypes.contains(message.type) {
            // Kept with the customer's messages; the conversation is left as it was, so that a
            // customer's first real message is still greeted as the first.
            return ConversationPlan(conversation: nil, replies: [], triggers: [])
        }
        var conversation =
            existing ?? Conversation(customer: message.customer, firstInboundAt: message.sentAt, lastInboundAt: message.sentAt)
        if let name = message.customerName { conversation.name = name }
        if conversation.attributes[ContactLanguage.attribute] == nil, let language = message.language.flatMap(ContactLanguage.code(ofTag:)) {
            conversation.attributes[ContactLanguage.attribute] = language
        }
        conversation.phoneNumberID = message.phoneNumberID
        let previous = existing?.lastInboundAt
        conversation.lastInboundAt = max(previous ?? message.sentAt, message.sentAt)

        if let muted = conversation.mutedUntil, muted > now {
            return ConversationPlan(conversation: conversation, replies: [], triggers: [])
        }
        conversation.returnToBot()
        if Self.silentTypes.contains(message.type) {
            return ConversationPlan(conversation: conversation, replies: [], triggers: [])
        }

        var replies: [OutboundDraft] = [.read(message.id)]
        var triggers: [Trigger] = []
        /// A reply longer than the channel takes is split when it is queued (`ReplySplitter`).
        func say(_ text: String, quoting context: String? = nil, origin: OutboundDraft.Origin = .bot, basis: AnswerBasis? = nil) {
            replies.append(.text(text, quoting: context, origin: origin, basis: basis))
        }
        if let greeting = automation.greeting,
            previous.map({ message.sentAt.timeIntervalSince($0) >= greeting.afterDays * 86_400 }) ?? true
        {
            say(greeting.text, origin: .automation)
            triggers.append(.greeting)
        }
        let closed = automation.isClosed(at: now)
        if closed, let away = automation.away {
            let today = automation.day(of: now)
            if conversation.lastAwayDay != today {
                say(away.text, origin: .automation)
                triggers.append(.away)
                conversation.lastAwayDay = today
            }
        }

        func handOver(_ text: String, basis: AnswerBasis? = nil) {
            say(text, quoting: message.id, origin: .automation, basis: basis)
            triggers.append(.handover)
            conversation.handOver(until: now.addingTimeInterval(Double(automation.handover.muteMinutes) * 60), now: now)
        }

        if let score = SatisfactionSurvey.score(message.choice) {
            // An answer to the satisfaction question: counted, thanked, never matched.
            triggers.append(.csat(String(score)))
            if let thanks = automation.csat?.thanks { say(thanks, origin: .automation) }
            return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
        }

        if let flows, !flows.isEmpty,
            takeFlows(flows, message, answer: answer, &conversation, first: existing == nil, closed: closed, now: now, &replies, &triggers)
        {
            return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
        }

        guard let answer, message.text != nil else {
            // Not text (an image, a voice note, a location...): a person or the configured reply.
            let nonText = automation.nonText
            if nonText.handover {
                handOver(nonText.text ?? automation.handover.text ?? fallbackReply)
            } else {
                say(nonText.text ?? fallbackReply, quoting: message.id)
            }
            return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
        }
        if let entry = answer.entry { triggers.append(.entry(entry)) }
        if let rule = answer.rule { triggers.append(.rule(rule)) }
        if let chosen = answer.chosen { triggers.append(.choice(chosen ? "chosen" : "none")) }
        if answer.handover, let text = automation.handover.text ?? answer.answer {
            // The rule or entry that handed over, for the person who takes the conversation.
            handOver(text, basis: answer.basis)
        } else if let text = answer.answer {
            say(text, quoting: message.id, basis: answer.basis)
        } else if answer.choices.count >= 2 {
            replies.append(ChoicePrompt.draft(answer.choices, language: ContactLanguage.of(message, contact: conversation), quoting: message.id))
            triggers.append(.choice("offered"))
        } else if !closed {
            say(fallbackReply, quoting: message.id)
            triggers.append(.fallback)
        }
        return ConversationPlan(conversation: conversation, replies: replies, triggers: triggers)
    }

    /// The flows' part of a message, in order: a running flow takes the customer's answer (a
    /// hand-over rule or a stop word ends it instead; a keyword of a flow that `interrupts`
    /// replaces it); then a keyword, the first message or the matcher's entry may start a flow.
    /// Returns true when a flow answered the message, so the matcher's answer is not sent.
    private func takeFlows(
        _ flows: FlowRunner, _ message: InboundMessage, answer: BotAnswer?, _ conversation: inout Conversation, first: Bool, closed: Bool,
        now: Date, _ replies: inout [OutboundDraft], _ triggers: inout [Trigger]
    ) -> Bool {
        let text = message.text ?? ""
        let context = flows.context(conversation, language: ContactLanguage.of(message, contact: conversation), open: !closed)
        let handover = answer?.handover == true
        let keywordFlow = handover ? nil : flows.keywordFlow(for: text)
        func start(_ flow: Flow) -> Bool {
            guard let result = flows.engine.start(flow.id, context: context, now: now) else { return false }
            flows.apply(result, previous: nil, to: &conversation, now: now, quoting: message.id, replies: &replies, triggers: &triggers)
            return true
        }
        if let run = conversation.flowRun {
            if handover || flows.isStop(text) {
                flows.finish(run, status: .abandoned, conversation: &conversation, triggers: &triggers)
                if !handover {
                    replies.append(.text(flows.stopReply, quoting: message.id, origin: .flow))
                    return true
                }
                return false
            }
            if let keywordFlow, keywordFlow.interrupts {
                flows.finish(run, status: .abandoned, conversation: &conversation, triggers: &triggers)
                return start(keywordFlow)
            }
            let input: FlowInput? = message.choice.map { .choice(id: $0) } ?? message.text.map { .text($0) }
            if let input {
                let result = flows.engine.answer(input, run: run, context: context, now: now)
                if result.consumed {
                    flows.apply(result, previous: run, to: &conversation, now: now, quoting: message.id, replies: &replies, triggers: &triggers)
                    return true
                }
                if result.run.status != FlowRun.Status.waiting {
                    // Its flow or step is gone from the file: the run ends, the matcher answers.
                    flows.finish(run, status: .abandoned, conversation: &conversation, triggers: &triggers)
                }
            }
            // Waiting for a webhook or a clock: the matcher answers meanwhile.
            if conversation.flowRun != nil { return false }
        }
        if handover { return false }
        if let keywordFlow { return start(keywordFlow) }
        if first, let flow = flows.firstMessageFlow { return start(flow) }
        if let entry = answer?.entry, let flow = flows.entryFlow(entry) {
            triggers.append(.entry(entry))
            return start(flow)
        }
        return false
    }
}

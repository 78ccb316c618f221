package import Foundation
import IntentCore

/// Applies what the `FlowEngine` decided to a customer's conversation: the replies to queue (texts,
/// buttons, lists, a webhook call), the contact's tags and attributes, a hand-over's mute, the run
/// to keep (or none once it ended) with the time it is next due, and the flow's figures. Pure, like
/// the engine, so that every store applies it inside the transaction that decides a message.
package struct FlowRunner: Sendable {
    package let engine: FlowEngine
    package let stopWords: Set<String>
    package let stopReply: String
    /// How long a hand-over mutes the bot (the automation file's `handover.mute_minutes`).
    package let muteMinutes: Int

    /// Keyword triggers as keyword rules (the same matching), flows in id order, so that two
    /// flows claiming one message start the same one on every replica.
    private let keywordTriggers: [(flow: Flow, rule: KeywordRule)]

    package init(_ set: FlowSet, engine: FlowEngine? = nil, muteMinutes: Int) {
        self.engine = engine ?? FlowEngine(set.flows)
        self.stopWords = Set(set.stopWords.map(TextNormalizer.normalize))
        self.stopReply = set.stopReply
        self.muteMinutes = muteMinutes
        keywordTriggers = set.flows.sorted { $0.id < $1.id }.compactMap { flow in
            guard case .keywords(let words) = flow.trigger,
                let rule = try? KeywordRule(id: flow.id, mode: .containsAny, patterns: words, reply: .answer(""))
            else { return nil }
            return (flow, rule)
        }
    }

    package var isEmpty: Bool { engine.flows.isEmpty }

    /// The flow a customer's message starts by keyword (checked after hand-over rules, before
    /// the matcher).
    package func keywordFlow(for text: String) -> Flow? {
        let normalized = TextNormalizer.normalize(text)
        guard !normalized.isEmpty else { return nil }
        return keywordTriggers.first { $0.rule.matches(normalized: normalized) }?.flow
    }

    /// The flow that replaces this FAQ entry's static answer.
    package func entryFlow(_ entry: String) -> Flow? {
        sortedFlows.first { $0.trigger == .entry(entry) }
    }

    /// The flow a customer's first message ever starts.
    package var firstMessageFlow: Flow? {
        sortedFlows.first { $0.trigger == .firstMessage }
    }

    /// Whether the message is one of the words that end a run.
    package func isStop(_ text: String) -> Bool {
        stopWords.contains(TextNormalizer.normalize(text))
    }

    private var sortedFlows: [Flow] { engine.flows.values.sorted { $0.id < $1.id } }

    /// What the flow's steps know of the conversation.
    package func context(_ conversation: Conversation, language: String?, open: Bool) -> FlowContext {
        FlowContext(
            contactName: conversation.name, attributes: conversation.attributes, tags: Set(conversation.tags), channel: conversation.identity.channel,
            language: language,
            open: open)
    }

    /// Applies one engine result. `previous` is the run before the event (nil when `result`
    /// starts one); `quoting` is the customer's message the first reply quotes.
    package func apply(
        _ result: FlowEngine.Result, previous: FlowRun?, to conversation: inout Conversation, now: Date, quoting: String? = nil,
        replies: inout [OutboundDraft], triggers: inout [Trigger]
    ) {
        let run = result.run
        var quote = quoting
        func say(_ text: String) {
            replies.append(.text(text, quoting: quote))
            quote = nil
        }
        let first = replies.count
        defer { for i in first..<replies.count { replies[i].origin = .flow } }
        if previous == nil { triggers.append(.flow(run.flow, "triggered")) }
        if previous?.engaged == false, run.engaged { triggers.append(.flow(run.flow, "engaged")) }
        for action in result.actions {
            switch action {
            case .say(let text): say(text)
            case .choice(let style, let text, let options):
                replies.append(OutboundDraft(kind: style == .buttons ? .buttons : .list, body: text, context: quote, options: options))
                quote = nil
            case .callWebhook(let url, let flow, let step, let variables):
                replies.append(OutboundDraft(kind: .webhook, body: webhookBody(flow: flow, step: step, conversation, variables), context: url))
            case .handover(let text):
                say(text)
                triggers.append(.handover)
                conversation.handOver(until: now.addingTimeInterval(Double(muteMinutes) * 60), now: now)
            case .tag(let tag):
                if !conversation.tags.contains(tag) { conversation.tags = (conversation.tags + [tag]).sorted() }
            case .untag(let tag): conversation.tags.removeAll { $0 == tag }
            case .setAttribute(let key, let value): conversation.attributes[key] = value
            case .collected(let evidence): conversation.collected.append(evidence)
            case .entered(let flow, let step): triggers.append(.flow(flow, "step:\(step):entered"))
            case .chose(let flow, let step, let option): triggers.append(.flow(flow, "step:\(step):option:\(option)"))
            }
        }
        if run.status == .waiting {
            conversation.flowRun = run
            conversation.flowDueAt = engine.deadline(of: run)
        } else {
            finish(run, status: run.status, conversation: &conversation, triggers: &triggers)
        }
    }

    /// Ends the conversation's run (or `run`) with `status`: its figures, and nothing kept.
    package func finish(_ run: FlowRun, status: FlowRun.Status, conversation: inout Conversation, triggers: inout [Trigger]) {
        triggers.append(.flow(run.flow, status.rawValue))
        triggers.append(.flow(run.flow, "step:\(run.step):left"))
        conversation.flowRun = nil
        conversation.flowDueAt = nil
    }

    /// The webhook's JSON: `{"flow", "step", "customer": {"id", "channel", "name"}, "variables"}`.
    func webhookBody(flow: String, step: String, _ conversation: Conversation, _ variables: [String: String]) -> String {
        var customer: [String: Any] = ["id": conversation.customer, "channel": conversation.identity.channel]
        customer["name"] = conversation.name ?? NSNull()
        let object: [String: Any] = ["flow": flow, "step": step, "customer": customer, "variables": variables]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation
import IntentCore

extension ChannelRuntime {
    /// How many customers' messages are decided at once (one customer's strictly in order).
    static let customersInParallel = 8

    /// Decides received messages: each customer's in arrival order, customers in parallel.
    /// While the store fails, the loop backs off (2 s, doubling to a minute) instead of retrying at once.
    func processInbox() async {
        let store = self.store
        var failures = 0
        while !Task.isCancelled {
            if failures > 0 {
                await inboxWakeup.wait(timeout: Self.storeBackoff.duration(attempt: failures))
            }
            if storeHealth.refusesWork {
                failures += 1
                continue
            }
            let pending: [InboundMessage]
            do {
                pending = try await store.unprocessed(limit: 256)
            } catch {
                storeHealth.failed("reading the inbox", error: error)
                failures += 1
                continue
            }
            if pending.isEmpty {
                failures = 0
                await inboxWakeup.wait(timeout: .seconds(5))
                continue
            }
            // Answers kept for messages that have left the inbox (another replica decided them) go.
            let waiting = Set(pending.map(\.id))
            decided.withLock { kept in kept = kept.filter { waiting.contains($0.key) } }
            var order: [String] = []
            var byCustomer: [String: [InboundMessage]] = [:]
            for message in pending {
                if byCustomer[message.customer] == nil { order.append(message.customer) }
                byCustomer[message.customer, default: []].append(message)
            }
            var failed = false
            var progressed = false
            await withTaskGroup(of: Handled.self) { group in
                var running = 0
                func collect(_ handled: Handled?) {
                    if handled?.ok == false { failed = true }
                    if handled?.progressed == true { progressed = true }
                }
                for customer in order {
                    if running == Self.customersInParallel {
                        collect(await group.next())
                        running -= 1
                    }
                    let messages = byCustomer[customer] ?? []
                    group.addTask { await self.handle(messages) }
                    running += 1
                }
                for await handled in group { collect(handled) }
            }
            outboxWakeup.signal()
            failures = failed ? failures + 1 : 0
            if !failed, !progressed {
                // Every message waits for an earlier one another replica is deciding: not a busy loop.
                await inboxWakeup.wait(timeout: .milliseconds(100))
            }
        }
    }

    struct Handled: Sendable {
        /// False when the store failed (the messages are tried again).
        var ok: Bool
        /// Some message was processed here.
        var progressed: Bool
    }

    /// One customer's messages, in order.
    private func handle(_ messages: [InboundMessage]) async -> Handled {
        var progressed = false
        for message in messages {
            let answer = await answer(to: message)
            let now = clock()
            let policy = self.policy
            let flows = flowRunner
            // What a flow collected (a phone number, an e-mail address): evidence for a merge, once stored.
            let collected = Locked<Conversation?>(nil)
            do {
                let processed = try await process(message, at: now) { conversation in
                    let plan = policy.plan(message, answer: answer, conversation: conversation, now: now, flows: flows)
                    collected.withLock { $0 = plan.conversation }
                    return plan
                }
                storeHealth.succeeded()
                // Not processed: done elsewhere, or waiting for the customer's earlier message
                // (another replica's); its answer is kept for then, and the later ones wait too.
                guard processed else { return Handled(ok: true, progressed: progressed) }
                progressed = true
                decided.withLock { $0[message.id] = nil }
                publishQueued(customer: message.customer, items: nil, at: now)
                if let contact = collected.current, !contact.collected.isEmpty { await mergeOnEvidence(contact.customer) }
            } catch {
                storeHealth.failed("storing the replies to a message", error: error)
                return Handled(ok: false, progressed: progressed)
            }
        }
        return Handled(ok: true, progressed: progressed)
    }

    /// The matcher's answer to a message, decided once: a retry after a store failure reuses it.
    private func answer(to message: InboundMessage) async -> BotAnswer? {
        if let earlier = decided.withLock({ $0[message.id] }) { return earlier }
        var answer: BotAnswer?
        if let text = message.text, !ConversationPolicy.unansweredTypes.contains(message.type) {
            let store = self.store
            let conversation = (try? await store.conversation(customer: message.customer)) ?? nil
            if conversation?.mutedUntil.map({ $0 > clock().addingTimeInterval(5) }) == true {
                // A conversation a person has is not worth a (possibly paid) decision.
                answer = .unanswered
            } else if SatisfactionSurvey.score(message.choice) != nil {
                answer = .unanswered
            } else if conversation?.flowRun == nil, let entry = ChoicePrompt.pick(message.choice) {
                var question: String?
                if let offer = message.replyTo { question = (try? await store.offeredQuestion(choiceMessage: offer)) ?? nil }
                answer = await pick(entry, message.text, question)
            } else {
                answer = await decide(
                    text, message.customer, flowTakes(message, conversation), ContactLanguage.known(for: message, contact: conversation))
            }
        }
        decided.withLock { $0[message.id] = .some(answer) }
        return answer
    }

    /// Whether a flow will take the message (a keyword trigger, or a run waiting for the
    /// customer's answer), so that only the hand-over rules need checking. Read before the
    /// message's transaction: should the run move on meanwhile (its webhook answered), the
    /// message gets the rules' answer or the fallback, not the matcher's.
    private func flowTakes(_ message: InboundMessage, _ conversation: Conversation?) -> Bool {
        let runner = flowRunner
        guard !runner.isEmpty, let text = message.text else { return false }
        guard let run = conversation?.flowRun else { return runner.keywordFlow(for: text) != nil }
        if runner.isStop(text) || runner.keywordFlow(for: text)?.interrupts == true { return true }
        switch runner.engine.flows[run.flow]?.steps[run.step]?.kind {
        case .ask?, .choice?: return true
        default: return false
        }
    }
}

import Foundation
import IntentCore

extension WhatsAppChannel {
    /// How many customers' messages are decided at once (one customer's strictly in order).
    static let customersInParallel = 8

    /// Decides received messages: each customer's in arrival order, customers in parallel.
    func processInbox() async {
        let store = self.store
        while !Task.isCancelled {
            let pending: [InboundMessage]
            do {
                pending = try await BlockingIO.run { try store.unprocessed(limit: 256) }
            } catch {
                logger.error("whatsapp: cannot read the inbox", metadata: ["error": "\(error)"])
                await inboxWakeup.wait(timeout: .seconds(2))
                continue
            }
            if pending.isEmpty {
                await inboxWakeup.wait(timeout: .seconds(5))
                continue
            }
            var order: [String] = []
            var byCustomer: [String: [InboundMessage]] = [:]
            for message in pending {
                if byCustomer[message.customer] == nil { order.append(message.customer) }
                byCustomer[message.customer, default: []].append(message)
            }
            var failed = false
            await withTaskGroup(of: Bool.self) { group in
                var running = 0
                for customer in order {
                    if running == Self.customersInParallel {
                        failed = await group.next() == false || failed
                        running -= 1
                    }
                    let messages = byCustomer[customer] ?? []
                    group.addTask { await self.handle(messages) }
                    running += 1
                }
                for await ok in group where !ok { failed = true }
            }
            outboxWakeup.signal()
            if failed { await inboxWakeup.wait(timeout: .seconds(2)) }
        }
    }

    /// One customer's messages, in order; false when the store failed (they are tried again).
    private func handle(_ messages: [InboundMessage]) async -> Bool {
        let store = self.store
        for message in messages {
            var answer: BotAnswer?
            if let text = message.text, !ConversationPolicy.silentTypes.contains(message.type) {
                // A conversation a person has is not worth a (possibly paid) decision.
                let muted = (try? await BlockingIO.run { try store.conversation(customer: message.customer) })??.mutedUntil
                answer = muted.map { $0 > clock().addingTimeInterval(5) } == true ? .unanswered : await decide(text, message.customer)
            }
            let now = clock()
            let policy = self.policy
            let decided = answer
            do {
                _ = try await BlockingIO.run {
                    try store.process(message, at: now) { conversation in
                        policy.plan(message, answer: decided, conversation: conversation, now: now)
                    }
                }
            } catch {
                logger.error("whatsapp: cannot store the replies to a message; will retry", metadata: ["error": "\(error)"])
                return false
            }
        }
        return true
    }
}

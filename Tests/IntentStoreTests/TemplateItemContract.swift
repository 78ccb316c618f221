import Foundation
import IntentChannels
import Testing

/// A person's template message in any `ConversationStore`: queued like a reply (whatever the
/// customer's window), read back for the channel as it was queued, counted as a message sent,
/// and shown in the timeline as the text the customer read.
enum TemplateItemContract {
    static func check(_ store: any ConversationStore) async throws {
        let t0 = ConversationStoreContract.t0
        let message = ConversationStoreContract.message("tp1", customer: "tpl")
        _ = try await store.receive([message], statuses: [], at: t0)
        #expect(
            try await store.process(message, at: t0) { _ in
                ConversationPlan(
                    conversation: Conversation(customer: "tpl", name: "Ana", firstInboundAt: t0, lastInboundAt: t0), replies: [], triggers: [])
            })
        let before = try await store.statistics()
        let later = t0.addingTimeInterval(25 * 3_600)
        let filled = TemplateMessage(
            name: "order_update", language: "en_US", parameters: ["Ana", "A1001"], text: "Hi Ana, your order A1001 has shipped.")
        let bare = TemplateMessage(name: "hello_world", language: "en_US")
        for (draft, at) in [(filled, later), (bare, later.addingTimeInterval(1))] {
            let queued = try await store.advance(customer: "tpl", at: at, finishing: nil) { conversation in
                ConversationPlan(conversation: conversation, replies: [draft.draft(origin: .agent("Lena"))], triggers: [])
            }
            #expect(queued?.count == 1)
        }
        #expect(try await store.statistics().pending == before.pending + 2, "waiting to be sent, the customer will see them")

        let due = try #require(try await store.dueOutbox(now: later, limit: 10).first { $0.customer == "tpl" })
        #expect(due.draft == filled.draft(origin: .agent("Lena")), "read back as queued")
        #expect(TemplateMessage(json: due.draft.body) == filled)
        try await store.markSent(due.id, channelMessageID: "wamid.TPL1", at: later)
        #expect(try await store.statistics().sent == before.sent + 1, "a template is a message sent")

        let timeline = try await store.timeline(customer: "tpl", before: nil, limit: 10)
        let outbound = timeline.filter { $0.direction == .outbound }
        #expect(outbound.map(\.type) == ["template", "template"])
        #expect(outbound.map(\.text) == ["template hello_world", "Hi Ana, your order A1001 has shipped."])
        #expect(outbound.map(\.status) == ["queued", "sent"])
        #expect(outbound.allSatisfy { $0.kind == "agent" && $0.agent == "Lena" })
    }
}

import Foundation
import IntentChannels
import Testing

/// The inbox's part of the `ConversationStore` contract: the bookkeeping every stored plan
/// gets, the list's filters, search and cursor, and notes.
extension ConversationStoreContract {
    static func listsTheInbox(_ store: any ConversationStore) async throws {
        // Six customers, one message each, decided a second apart; "k" twice.
        let customers = ["k", "h", "a", "r", "p", "q"]
        for (index, customer) in customers.enumerated() {
            let m = message("i-\(customer)", customer: customer, text: "question of \(customer)", at: Double(index))
            _ = try await store.receive([m], statuses: [], at: t0.addingTimeInterval(Double(index)))
            #expect(try await store.process(m, at: t0.addingTimeInterval(Double(index)), plan: plan(m, replies: ["answer to \(customer)"])))
        }
        let again = message("i-k2", customer: "k", text: "one more, 100% sure", at: 10)
        _ = try await store.receive([again], statuses: [], at: t0.addingTimeInterval(10))
        #expect(try await store.process(again, at: t0.addingTimeInterval(10), plan: plan(again, replies: [])))
        let k = try #require(try await store.conversation(customer: "k"))
        #expect(k.unread == 2)
        #expect(k.lastMessage == "one more, 100% sure")
        #expect(k.lastActivityAt == t0.addingTimeInterval(10))
        #expect(try await store.conversation(customer: "h")?.lastMessage == "answer to h")

        let now = t0.addingTimeInterval(20)
        func change(_ customer: String, _ body: @escaping @Sendable (inout Conversation) -> Void) async throws {
            let queued = try await store.advance(customer: customer, at: now, finishing: nil) { conversation in
                var conversation = conversation
                body(&conversation)
                return ConversationPlan(conversation: conversation, replies: [], triggers: [])
            }
            #expect(queued == [])
        }
        let muted = now.addingTimeInterval(3_600)
        try await change("h") {
            $0.handOver(until: muted, now: now)
            $0.name = "Ana"
        }
        try await change("a") {
            $0.assign(to: "Lena", until: muted)
            $0.name = "Juliana"
        }
        try await change("r") { $0.resolve() }
        try await change("p") { $0.tags = ["vip", "wholesale"] }
        try await change("k") { $0.unread = 0 }
        #expect(try await store.conversation(customer: "k")?.unread == 0)
        // A change that queues nothing leaves the list's order alone.
        #expect(try await store.conversation(customer: "k")?.lastActivityAt == t0.addingTimeInterval(10))

        func ids(_ status: ConversationQuery.Status, text: String? = nil, agent: String? = nil, at time: Date = now) async throws -> [String] {
            try await store.conversations(ConversationQuery(status: status, agent: agent, text: text, limit: 50, now: time)).map(\.customer)
        }
        #expect(try await ids(.all) == ["k", "q", "p", "r", "a", "h"])
        #expect(try await ids(.waiting) == ["h"])
        #expect(try await ids(.assigned) == ["a"])
        #expect(try await ids(.mine, agent: "Lena") == ["a"])
        #expect(try await ids(.mine, agent: "Omar") == [])
        #expect(try await ids(.resolved) == ["r"])
        #expect(try await ids(.bot) == ["k", "q", "p"])
        // Once the mute has run out with no reply, a hand-over is the bot's again.
        let later = muted.addingTimeInterval(1)
        #expect(try await ids(.waiting, at: later) == [])
        #expect(try await ids(.bot, at: later) == ["k", "q", "p", "a", "h"])
        // Search: the customer, the name (any case), tags, the last message; wildcards are literal.
        #expect(try await ids(.all, text: "ANA") == ["a", "h"])
        #expect(try await ids(.all, text: "wholesale") == ["p"])
        #expect(try await ids(.all, text: "100%") == ["k"])
        #expect(try await ids(.all, text: "%") == ["k"])
        #expect(try await ids(.all, text: "_") == [])
        #expect(try await ids(.waiting, text: "answer to h") == ["h"])

        // Pages of two, through the cursor, with a tie in activity time.
        try await change("q") { $0.lastActivityAt = t0.addingTimeInterval(10) }
        var seen: [String] = []
        var cursor: ConversationQuery.Cursor?
        repeat {
            let page = try await store.conversations(ConversationQuery(after: cursor, limit: 2, now: now))
            seen += page.map(\.customer)
            cursor = page.count == 2 ? ConversationQuery.Cursor(token: ConversationQuery.Cursor(after: page[1]).token) : nil
        } while cursor != nil
        #expect(seen == ["q", "k", "p", "r", "a", "h"])

        // Notes: in the timeline, newest first, never in the outbox; gone with the customer.
        let note = try #require(try await store.addNote(customer: "h", agent: "Lena", text: "asked for a refund", at: now))
        #expect(note.agent == "Lena")
        #expect(try await store.addNote(customer: "nobody", agent: "Lena", text: "x", at: now) == nil)
        let timeline = try await store.timeline(customer: "h", before: nil, limit: 10)
        #expect(timeline.first?.kind == "note")
        #expect(timeline.first?.text == "asked for a refund")
        #expect(timeline.first?.agent == "Lena")
        #expect(timeline.map(\.kind).contains("customer"))
        _ = try await store.purge(customer: "h")
        #expect(try await store.timeline(customer: "h", before: nil, limit: 10).isEmpty)
        #expect(try await ids(.all) == ["q", "k", "p", "r", "a"])
    }
}

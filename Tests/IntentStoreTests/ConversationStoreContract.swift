import Foundation
import IntentChannels
import Testing

/// What every `ConversationStore` must do, whatever the database: run against SQLite here, and
/// against any other implementation by calling `ConversationStoreContract.check(_:)`.
enum ConversationStoreContract {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func message(_ id: String, customer: String = "c1", text: String? = "hi", at offset: TimeInterval = 0) -> InboundMessage {
        InboundMessage(id: id, customer: customer, customerName: "Ana", phoneNumberID: "106", type: text == nil ? "image" : "text", text: text, sentAt: t0.addingTimeInterval(offset))
    }

    /// A plan that answers with `replies` texts and counts `triggers`.
    static func plan(_ message: InboundMessage, replies: [String], triggers: [Trigger] = []) -> (Conversation?) -> ConversationPlan {
        { existing in
            var conversation = existing ?? Conversation(customer: message.customer, firstInboundAt: message.sentAt, lastInboundAt: message.sentAt)
            conversation.lastInboundAt = message.sentAt
            return ConversationPlan(conversation: conversation, replies: [.read(message.id)] + replies.map { .text($0, quoting: message.id) }, triggers: triggers)
        }
    }

    static func check(_ makeStore: () throws -> any ConversationStore) throws {
        try deduplicatesDurablyAndUnderConcurrency(makeStore())
        try processesEachMessageOnce(makeStore())
        try sendsEachCustomersRepliesInOrder(makeStore())
        try recordsStatusesAndCounts(makeStore())
        try purgesACustomerAndOldData(makeStore())
    }

    static func deduplicatesDurablyAndUnderConcurrency(_ store: any ConversationStore) throws {
        let fresh = try store.receive([message("m1"), message("m1"), message("m2")], statuses: [], at: t0)
        #expect(fresh.map(\.id) == ["m1", "m2"])
        // Many deliveries of one message at once, from many threads: stored once.
        let counts = Locked_([Int]())
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let n = (try? store.receive([message("m3")], statuses: [], at: t0).count) ?? -1
            counts.append(n)
        }
        #expect(counts.values.sorted() == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(try store.unprocessed(limit: 10).map(\.id) == ["m1", "m2", "m3"])
        let figures = try store.statistics()
        #expect(figures.received == 3)
        #expect(figures.duplicates == 16)
    }

    static func processesEachMessageOnce(_ store: any ConversationStore) throws {
        let m = message("p1")
        _ = try store.receive([m], statuses: [], at: t0)
        #expect(try store.process(m, at: t0, plan: plan(m, replies: ["hello"], triggers: [.greeting])))
        #expect(try store.process(m, at: t0, plan: plan(m, replies: ["again"])) == false)
        #expect(try store.unprocessed(limit: 10).isEmpty)
        let due = try store.dueOutbox(now: t0, limit: 10)
        #expect(due.count == 1)  // the read receipt first; "hello" waits behind it
        #expect(due.first?.draft == .read("p1"))
        #expect(try store.conversation(customer: "c1")?.firstInboundAt == t0)
        // A message the store never received is not processed.
        #expect(try store.process(message("ghost"), at: t0, plan: plan(message("ghost"), replies: ["x"])) == false)
    }

    static func sendsEachCustomersRepliesInOrder(_ store: any ConversationStore) throws {
        let a = message("o1", customer: "a")
        let b = message("o2", customer: "b")
        _ = try store.receive([a, b], statuses: [], at: t0)
        _ = try store.process(a, at: t0, plan: plan(a, replies: ["a1", "a2"]))
        _ = try store.process(b, at: t0, plan: plan(b, replies: ["b1"]))
        // One head per customer.
        var heads = try store.dueOutbox(now: t0, limit: 10)
        #expect(heads.map(\.customer) == ["a", "b"])
        for head in heads { try store.markSent(head.id, channelMessageID: nil, at: t0) }
        heads = try store.dueOutbox(now: t0, limit: 10)
        #expect(heads.map(\.draft.body) == ["a1", "b1"])
        // A retry scheduled later blocks the customer's next item until then.
        let a1 = heads[0]
        try store.retryLater(a1.id, at: t0.addingTimeInterval(10), error: "HTTP 500")
        try store.markSent(heads[1].id, channelMessageID: "wamid.b1", at: t0)
        #expect(try store.dueOutbox(now: t0.addingTimeInterval(5), limit: 10).isEmpty)
        #expect(try store.nextOutboxDue() == t0.addingTimeInterval(10))
        let retried = try store.dueOutbox(now: t0.addingTimeInterval(10), limit: 10)
        #expect(retried.map(\.draft.body) == ["a1"])
        #expect(retried.first?.attempts == 1)
        // Giving up on an item lets the next one go.
        try store.markFailed(a1.id, at: t0, error: "HTTP 400 code 131047")
        #expect(try store.dueOutbox(now: t0.addingTimeInterval(10), limit: 10).map(\.draft.body) == ["a2"])
        let figures = try store.statistics()
        #expect(figures.sent == 1)  // b1 (read receipts are not counted as messages)
        #expect(figures.failed == 1)
        #expect(figures.pending == 1)
    }

    static func recordsStatusesAndCounts(_ store: any ConversationStore) throws {
        let m = message("s1", customer: "s")
        _ = try store.receive([m], statuses: [], at: t0)
        _ = try store.process(m, at: t0, plan: plan(m, replies: ["answer"], triggers: [.entry("refund"), .fallback]))
        let m2 = message("s2", customer: "s2")
        _ = try store.receive([m2], statuses: [], at: t0)
        _ = try store.process(m2, at: t0, plan: plan(m2, replies: ["answer"], triggers: [.entry("refund")]))
        let figures = try store.statistics()
        #expect(figures.triggers["faq:refund"] == ChannelStatistics.Usage(count: 2, customers: 2))
        #expect(figures.triggers["automation:fallback"] == ChannelStatistics.Usage(count: 1, customers: 1))
        #expect(figures.conversations == 2)
        // A status for an unknown message is recorded without harm; a repeated one once.
        let status = DeliveryStatus(messageID: "wamid.x", status: "delivered", recipient: "s", at: t0)
        _ = try store.receive([], statuses: [status, status], at: t0)
        #expect(try store.unmute(customer: "s"))
        #expect(try store.unmute(customer: "nobody") == false)
        #expect(try store.recentConversations(limit: 1).count == 1)
    }

    static func purgesACustomerAndOldData(_ store: any ConversationStore) throws {
        let old = message("x1", customer: "old", at: 0)
        let new = message("x2", customer: "new", at: 100 * 86_400)
        _ = try store.receive([old], statuses: [], at: t0)
        _ = try store.receive([new], statuses: [], at: t0.addingTimeInterval(100 * 86_400))
        _ = try store.process(old, at: t0, plan: plan(old, replies: ["r"], triggers: [.greeting]))
        _ = try store.process(new, at: t0.addingTimeInterval(100 * 86_400), plan: plan(new, replies: ["r"], triggers: [.greeting]))
        for item in try store.dueOutbox(now: t0.addingTimeInterval(100 * 86_400), limit: 10) {
            try store.markSent(item.id, channelMessageID: nil, at: t0)
        }
        #expect(try store.purge(before: t0.addingTimeInterval(50 * 86_400)) > 0)
        #expect(try store.conversation(customer: "old") == nil)
        #expect(try store.conversation(customer: "new") != nil)
        #expect(try store.statistics().triggers["automation:greeting"] == ChannelStatistics.Usage(count: 2, customers: 1))
        #expect(try store.purge(customer: "new") > 0)
        #expect(try store.conversation(customer: "new") == nil)
        #expect(try store.dueOutbox(now: .distantFuture, limit: 10).allSatisfy { $0.customer != "new" })
        #expect(try store.purge(customer: "new") == 0)
    }
}

/// A tiny thread-safe array for the concurrency checks.
final class Locked_<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Value]
    init(_ items: [Value]) { self.items = items }
    func append(_ item: Value) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }
    var values: [Value] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

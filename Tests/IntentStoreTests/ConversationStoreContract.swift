import Foundation
import IntentChannels
import IntentCore
import Testing

/// What every `ConversationStore` must do, whatever the database: run against SQLite here, and
/// against any other implementation by calling `ConversationStoreContract.check(_:)`.
enum ConversationStoreContract {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func message(_ id: String, customer: String = "c1", text: String? = "hi", at offset: TimeInterval = 0) -> InboundMessage {
        InboundMessage(
            id: id, customer: customer, customerName: "Ana", phoneNumberID: "106", type: text == nil ? "image" : "text", text: text,
            sentAt: t0.addingTimeInterval(offset))
    }

    /// A plan that answers with `replies` texts and counts `triggers`.
    static func plan(_ message: InboundMessage, replies: [String], triggers: [Trigger] = []) -> @Sendable (Conversation?) -> ConversationPlan {
        { existing in
            var conversation = existing ?? Conversation(customer: message.customer, firstInboundAt: message.sentAt, lastInboundAt: message.sentAt)
            conversation.lastInboundAt = message.sentAt
            return ConversationPlan(
                conversation: conversation, replies: [.read(message.id)] + replies.map { .text($0, quoting: message.id) }, triggers: triggers)
        }
    }

    static func check(_ makeStore: () async throws -> any ConversationStore) async throws {
        try await deduplicatesDurablyAndUnderConcurrency(makeStore())
        try await processesEachMessageOnce(makeStore())
        try await sendsEachCustomersRepliesInOrder(makeStore())
        try await recordsStatusesAndCounts(makeStore())
        try await purgesACustomerAndOldData(makeStore())
        try await keepsFlowRunsAndAdvancesThemOnce(makeStore())
        try await listsTheInbox(makeStore())
        try await answersEachCustomerOnTheirChannel(makeStore())
        try await keepsAnswerBasesAndCaptions(makeStore())
        try await mergesAndUnmergesContacts(makeStore())
        try await findsContactsSharingEvidence(makeStore())
        try await joinsANewWhatsAppNumberToTheContactThatGaveIt(makeStore())
        try await decidesUnderTheContactOfNowAndUnmergesChainsInOrder(makeStore())
    }

    static func deduplicatesDurablyAndUnderConcurrency(_ store: any ConversationStore) async throws {
        let fresh = try await store.receive([message("m1"), message("m1"), message("m2")], statuses: [], at: t0)
        #expect(fresh.map(\.id) == ["m1", "m2"])
        // Many deliveries of one message at once: stored once.
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<16 { group.addTask { (try? await store.receive([message("m3")], statuses: [], at: t0).count) ?? -1 } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts.sorted() == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(try await store.unprocessed(limit: 10).map(\.id) == ["m1", "m2", "m3"])
        let figures = try await store.statistics()
        #expect(figures.received == 3)
        #expect(figures.duplicates == 16)
    }

    static func processesEachMessageOnce(_ store: any ConversationStore) async throws {
        let m = message("p1")
        _ = try await store.receive([m], statuses: [], at: t0)
        #expect(try await store.process(m, at: t0, plan: plan(m, replies: ["hello"], triggers: [.greeting])))
        #expect(try await store.process(m, at: t0, plan: plan(m, replies: ["again"])) == false)
        #expect(try await store.unprocessed(limit: 10).isEmpty)
        let due = try await store.dueOutbox(now: t0, limit: 10)
        #expect(due.count == 1)  // the read receipt first; "hello" waits behind it
        #expect(due.first?.draft == .read("p1"))
        #expect(try await store.conversation(customer: "c1")?.firstInboundAt == t0)
        // A customer's later message waits for the earlier one (another replica may be deciding it).
        let first = message("p2", at: 1)
        let second = message("p3", at: 2)
        _ = try await store.receive([first], statuses: [], at: t0)
        _ = try await store.receive([second], statuses: [], at: t0.addingTimeInterval(1))
        #expect(try await store.process(second, at: t0, plan: plan(second, replies: ["second"])) == false)
        #expect(try await store.unprocessed(limit: 10).map(\.id) == ["p2", "p3"])
        #expect(try await store.process(first, at: t0, plan: plan(first, replies: ["first"])))
        #expect(try await store.process(second, at: t0, plan: plan(second, replies: ["second"])))
        // A message the store never received is not processed.
        #expect(try await store.process(message("ghost"), at: t0, plan: plan(message("ghost"), replies: ["x"])) == false)
    }

    static func sendsEachCustomersRepliesInOrder(_ store: any ConversationStore) async throws {
        let a = message("o1", customer: "a")
        let b = message("o2", customer: "b")
        _ = try await store.receive([a, b], statuses: [], at: t0)
        _ = try await store.process(a, at: t0, plan: plan(a, replies: ["a1", "a2"]))
        _ = try await store.process(b, at: t0, plan: plan(b, replies: ["b1"]))
        // One head per customer.
        var heads = try await store.dueOutbox(now: t0, limit: 10)
        #expect(heads.map(\.customer) == ["a", "b"])
        for head in heads { try await store.markSent(head.id, channelMessageID: nil, at: t0) }
        heads = try await store.dueOutbox(now: t0, limit: 10)
        #expect(heads.map(\.draft.body) == ["a1", "b1"])
        // A retry scheduled later blocks the customer's next item until then.
        let a1 = heads[0]
        try await store.retryLater(a1.id, at: t0.addingTimeInterval(10), error: "HTTP 500")
        try await store.markSent(heads[1].id, channelMessageID: "wamid.b1", at: t0)
        #expect(try await store.dueOutbox(now: t0.addingTimeInterval(5), limit: 10).isEmpty)
        #expect(try await store.nextOutboxDue() == t0.addingTimeInterval(10))
        let retried = try await store.dueOutbox(now: t0.addingTimeInterval(10), limit: 10)
        #expect(retried.map(\.draft.body) == ["a1"])
        #expect(retried.first?.attempts == 1)
        // Giving up on an item lets the next one go.
        try await store.markFailed(a1.id, at: t0, error: "HTTP 400 code 131047")
        #expect(try await store.dueOutbox(now: t0.addingTimeInterval(10), limit: 10).map(\.draft.body) == ["a2"])
        let figures = try await store.statistics()
        #expect(figures.sent == 1)  // b1 (read receipts are not counted as messages)
        #expect(figures.failed == 1)
        #expect(figures.pending == 1)
    }

    static func recordsStatusesAndCounts(_ store: any ConversationStore) async throws {
        let m = message("s1", customer: "s")
        _ = try await store.receive([m], statuses: [], at: t0)
        _ = try await store.process(m, at: t0, plan: plan(m, replies: ["answer"], triggers: [.entry("refund"), .fallback]))
        let m2 = message("s2", customer: "s2")
        _ = try await store.receive([m2], statuses: [], at: t0)
        _ = try await store.process(m2, at: t0, plan: plan(m2, replies: ["answer"], triggers: [.entry("refund")]))
        let figures = try await store.statistics()
        #expect(figures.triggers["faq:refund"] == ChannelStatistics.Usage(count: 2, customers: 2))
        #expect(figures.triggers["automation:fallback"] == ChannelStatistics.Usage(count: 1, customers: 1))
        #expect(figures.conversations == 2)
        // A status for an unknown message is recorded without harm; a repeated one once.
        let status = DeliveryStatus(messageID: "wamid.x", status: "delivered", recipient: "s", at: t0)
        _ = try await store.receive([], statuses: [status, status], at: t0)
        #expect(try await store.unmute(customer: "s"))
        #expect(try await store.unmute(customer: "nobody") == false)
        #expect(try await store.conversations(ConversationQuery(limit: 1, now: t0)).count == 1)
    }

    static func purgesACustomerAndOldData(_ store: any ConversationStore) async throws {
        let old = message("x1", customer: "old", at: 0)
        let new = message("x2", customer: "new", at: 100 * 86_400)
        _ = try await store.receive([old], statuses: [], at: t0)
        _ = try await store.receive([new], statuses: [], at: t0.addingTimeInterval(100 * 86_400))
        _ = try await store.process(old, at: t0, plan: plan(old, replies: ["r"], triggers: [.greeting]))
        _ = try await store.process(new, at: t0.addingTimeInterval(100 * 86_400), plan: plan(new, replies: ["r"], triggers: [.greeting]))
        for item in try await store.dueOutbox(now: t0.addingTimeInterval(100 * 86_400), limit: 10) {
            try await store.markSent(item.id, channelMessageID: nil, at: t0)
        }
        #expect(try await store.purge(before: t0.addingTimeInterval(50 * 86_400)) > 0)
        #expect(try await store.conversation(customer: "old") == nil)
        #expect(try await store.conversation(customer: "new") != nil)
        #expect(try await store.statistics().triggers["automation:greeting"] == ChannelStatistics.Usage(count: 2, customers: 1))
        #expect(try await store.purge(customer: "new") > 0)
        #expect(try await store.conversation(customer: "new") == nil)
        #expect(try await store.dueOutbox(now: .distantFuture, limit: 10).allSatisfy { $0.customer != "new" })
        #expect(try await store.purge(customer: "new") == 0)
    }

    /// A run, the contact's tags and attributes, a choice and interactive options survive the
    /// store; `advance` applies a plan once per finished item, and due runs are found by time.
    static func keepsFlowRunsAndAdvancesThemOnce(_ store: any ConversationStore) async throws {
        var m = message("f1", customer: "flow")
        m.choice = "bags"
        _ = try await store.receive([m], statuses: [], at: t0)
        #expect(try await store.unprocessed(limit: 10).first?.choice == "bags")
        let run = FlowRun(flow: "wholesale", step: "crm", variables: ["name": "Ana", "qty": "120"], since: t0, engaged: true)
        let options = [Flow.Option(id: "bags", title: "Bags"), Flow.Option(id: "shoes", title: "Shoes 鞋")]
        _ = try await store.process(m, at: t0) { _ in
            var conversation = Conversation(
                customer: "flow", firstInboundAt: t0, lastInboundAt: t0, phoneNumberID: "106", tags: ["lead", "vip"],
                attributes: ["company": "Acme"], flowRun: run, flowDueAt: t0.addingTimeInterval(600))
            conversation.name = "Ana"
            return ConversationPlan(
                conversation: conversation,
                replies: [
                    .choice(.buttons, "Which products?", options: options),
                    OutboundDraft(kind: .webhook, body: #"{"flow":"wholesale","step":"crm"}"#, context: "http://127.0.0.1:9/leads"),
                ],
                triggers: [.flow("wholesale", "triggered")])
        }
        let stored = try await store.conversation(customer: "flow")
        #expect(stored?.flowRun == run)
        #expect(stored?.tags == ["lead", "vip"])
        #expect(stored?.attributes == ["company": "Acme"])
        #expect(stored?.phoneNumberID == "106")
        #expect(stored?.flowDueAt == t0.addingTimeInterval(600))
        let head = try #require(try await store.dueOutbox(now: t0, limit: 10).first { $0.customer == "flow" })
        #expect(head.draft.kind == .buttons)
        #expect(head.draft.options == options)
        try await store.markSent(head.id, channelMessageID: "wamid.buttons", at: t0)
        // A tap on those buttons replies to them: the question they were offered for.
        #expect(try await store.offeredQuestion(choiceMessage: "wamid.buttons") == "hi")
        #expect(try await store.offeredQuestion(choiceMessage: "wamid.unknown") == nil)
        let webhook = try #require(try await store.dueOutbox(now: t0.addingTimeInterval(1), limit: 10).first { $0.customer == "flow" })
        #expect(webhook.draft.kind == .webhook)
        #expect(webhook.draft.context == "http://127.0.0.1:9/leads")
        #expect(try await store.statistics().pending == 0)  // a webhook is not a message waiting for the customer

        // Due runs, by time.
        #expect(try await store.dueFlowRuns(now: t0.addingTimeInterval(599), limit: 10).isEmpty)
        #expect(try await store.dueFlowRuns(now: t0.addingTimeInterval(600), limit: 10) == ["flow"])

        // The webhook's answer advances the run once, however often it is reported.
        let advanced = Locked(0)
        let plan: @Sendable (Conversation) -> ConversationPlan? = { conversation in
            advanced.withLock { $0 += 1 }
            var next = conversation
            next.flowRun = nil
            next.flowDueAt = nil
            return ConversationPlan(conversation: next, replies: [.text("Thank you Ana!")], triggers: [.flow("wholesale", "completed")])
        }
        let results = await withTaskGroup(of: [Int64]?.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    (try? await store.advance(customer: "flow", at: t0.addingTimeInterval(2), finishing: FinishedItem(id: webhook.id), plan: plan))
                        ?? nil
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.compactMap { $0 }.count == 1)
        #expect(results.compactMap { $0 }.first?.count == 1, "the thanks, queued once")
        #expect(advanced.current == 1)
        #expect(try await store.conversation(customer: "flow")?.flowRun == nil)
        #expect(try await store.dueFlowRuns(now: t0.addingTimeInterval(10_000), limit: 10).isEmpty)
        let thanks = try #require(try await store.dueOutbox(now: t0.addingTimeInterval(3), limit: 10).first { $0.customer == "flow" })
        #expect(thanks.draft.body == "Thank you Ana!")
        #expect(thanks.phoneNumberID == "106")
        // The timeline: both ways, newest first; webhook calls are not messages.
        let timeline = try await store.timeline(customer: "flow", before: nil, limit: 10)
        #expect(timeline.map(\.kind) == ["bot", "bot", "customer"])
        #expect(timeline.map(\.type) == ["text", "buttons", "text"])
        #expect(timeline.map(\.status) == ["queued", "sent", nil])
        #expect(timeline[1].options == options)
        #expect(timeline[2].choice == "bags")
        #expect(try await store.timeline(customer: "flow", before: timeline[0].at, limit: 10).map(\.kind) == ["bot", "customer"])
        let figures = try await store.statistics()
        #expect(figures.triggers["flow:wholesale:triggered"]?.customers == 1)
        #expect(figures.triggers["flow:wholesale:completed"]?.count == 1)
        #expect(figures.sent == 1)  // the buttons; the webhook is not counted as a message

        // No conversation: nothing happens.
        #expect(try await store.advance(customer: "nobody", at: t0, finishing: nil, plan: plan) == nil)
    }
}

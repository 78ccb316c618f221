import Foundation
import IntentChannels
import IntentCore
import Testing

/// One contact across channels: identities map to contacts as messages arrive, a merge folds a
/// contact into another atomically (history, tags, attributes, flow run, distinct-customer
/// marks), and an unmerge restores it, with what arrived since through its identities.
extension ConversationStoreContract {
    static let whatsapp = ChannelIdentity(channel: ChannelIdentity.whatsapp, id: "8613800000000")
    static let telegram = ChannelIdentity(channel: "telegram", id: "4242")

    /// Stores and processes a message from `sender`, greeting it (counted per contact).
    static func arrive(
        _ store: any ConversationStore, _ id: String, from sender: ChannelIdentity, at offset: TimeInterval
    ) async throws
        -> InboundMessage
    {
        let fresh = try await store.receive([message(id, from: sender, at: offset)], statuses: [], at: t0.addingTimeInterval(offset))
        let received = try #require(fresh.first)
        #expect(try await store.process(received, at: t0.addingTimeInterval(offset), plan: plan(received, replies: ["hello"], triggers: [.greeting])))
        return received
    }

    static func change(_ store: any ConversationStore, _ customer: String, _ body: @escaping @Sendable (inout Conversation) -> Void) async throws {
        _ = try await store.advance(customer: customer, at: t0, finishing: nil) { conversation in
            var changed = conversation
            body(&changed)
            return ConversationPlan(conversation: changed, replies: [], triggers: [])
        }
    }

    static func mergesAndUnmergesContacts(_ store: any ConversationStore) async throws {
        let fromWhatsApp = try await arrive(store, "wamid.1", from: whatsapp, at: 0)
        let fromTelegram = try await arrive(store, "telegram:1", from: telegram, at: 60)
        #expect(fromWhatsApp.customer == "8613800000000" && fromTelegram.customer == "telegram:4242")
        #expect(try await store.identities(contact: "telegram:4242").map(\.identity) == [telegram])
        #expect(try await store.identities(contact: "telegram:4242").first?.lastSeenAt == t0.addingTimeInterval(60))
        #expect(try await store.identities(contact: "telegram:4242").first?.account == "bot")
        let run = FlowRun(flow: "order", step: "size", variables: ["item": "bag"], since: t0, engaged: true)
        try await change(store, "telegram:4242") {
            $0.tags = ["vip"]
            $0.attributes = ["city": "Paris", "email": "li@example.com"]
            $0.flowRun = run
            $0.flowDueAt = t0.addingTimeInterval(3_600)
        }
        try await change(store, "8613800000000") {
            $0.tags = ["new"]
            $0.attributes = ["city": "Beijing"]
        }
        _ = try await store.addNote(customer: "telegram:4242", agent: "wang", text: "asked about bags", at: t0.addingTimeInterval(70))

        // Refused, with the reason.
        await #expect(throws: ContactMergeError.sameContact("telegram:4242")) {
            try await store.merge(contact: "telegram:4242", into: "telegram:4242", at: t0)
        }
        await #expect(throws: ContactMergeError.unknownContact("nobody")) {
            try await store.merge(contact: "telegram:4242", into: "nobody", at: t0)
        }
        await #expect(throws: ContactMergeError.notMerged("telegram:4242")) { try await store.unmerge(contact: "telegram:4242", at: t0) }

        let merged = try await store.merge(contact: "telegram:4242", into: "8613800000000", at: t0.addingTimeInterval(120))
        #expect(merged.customer == "8613800000000")
        #expect(merged.tags == ["new", "vip"])
        #expect(merged.attributes == ["city": "Beijing", "email": "li@example.com"])  // the target's value wins
        #expect(merged.flowRun == run)  // the target ran none
        #expect(merged.firstInboundAt == t0 && merged.lastInboundAt == t0.addingTimeInterval(60))
        #expect(merged.identity == telegram)  // written from last
        #expect(merged.unread == 2)
        #expect(try await store.conversation(customer: "8613800000000") == merged)
        #expect(try await store.conversation(customer: "telegram:4242") == nil)
        #expect(try await store.identities(contact: "8613800000000").map(\.identity) == [telegram, whatsapp])
        #expect(try await store.dueFlowRuns(now: t0.addingTimeInterval(3_600), limit: 10) == ["8613800000000"])
        let timeline = try await store.timeline(customer: "8613800000000", before: nil, limit: 50)
        #expect(timeline.filter { $0.direction == .inbound }.map(\.channel) == ["telegram", "whatsapp"])
        #expect(timeline.contains { $0.kind == "note" })
        #expect(timeline.filter { $0.direction == .outbound && $0.kind == "bot" }.compactMap(\.channel).sorted() == ["telegram", "whatsapp"])
        // A merged contact counts once.
        var figures = try await store.statistics()
        #expect(figures.triggers["automation:greeting"] == ChannelStatistics.Usage(count: 2, customers: 1))
        #expect(figures.channels["telegram"]?.customers == 1 && figures.channels["whatsapp"]?.customers == 1)
        #expect(figures.conversations == 1)

        await #expect(throws: ContactMergeError.mergedAway("telegram:4242", into: "8613800000000")) {
            try await store.merge(contact: "telegram:4242", into: "8613800000000", at: t0)
        }
        await #expect(throws: ContactMergeError.mergedAway("telegram:4242", into: "8613800000000")) {
            try await store.merge(contact: "8613800000000", into: "telegram:4242", at: t0)
        }

        // A known identity is its contact's: a new Telegram message joins the merged conversation.
        let later = try await arrive(store, "telegram:2", from: telegram, at: 180)
        #expect(later.customer == "8613800000000")
        #expect(try await store.conversation(customer: "8613800000000")?.unread == 3)

        // Unmerge: everything the Telegram identity brought or sent since goes back.
        let (restored, target) = try await store.unmerge(contact: "telegram:4242", at: t0.addingTimeInterval(240))
        #expect(restored.customer == "telegram:4242")
        #expect(restored.tags == ["vip"] && restored.attributes == ["city": "Paris", "email": "li@example.com"])
        #expect(restored.flowRun == run)
        #expect(restored.identity == telegram && restored.lastInboundAt == t0.addingTimeInterval(180))
        #expect(restored.unread == 2)
        #expect(target.tags == ["new"] && target.attributes == ["city": "Beijing"] && target.flowRun == nil)
        #expect(target.identity == whatsapp && target.firstInboundAt == t0 && target.lastInboundAt == t0)
        #expect(target.unread == 1)
        #expect(try await store.conversation(customer: "telegram:4242") == restored)
        #expect(try await store.conversation(customer: "8613800000000") == target)
        let back = try await store.timeline(customer: "telegram:4242", before: nil, limit: 50)
        #expect(back.filter { $0.direction == .inbound }.map(\.id) == ["in:telegram:2", "in:telegram:1"])
        #expect(back.contains { $0.kind == "note" })
        #expect(back.filter { $0.direction == .outbound && $0.kind != "note" }.allSatisfy { $0.channel == "telegram" })
        let kept = try await store.timeline(customer: "8613800000000", before: nil, limit: 50)
        #expect(kept.filter { $0.direction == .inbound }.map(\.id) == ["in:wamid.1"])
        #expect(try await store.identities(contact: "telegram:4242").map(\.identity) == [telegram])
        #expect(try await store.identities(contact: "8613800000000").map(\.identity) == [whatsapp])
        figures = try await store.statistics()
        #expect(figures.triggers["automation:greeting"] == ChannelStatistics.Usage(count: 3, customers: 2))
        #expect(figures.conversations == 2)
        await #expect(throws: ContactMergeError.notMerged("telegram:4242")) { try await store.unmerge(contact: "telegram:4242", at: t0) }
        // A new message from Telegram is the Telegram contact's again.
        let again = try await store.receive([message("telegram:3", from: telegram, at: 300)], statuses: [], at: t0.addingTimeInterval(300))
        #expect(again.first?.customer == "telegram:4242")
    }

    /// A message read before a merge (waiting to be decided) is decided under the contact it
    /// belongs to now; merges chain, and are undone from the last.
    static func decidesUnderTheContactOfNowAndUnmergesChainsInOrder(_ store: any ConversationStore) async throws {
        let messenger = ChannelIdentity(channel: "messenger", id: "77")
        _ = try await arrive(store, "wamid.1", from: whatsapp, at: 0)
        _ = try await arrive(store, "telegram:1", from: telegram, at: 60)
        _ = try await arrive(store, "messenger:1", from: messenger, at: 90)
        _ = try await store.receive([message("telegram:2", from: telegram, at: 120)], statuses: [], at: t0.addingTimeInterval(120))
        let stale = try #require(try await store.unprocessed(limit: 10).first)
        #expect(stale.customer == "telegram:4242")
        _ = try await store.merge(contact: "telegram:4242", into: "messenger:77", at: t0.addingTimeInterval(130))
        #expect(try await store.unprocessed(limit: 10).first?.customer == "messenger:77")
        let decided = Locked<String?>(nil)
        #expect(
            try await store.process(stale, at: t0.addingTimeInterval(140)) { conversation in
                decided.withLock { $0 = conversation?.customer }
                return plan(stale, replies: ["answered"])(conversation)
            })
        #expect(decided.current == "messenger:77")
        #expect(try await store.conversation(customer: "telegram:4242") == nil)
        let timeline = try await store.timeline(customer: "messenger:77", before: nil, limit: 50)
        #expect(timeline.first { $0.text == "answered" }?.channel == "telegram")  // back where it came from

        // Telegram into Messenger, Messenger into WhatsApp: undone from the last.
        _ = try await store.merge(contact: "messenger:77", into: "8613800000000", at: t0.addingTimeInterval(150))
        await #expect(throws: ContactMergeError.targetMergedAway("telegram:4242", target: "messenger:77", into: "8613800000000")) {
            try await store.unmerge(contact: "telegram:4242", at: t0.addingTimeInterval(160))
        }
        _ = try await store.unmerge(contact: "messenger:77", at: t0.addingTimeInterval(170))
        let (restored, target) = try await store.unmerge(contact: "telegram:4242", at: t0.addingTimeInterval(180))
        #expect(restored.customer == "telegram:4242" && target.customer == "messenger:77")
        #expect(try await store.identities(contact: "8613800000000").map(\.identity) == [whatsapp])
        #expect(try await store.identities(contact: "messenger:77").map(\.identity) == [messenger])
        #expect(try await store.statistics().conversations == 3)
    }

    /// Evidence a flow collected names the contacts it matches, both ways: a phone number that is
    /// a WhatsApp id (and the WhatsApp contact names who gave its number), a phone number or an
    /// e-mail address another contact gave; never anything else.
    static func findsContactsSharingEvidence(_ store: any ConversationStore) async throws {
        let messenger = ChannelIdentity(channel: "messenger", id: "77")
        _ = try await arrive(store, "wamid.1", from: whatsapp, at: 0)
        _ = try await arrive(store, "telegram:1", from: telegram, at: 60)
        _ = try await arrive(store, "messenger:1", from: messenger, at: 120)
        #expect(try await store.contactsSharingEvidence(with: "telegram:4242").isEmpty)
        try await change(store, "telegram:4242") {
            $0.collected = [ContactEvidence(kind: .phone, value: "8613800000000"), ContactEvidence(kind: .email, value: "li@example.com")]
        }
        #expect(try await store.contactsSharingEvidence(with: "telegram:4242") == ["8613800000000"])
        #expect(try await store.contactsSharingEvidence(with: "8613800000000") == ["telegram:4242"])
        #expect(try await store.conversation(customer: "telegram:4242")?.collected == [])
        // A phone number that is nobody's WhatsApp id, an e-mail address nobody else gave: nothing.
        try await change(store, "messenger:77") { $0.collected = [ContactEvidence(kind: .phone, value: "4915112345678")] }
        #expect(try await store.contactsSharingEvidence(with: "messenger:77").isEmpty)
        try await change(store, "messenger:77") { $0.collected = [ContactEvidence(kind: .email, value: "li@example.com")] }
        #expect(try await store.contactsSharingEvidence(with: "messenger:77") == ["telegram:4242"])
        #expect(Set(try await store.contactsSharingEvidence(with: "telegram:4242")) == ["8613800000000", "messenger:77"])
        // A phone number two contacts on channels other than WhatsApp gave.
        let other = ChannelIdentity(channel: "telegram", id: "4343")
        _ = try await arrive(store, "telegram:2", from: other, at: 180)
        try await change(store, "telegram:4343") { $0.collected = [ContactEvidence(kind: .phone, value: "4915112345678")] }
        #expect(try await store.contactsSharingEvidence(with: "telegram:4343") == ["messenger:77"])
        #expect(try await store.contactsSharingEvidence(with: "messenger:77").contains("telegram:4343"))
    }

    /// A WhatsApp number writing for the first time whose number a contact gave joins that contact
    /// before its message is decided, recorded as a merge of the number's own contact: unmerged,
    /// the number is a contact of its own with what it sent and was sent.
    static func joinsANewWhatsAppNumberToTheContactThatGaveIt(_ store: any ConversationStore) async throws {
        let number = ChannelIdentity(channel: ChannelIdentity.whatsapp, id: "8613911112222")
        _ = try await arrive(store, "telegram:1", from: telegram, at: 0)
        try await change(store, "telegram:4242") { $0.collected = [ContactEvidence(kind: .phone, value: "8613911112222")] }
        // Another contact gave the same number later: the one first seen is joined.
        _ = try await arrive(store, "messenger:1", from: ChannelIdentity(channel: "messenger", id: "77"), at: 30)
        try await change(store, "messenger:77") { $0.collected = [ContactEvidence(kind: .phone, value: "8613911112222")] }

        let fresh = try await store.receive([message("wamid.new", from: number, at: 60)], statuses: [], at: t0.addingTimeInterval(60))
        let joined = try #require(fresh.first)
        #expect(joined.customer == "telegram:4242")
        #expect(try await store.identities(contact: "telegram:4242").map(\.identity) == [number, telegram])
        let decided = Locked<Conversation?>(nil)
        #expect(
            try await store.process(joined, at: t0.addingTimeInterval(60)) { conversation in
                decided.withLock { $0 = conversation }
                return plan(joined, replies: ["answered"])(conversation)
            })
        #expect(decided.current?.customer == "telegram:4242", "decided as the contact, not as a new one")
        #expect(try await store.conversation(customer: "8613911112222") == nil)
        var figures = try await store.statistics()
        #expect(figures.conversations == 2)
        #expect(figures.channels["whatsapp"]?.customers == 1 && figures.channels["telegram"]?.customers == 1)
        await #expect(throws: ContactMergeError.mergedAway("8613911112222", into: "telegram:4242")) {
            try await store.merge(contact: "8613911112222", into: "messenger:77", at: t0)
        }
        // Later messages from the number are the contact's, as any known identity's.
        let again = try await store.receive([message("wamid.again", from: number, at: 90)], statuses: [], at: t0.addingTimeInterval(90))
        let followUp = try #require(again.first)
        #expect(followUp.customer == "telegram:4242")
        #expect(try await store.process(followUp, at: t0.addingTimeInterval(90), plan: plan(followUp, replies: ["again"])))

        let (restored, target) = try await store.unmerge(contact: "8613911112222", at: t0.addingTimeInterval(120))
        #expect(restored.customer == "8613911112222" && restored.identity == number)
        #expect(restored.firstInboundAt == t0.addingTimeInterval(60) && restored.lastInboundAt == t0.addingTimeInterval(90))
        #expect(restored.unread == 2 && restored.name == "Li")
        #expect(target.customer == "telegram:4242" && target.identity == telegram && target.unread == 1)
        #expect(try await store.identities(contact: "telegram:4242").map(\.identity) == [telegram])
        #expect(try await store.identities(contact: "8613911112222").map(\.identity) == [number])
        let timeline = try await store.timeline(customer: "8613911112222", before: nil, limit: 20)
        #expect(timeline.filter { $0.direction == .inbound }.map(\.id) == ["in:wamid.again", "in:wamid.new"])
        #expect(timeline.contains { $0.direction == .outbound && $0.text == "answered" })
        #expect(try await store.timeline(customer: "telegram:4242", before: nil, limit: 20).allSatisfy { $0.channel != "whatsapp" })
        figures = try await store.statistics()
        #expect(figures.conversations == 3)
        #expect(figures.channels["whatsapp"]?.customers == 1 && figures.channels["telegram"]?.customers == 1)
        // A known number is not joined again: it is its own contact's now.
        let own = try await store.receive([message("wamid.own", from: number, at: 150)], statuses: [], at: t0.addingTimeInterval(150))
        #expect(own.first?.customer == "8613911112222")
    }
}

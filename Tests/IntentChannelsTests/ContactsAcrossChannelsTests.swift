import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// One contact across WhatsApp and Telegram (a recording channel of that name) in one runtime:
/// merged by a person or on a phone number a flow collected; greeted as one contact; a person's
/// reply goes where the customer last wrote, or to the channel the person picks.
@Suite struct ContactsAcrossChannelsTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"
    static let number = "8613800000000"
    static let flows = """
        flows:
          callback:
            name: Call me back
            trigger: {keyword: ["call me"]}
            start: ask_phone
            steps:
              ask_phone: {ask: "Your phone number, with the country code?", save: phone, expect: phone, next: done}
              done:      {say: "We will call {{phone}}.", end: true}
          mail:
            name: Write to me
            trigger: {keyword: ["email me"]}
            start: ask_email
            steps:
              ask_email: {ask: "Your e-mail address?", save: email, expect: email, next: done}
              done:      {say: "We will write to {{email}}.", end: true}
        """

    final class Harness: Sendable {
        let runtime: ChannelRuntime
        let store: SQLiteStateStore
        let graph: FakeGraphServer
        let whatsapp: WhatsAppChannel
        let telegram: MultiChannelTests.RecordingChannel
        let offset: Locked<TimeInterval>
        let start: Date
        let folder: TemporaryDirectory
        let run: Task<Void, Never>

        init() async throws {
            graph = try await FakeGraphServer.start()
            folder = try TemporaryDirectory("contacts")
            store = try SQLiteStateStore(path: folder.file("state.sqlite"))
            whatsapp = WhatsAppChannel(
                settings: WhatsAppSettings(
                    verifyToken: "v", appSecret: ContactsAcrossChannelsTests.secret, accessToken: graph.token, graphURL: graph.base),
                transport: CurlHTTPClient())
            telegram = MultiChannelTests.RecordingChannel(name: "telegram")
            let offset = Locked<TimeInterval>(0)
            let start = Date()
            self.offset = offset
            self.start = start
            let automation = Automation(
                timeZone: TimeZone(identifier: "UTC")!, greeting: .init(text: "Welcome!", afterDays: 14), away: nil,
                handover: .init(text: nil, muteMinutes: 120), nonText: .init(text: nil, handover: true))
            let runtime = ChannelRuntime(
                channels: [whatsapp, telegram], settings: ChannelRuntime.Settings(firstRetryDelay: 0.05), store: store,
                policy: ConversationPolicy(automation: automation, fallbackReply: "Sorry."), logger: Logger(label: "test"),
                flows: FlowLibrary(try FlowFile.parse(ContactsAcrossChannelsTests.flows, file: "flows.yaml")),
                clock: { start.addingTimeInterval(offset.current) }
            ) { _, _, rulesOnly, _ in rulesOnly ? .unanswered : BotAnswer(answer: "We open at nine.", entry: "hours") }
            self.runtime = runtime
            run = Task { await runtime.run() }
        }

        deinit { run.cancel() }

        var now: Date { start.addingTimeInterval(offset.current) }

        func onWhatsApp(_ id: String, _ text: String) async {
            let body = WebhookBody.message(id: id, from: ContactsAcrossChannelsTests.number, text: text, timestamp: now)
            let signed = ["x-hub-signature-256": WebhookSignature(appSecret: ContactsAcrossChannelsTests.secret).header(for: body)]
            #expect(await runtime.receive(on: whatsapp, body: body, headers: signed) == .accepted(new: 1, duplicates: 0, statuses: 0))
        }

        func onTelegram(_ update: Int, _ text: String, chat: String = "4242") async {
            let body = Array(try! JSONSerialization.data(withJSONObject: ["update": update, "chat": chat, "text": text]))
            #expect(await runtime.receive(on: telegram, body: body, headers: ["x-secret": "s3cret"]) == .accepted(new: 1, duplicates: 0, statuses: 0))
        }

        func telegramTexts() -> [String] { telegram.sends.current.filter { $0.draft.kind == .text }.map(\.draft.body) }

        /// Waits until every message is decided and every reply sent.
        func settled() async throws {
            try await eventually("all decided and sent") {
                let decided = try await store.unprocessed(limit: 1).isEmpty
                let sent = try await store.dueOutbox(now: .distantFuture, limit: 1).isEmpty
                return decided && sent
            }
        }
    }

    @Test func aMergedContactIsGreetedAsOneAndAnsweredOnTheChannelPicked() async throws {
        let h = try await Harness()
        await h.onWhatsApp("wamid.1", "hello")
        try await h.settled()
        #expect(try await h.graph.texts(to: Self.number) == ["Welcome!", "We open at nine."])

        // A day later the same person writes on Telegram: a stranger there, until a person merges them.
        h.offset.withLock { $0 = 86_400 }
        await h.onTelegram(1, "hi")
        try await h.settled()
        #expect(h.telegramTexts() == ["Welcome!", "We open at nine."])
        guard case .changed(let merged) = await h.runtime.merge(contact: "telegram:4242", into: Self.number) else {
            Issue.record("the merge was refused")
            return
        }
        #expect(merged.identity == ChannelIdentity(channel: "telegram", id: "4242"))
        #expect(try await h.runtime.identities(contact: Self.number).map(\.identity.channel) == ["telegram", "whatsapp"])

        // Day 10 on WhatsApp, day 20 on Telegram: never 14 days of the contact's silence, so no
        // greeting (Telegram's own identity was silent 19 days).
        h.offset.withLock { $0 = 10 * 86_400 }
        await h.onWhatsApp("wamid.2", "still open?")
        try await h.settled()
        h.offset.withLock { $0 = 20 * 86_400 }
        await h.onTelegram(2, "open today?")
        try await h.settled()
        #expect(try await h.graph.texts(to: Self.number) == ["Welcome!", "We open at nine.", "We open at nine."])
        #expect(h.telegramTexts() == ["Welcome!", "We open at nine.", "We open at nine."])
        let figures = try await h.store.statistics()
        #expect(figures.triggers["automation:greeting"] == ChannelStatistics.Usage(count: 2, customers: 1))
        #expect(figures.conversations == 1)
        let timeline = try await h.runtime.timeline(customer: Self.number, before: nil, limit: 50)
        #expect(timeline.filter { $0.direction == .inbound }.map(\.channel) == ["telegram", "whatsapp", "telegram", "whatsapp"])

        // A person's reply goes where the customer last wrote (Telegram, no window) ...
        guard case .queued = await h.runtime.reply(to: Self.number, text: "Yes, until six.", agent: "li") else {
            Issue.record("the reply to the last channel was refused")
            return
        }
        try await h.settled()
        #expect(h.telegram.sends.current.last?.draft.body == "Yes, until six.")
        #expect(h.telegram.sends.current.last?.recipient == ChannelIdentity(channel: "telegram", id: "4242"))
        // ... or to the channel picked, under that channel's window: WhatsApp's closed on day 11.
        guard case .windowClosed = await h.runtime.reply(to: Self.number, text: "On WhatsApp?", agent: "li", channel: "whatsapp") else {
            Issue.record("WhatsApp's window (last written there on day 10) must refuse a reply on day 20")
            return
        }
        #expect(
            await h.runtime.reply(to: Self.number, text: "x", agent: "li", channel: "messenger")
                == .noIdentity(channel: "messenger", channels: ["telegram", "whatsapp"]))
        h.offset.withLock { $0 = 10 * 86_400 + 3_600 }
        guard case .queued = await h.runtime.reply(to: Self.number, text: "Picked WhatsApp.", agent: "li", channel: "whatsapp") else {
            Issue.record("a reply on the WhatsApp identity inside its window was refused")
            return
        }
        try await h.settled()
        #expect(try await h.graph.texts(to: Self.number).last == "Picked WhatsApp.")
    }

    @Test func aPhoneNumberAFlowCollectedMergesTheContactsUndoably() async throws {
        let h = try await Harness()
        await h.onWhatsApp("wamid.1", "hello")
        try await h.settled()
        h.offset.withLock { $0 = 3_600 }
        await h.onTelegram(1, "call me")
        try await h.settled()
        #expect(try await h.runtime.conversation(customer: "telegram:4242") != nil)
        await h.onTelegram(2, "+86 138 0000 0000")
        try await h.settled()
        // The older contact stays: the Telegram one is now part of the WhatsApp one.
        try await eventually("merged on the phone number") { try await h.runtime.conversation(customer: "telegram:4242") == nil }
        #expect(h.telegramTexts().last == "We will call +8613800000000.")
        let contact = try #require(try await h.runtime.conversation(customer: Self.number))
        #expect(contact.identity.channel == "telegram")
        #expect(try await h.runtime.identities(contact: Self.number).count == 2)

        // Recorded like a person's merge: undone the same way.
        guard case .changed(let restored) = await h.runtime.unmerge(contact: "telegram:4242") else {
            Issue.record("the automatic merge could not be undone")
            return
        }
        #expect(restored.customer == "telegram:4242")
        #expect(try await h.runtime.identities(contact: Self.number).map(\.identity.channel) == ["whatsapp"])
        #expect(await h.runtime.unmerge(contact: "telegram:4242") == .refused(.notMerged("telegram:4242")))
    }

    @Test func aNameOrAnUnknownNumberMergesNothing() async throws {
        let h = try await Harness()
        await h.onWhatsApp("wamid.1", "hello")
        await h.onTelegram(1, "call me")
        try await h.settled()
        await h.onTelegram(2, "+49 151 1234 5678")
        try await h.settled()
        #expect(h.telegramTexts().last == "We will call +4915112345678.")
        #expect(try await h.runtime.conversation(customer: "telegram:4242") != nil)
        #expect(try await h.runtime.conversation(customer: Self.number) != nil)
    }

    @Test func aNumberGivenInAFlowBeforeItWroteOnWhatsAppIsTheSameContactGreetedOnce() async throws {
        let h = try await Harness()
        await h.onTelegram(1, "call me")
        try await h.settled()
        await h.onTelegram(2, "+86 138 0000 0000")
        try await h.settled()
        #expect(h.telegramTexts() == ["Welcome!", "Your phone number, with the country code?", "We will call +8613800000000."])
        #expect(try await h.runtime.conversation(customer: Self.number) == nil, "no WhatsApp contact yet: nothing to merge")

        // An hour later the number writes on WhatsApp for the first time: the contact that gave it.
        h.offset.withLock { $0 = 3_600 }
        await h.onWhatsApp("wamid.1", "are you open?")
        try await h.settled()
        #expect(try await h.graph.texts(to: Self.number) == ["We open at nine."], "greeted once, on Telegram")
        #expect(try await h.runtime.conversation(customer: Self.number) == nil)
        let contact = try #require(try await h.runtime.conversation(customer: "telegram:4242"))
        #expect(contact.identity == ChannelIdentity(channel: "whatsapp", id: Self.number), "answered where the customer wrote last")
        #expect(try await h.runtime.identities(contact: "telegram:4242").map(\.identity.channel) == ["whatsapp", "telegram"])
        let figures = try await h.store.statistics()
        #expect(figures.triggers["automation:greeting"] == ChannelStatistics.Usage(count: 1, customers: 1))
        #expect(figures.conversations == 1)
        #expect(figures.channels["whatsapp"]?.customers == 1 && figures.channels["telegram"]?.customers == 1)

        // Recorded as a merge of the number into the contact: undone the same way.
        guard case .changed(let restored) = await h.runtime.unmerge(contact: Self.number) else {
            Issue.record("the automatic join could not be undone")
            return
        }
        #expect(restored.customer == Self.number && restored.identity.channel == "whatsapp")
        #expect(try await h.runtime.identities(contact: "telegram:4242").map(\.identity.channel) == ["telegram"])
        let timeline = try await h.runtime.timeline(customer: Self.number, before: nil, limit: 10)
        #expect(timeline.filter { $0.direction == .inbound }.map(\.id) == ["in:wamid.1"])
        #expect(timeline.contains { $0.direction == .outbound && $0.text == "We open at nine." })
    }

    @Test func twoContactsGivingOneNumberOrOneEMailAreOne() async throws {
        let h = try await Harness()
        await h.onTelegram(1, "call me", chat: "4242")
        await h.onTelegram(2, "call me", chat: "4343")
        await h.onTelegram(3, "email me", chat: "4444")
        try await h.settled()
        await h.onTelegram(4, "+49 151 1234 5678", chat: "4242")
        try await h.settled()
        // The same number, written another way: the same E.164 digits.
        await h.onTelegram(5, "0049 (151) 1234-5678", chat: "4343")
        try await h.settled()
        try await eventually("merged on the phone number") { try await h.runtime.conversation(customer: "telegram:4343") == nil }
        #expect(try await h.runtime.identities(contact: "telegram:4242").map(\.identity.id).sorted() == ["4242", "4343"])

        // An e-mail address, in another case, on a third chat: the same person.
        await h.onTelegram(6, "email me", chat: "4242")
        try await h.settled()
        await h.onTelegram(7, "Li.Lei@Example.com", chat: "4242")
        try await h.settled()
        #expect(try await h.runtime.conversation(customer: "telegram:4444") != nil, "nothing to match yet")
        await h.onTelegram(8, "li.lei@example.COM", chat: "4444")
        try await h.settled()
        try await eventually("merged on the e-mail address") { try await h.runtime.conversation(customer: "telegram:4444") == nil }
        #expect(try await h.runtime.identities(contact: "telegram:4242").count == 3)
    }

    @Test func onlyANumberInInternationalFormIsEvidence() {
        for (given, digits) in [
            ("+86 138 0000 0000", "8613800000000"), ("0086 138 0000 0000", "8613800000000"), ("8613800000000", "8613800000000"),
            ("+1 (415) 555-0100", "14155550100"),
        ] {
            #expect(ContactEvidence.collected(given, for: .phone) == ContactEvidence(kind: .phone, value: digits), "\(given)")
        }
        // A national number (a leading 0) is some country's: which one would be a guess.
        for national in ["0612 345 678", "030 1234567", "+0612345678"] {
            #expect(ContactEvidence.collected(national, for: .phone) == nil, "\(national)")
        }
        #expect(ContactEvidence.collected("Li.Lei@Example.com", for: .email) == ContactEvidence(kind: .email, value: "li.lei@example.com"))
        #expect(ContactEvidence.collected("Li Lei", for: .text) == nil)
    }
}

import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// The channel end to end in process: signed webhooks in, replies out to the fake Graph API.
@Suite struct WhatsAppChannelTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"

    /// A stand-in matcher: "refund" answers, "human" hands over, anything else is unanswered.
    static let decide: ChannelRuntime.Decide = { text, _, _ in
        if text.contains("human") { return BotAnswer(answer: "Passing you on.", entry: "contact_human", handover: true) }
        if text.contains("refund") { return BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") }
        if text.contains("long") { return BotAnswer(answer: String(repeating: "This sentence is long enough. ", count: 300), entry: "long") }
        return .unanswered
    }

    /// One test's channel, store and fake Graph API; its temporary folder goes with it.
    final class Harness: Sendable {
        /// The runtime around the WhatsApp channel.
        let channel: ChannelRuntime
        let whatsapp: WhatsAppChannel
        let store: SQLiteStateStore
        let graph: FakeGraphServer
        let directory: String

        init(channel: ChannelRuntime, whatsapp: WhatsAppChannel, store: SQLiteStateStore, graph: FakeGraphServer, directory: String) {
            self.channel = channel
            self.whatsapp = whatsapp
            self.store = store
            self.graph = graph
            self.directory = directory
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// - Parameter wrap: puts a store of the test's between the channel and the SQLite store.
    static func harness(
        automation: Automation = .none, token: String? = nil, firstRetryDelay: TimeInterval = 0.05,
        wrap: (SQLiteStateStore) -> any ConversationStore = { $0 }
    ) async throws -> Harness {
        let graph = try await FakeGraphServer.start()
        let directory = NSTemporaryDirectory() + "intent-channel-\(UUID().uuidString)"
        let store = try SQLiteStateStore(path: directory + "/state.sqlite")
        var settings = WhatsAppSettings(
            verifyToken: "verify-me", appSecret: secret, accessToken: token ?? graph.token, graphURL: graph.base)
        settings.firstRetryDelay = firstRetryDelay
        let whatsapp = WhatsAppChannel(settings: settings, transport: CurlHTTPClient())
        let channel = ChannelRuntime(
            channel: whatsapp, settings: whatsapp.runtimeSettings, store: wrap(store),
            policy: ConversationPolicy(automation: automation, fallbackReply: "Sorry, I did not get that."), logger: Logger(label: "test"),
            decide: decide)
        return Harness(channel: channel, whatsapp: whatsapp, store: store, graph: graph, directory: directory)
    }

    /// Waits until every received message is processed and the outbox is empty: what was
    /// going to be sent has been sent, so counting the sends now is final.
    func settle(_ h: Harness) async throws {
        // A guard against a hang, not a timing: it returns as soon as the channel settles.
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            if try await h.store.unprocessed(limit: 1).isEmpty, try await h.store.nextOutboxDue() == nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the channel did not settle within 180 s")
    }

    func post(_ channel: ChannelRuntime, _ body: [UInt8]) async -> ChannelRuntime.Receipt {
        await channel.receive(body: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: Self.secret).header(for: body)])
    }

    @Test func handshakeEchoesTheChallengeOnlyForTheVerifyToken() async throws {
        let h = try await Self.harness()
        func answer(_ query: [String: String]) -> Handshake { h.whatsapp.answerHandshake(query: query) }
        #expect(answer(["hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"]) == .echo("1158201444"))
        let refused = Handshake.refused("hub.mode must be subscribe and hub.verify_token must match whatsapp_verify_token")
        #expect(answer(["hub.mode": "subscribe", "hub.verify_token": "verify-you", "hub.challenge": "1158201444"]) == refused)
        #expect(answer(["hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"]) == refused)
        #expect(answer(["hub.mode": "subscribe", "hub.challenge": "1"]) == refused)
    }

    @Test func unsignedAndForgedWebhooksAreRefusedAndNothingIsStored() async throws {
        let h = try await Self.harness()
        let body = WebhookBody.message(id: "wamid.forged", from: "15551230001", text: "refund please")
        #expect(
            await h.channel.receive(body: body, headers: [:])
                == .unsigned("X-Hub-Signature-256 is missing; Meta signs every webhook with the app secret"))
        #expect(
            await h.channel.receive(body: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: "wrong").header(for: body)])
                == .forged("X-Hub-Signature-256 does not match the body under whatsapp_app_secret"))
        #expect(try await h.store.unprocessed(limit: 10).isEmpty)
        #expect(try await h.store.statistics().received == 0)
        let garbage = Array("not json".utf8)
        guard case .malformed = await post(h.channel, garbage) else {
            Issue.record("a signed non-JSON body must be malformed")
            return
        }
    }

    @Test func answersInOrderQuotingTheCustomerAndMarksRead() async throws {
        let h = try await Self.harness()
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        let receipt = await post(h.channel, WebhookBody.message(id: "wamid.A1", from: "15551230002", text: "我要 refund 退款"))
        #expect(receipt == .accepted(new: 1, duplicates: 0, statuses: 0))
        let sends = try await h.graph.waitForSends { $0.count >= 2 }
        #expect(sends.count == 2)
        #expect(sends.first?["status"] as? String == "read")
        #expect(sends.first?["message_id"] as? String == "wamid.A1")
        let reply = try #require(sends.last)
        #expect(reply["to"] as? String == "15551230002")
        #expect((reply["text"] as? [String: Any])?["body"] as? String == "Refunds take 5 days.")
        #expect((reply["context"] as? [String: Any])?["message_id"] as? String == "wamid.A1")
        #expect(reply["recipient_type"] as? String == "individual")
        // Sent replies are recorded (once the outbox has recorded what Meta accepted).
        try await settle(h)
        await h.channel.refreshStatistics()
        #expect(h.channel.statistics.sent == 1)
        #expect(h.channel.statistics.triggers["faq:refund_request"] == ChannelStatistics.Usage(count: 1, customers: 1))
    }

    @Test func parallelRedeliveriesAnswerOnce() async throws {
        let h = try await Self.harness()
        let body = WebhookBody.message(id: "wamid.dup", from: "15551230003", text: "refund")
        // Meta redelivers, sometimes in parallel: 20 deliveries of one message at once.
        let receipts = await withTaskGroup(of: ChannelRuntime.Receipt.self) { group in
            for _ in 0..<20 { group.addTask { await post(h.channel, body) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(receipts.filter { $0 == .accepted(new: 1, duplicates: 0, statuses: 0) }.count == 1)
        #expect(receipts.filter { $0 == .accepted(new: 0, duplicates: 1, statuses: 0) }.count == 19)
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        _ = try await h.graph.waitForSends { $0.count >= 2 }
        // Late redeliveries after the answer went out change nothing either.
        #expect(await post(h.channel, body) == .accepted(new: 0, duplicates: 1, statuses: 0))
        try await settle(h)
        #expect(try await h.graph.texts(to: "15551230003") == ["Refunds take 5 days."])
        #expect(try await h.store.statistics().duplicates == 20)
    }

    @Test func temporaryErrorsAreRetriedInOrderAndPermanentOnesAreNot() async throws {
        let h = try await Self.harness()
        // Read receipt fails with 131000 (retried); then the answer is accepted.
        try await h.graph.control(["script": [["mode": "error", "code": 131_000], ["mode": "error", "code": 130_429]]])
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        _ = await post(h.channel, WebhookBody.message(id: "wamid.R1", from: "15551230004", text: "refund"))
        _ = await post(h.channel, WebhookBody.message(id: "wamid.R2", from: "15551230004", text: "what?"))
        let sends = try await h.graph.waitForSends { $0.count >= 4 }
        // Order survives the retries: read R1, answer R1, read R2, fallback R2.
        #expect(
            sends.map { ($0["message_id"] as? String) ?? ($0["context"] as? [String: Any])?["message_id"] as? String ?? "?" } == [
                "wamid.R1", "wamid.R1", "wamid.R2", "wamid.R2",
            ])
        #expect(try await h.graph.texts(to: "15551230004") == ["Refunds take 5 days.", "Sorry, I did not get that."])

        // 131047 (outside the 24-hour window) is not retried: the item fails, the next one goes.
        try await h.graph.control(["script": [["mode": "ok"], ["mode": "error", "code": 131_047]]])
        _ = await post(h.channel, WebhookBody.message(id: "wamid.R3", from: "15551230005", text: "refund"))
        _ = await post(h.channel, WebhookBody.message(id: "wamid.R4", from: "15551230005", text: "refund"))
        _ = try await h.graph.waitForSends { $0.count >= 7 }
        try await settle(h)
        #expect(try await h.graph.texts(to: "15551230005") == ["Refunds take 5 days."])
        await h.channel.refreshStatistics()
        #expect(h.channel.statistics.failed == 1)
        #expect(h.channel.statistics.pending == 0)
    }

    @Test func anExpiredTokenIsReportedLoudlyAndNotRetried() async throws {
        let h = try await Self.harness(token: "EAAG-expired", firstRetryDelay: 0.05)
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        _ = await post(h.channel, WebhookBody.message(id: "wamid.T1", from: "15551230006", text: "refund"))
        let deadline = ContinuousClock.now + .seconds(180)
        while h.channel.unhealthyReason == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let reason = try #require(h.channel.unhealthyReason)
        #expect(reason.contains("190"))
        #expect(!reason.contains("EAAG-expired"))
        // 190 is never retried: the read receipt and the answer fail for good, once each.
        let stats = try await h.graph.stats()
        while try await h.store.statistics().failed < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await settle(h)
        #expect(try await h.graph.stats()["rejected"] as? Int == 2)
        #expect(stats["rejected"] as? Int ?? 0 <= 2)
        #expect(try await h.store.statistics().pending == 0)
    }

    @Test func longAnswersAreSplitAtSentences() async throws {
        let h = try await Self.harness()
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        _ = await post(h.channel, WebhookBody.message(id: "wamid.L1", from: "15551230007", text: "a long one"))
        _ = try await h.graph.waitForSends { $0.count >= 4 }
        let texts = try await h.graph.texts(to: "15551230007")
        #expect(texts.count == 3)
        #expect(texts.allSatisfy { $0.count <= 4_096 && $0.hasSuffix(".") })
        #expect(texts.joined(separator: " ") == String(repeating: "This sentence is long enough. ", count: 300).trimmingCharacters(in: .whitespaces))
    }

    @Test func deliveryStatusesAreRecordedAgainstTheSentMessage() async throws {
        let h = try await Self.harness()
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        _ = await post(h.channel, WebhookBody.message(id: "wamid.S1", from: "15551230008", text: "refund"))
        let response = try await h.graph.waitForSends { $0.count >= 2 }
        _ = response
        let sentID = try #require(try await FakeGraphSentIDs.ids(h.graph).last)
        for status in ["delivered", "sent", "read"] {
            #expect(await post(h.channel, WebhookBody.status(sentID, status, to: "15551230008")) == .accepted(new: 0, duplicates: 0, statuses: 1))
        }
        // Out of order, "sent" after "delivered" does not go back.
        #expect(try await h.store.delivery(ofChannelMessage: sentID) == "read")
        // No status triggers a reply.
        try await settle(h)
        #expect(try await h.graph.sent().count == 2)
    }

    @Test func aSendWhoseOutcomeCannotBeRecordedIsNotSentAgain() async throws {
        let failing = FailingOutcomes()
        let h = try await Self.harness { failing.wrapping($0) }
        failing.on.withLock { $0 = true }
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        _ = await post(h.channel, WebhookBody.message(id: "wamid.F1", from: "15551230009", text: "refund"))
        // The read receipt goes out; its outcome cannot be written. The store fails again on the
        // retry after the back-off: the receipt is still not sent again, nor is anything else.
        try await eventually("a second try to record the outcome") { failing.attempts.current >= 2 }
        #expect(try await h.graph.sent().count == 1)
        #expect(h.channel.storeHealth.problem == .unwritable("recording a send's outcome"))

        // The disk has room again: the outcome is recorded, then the answer goes, once.
        failing.on.withLock { $0 = false }
        try await eventually("the answer") { h.channel.storeHealth.problem == nil }
        _ = try await h.graph.waitForSends { $0.count >= 2 }
        try await settle(h)
        let sends = try await h.graph.sent()
        #expect(sends.count == 2)
        #expect(try await h.graph.texts(to: "15551230009") == ["Refunds take 5 days."])
        #expect(try await h.store.statistics().sent == 1)
    }

    @Test func timestampsThatAreNotATimeBecomeTheReceiptTime() async throws {
        let h = try await Self.harness()
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        for (i, stamp) in ["nan", "1e300", "-1", "inf", "soon"].enumerated() {
            let body = WebhookBody.envelope(
                phoneNumberID: "106540352242922",
                value: [
                    "messages": [["from": "1555123001\(i)", "id": "wamid.TS\(i)", "timestamp": stamp, "type": "text", "text": ["body": "refund"]]]
                ])
            #expect(await post(h.channel, body) == .accepted(new: 1, duplicates: 0, statuses: 0), "timestamp \(stamp)")
        }
        try await settle(h)
        let conversations = try await h.store.recentConversations(limit: 10)
        #expect(conversations.count == 5)
        for conversation in conversations {
            #expect(abs(conversation.lastInboundAt.timeIntervalSinceNow) < 3_600, "\(conversation.customer): \(conversation.lastInboundAt)")
        }
        #expect(try await h.graph.texts(to: "15551230010") == ["Refunds take 5 days."])
    }

    @Test func noticesAreRecordedButNeverAnswered() async throws {
        let greeting = try AutomationFile.parse("greeting:\n  text: Welcome!\n", file: "automation.yaml")
        let h = try await Self.harness(automation: greeting)
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        let customer = "15551230020"
        let changed: [String: Any] = [
            "from": customer, "id": "wamid.N1", "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "system",
            "system": ["body": "User A changed from \(customer) to 15551230021", "new_wa_id": "15551230021", "type": "user_changed_number"],
        ]
        let permission: [String: Any] = [
            "from": customer, "id": "wamid.N2", "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "interactive",
            "interactive": ["type": "call_permission_reply", "call_permission_reply": ["response": "accept", "is_permanent": false]],
        ]
        for notice in [changed, permission] {
            let body = WebhookBody.envelope(phoneNumberID: "106540352242922", value: ["messages": [notice]])
            #expect(await post(h.channel, body) == .accepted(new: 1, duplicates: 0, statuses: 0))
        }
        try await settle(h)
        #expect(try await h.graph.sent().isEmpty, "a notice is not the customer writing")
        #expect(try await h.store.statistics().received == 2, "both notices are stored with the customer's messages")
        #expect(try await h.store.conversation(customer: customer) == nil, "no conversation begins with a notice")
        // The customer's first real message is greeted and answered as a first message.
        _ = await post(h.channel, WebhookBody.message(id: "wamid.N3", from: customer, text: "refund"))
        _ = try await h.graph.waitForSends { $0.count >= 3 }
        try await settle(h)
        #expect(try await h.graph.texts(to: customer) == ["Welcome!", "Refunds take 5 days."])
    }

    @Test func aStateFileDeletedWhileServingIsNoticedAndNoWebhookIsTakenIntoIt() async throws {
        let h = try await Self.harness()
        let run = Task { await h.channel.run() }
        defer { run.cancel() }
        #expect(
            await post(h.channel, WebhookBody.message(id: "wamid.D1", from: "15551230030", text: "refund"))
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        try FileManager.default.removeItem(atPath: h.directory + "/state.sqlite")
        try await eventually("noticing the deleted file") { h.channel.storeHealth.refusesWork }
        let reason = try #require(h.channel.storeHealth.problem?.reason)
        #expect(reason.contains("deleted"))
        guard case .unavailable = await post(h.channel, WebhookBody.message(id: "wamid.D2", from: "15551230030", text: "refund")) else {
            Issue.record("a webhook must be refused (503, Meta delivers again) while the state file is gone")
            return
        }
    }
}

/// A state store whose `markSent` fails while `on` is set, as a full disk's would.
final class FailingOutcomes: Sendable {
    struct DiskFull: Error {}
    let on = Locked(false)
    let attempts = Locked(0)

    func wrapping(_ store: SQLiteStateStore) -> any ConversationStore { Store(base: store, owner: self) }

    struct Store: ConversationStore {
        let base: SQLiteStateStore
        let owner: FailingOutcomes

        func receive(_ messages: [InboundMessage], statuses: [DeliveryStatus], at: Date) async throws -> [InboundMessage] {
            try await base.receive(messages, statuses: statuses, at: at)
        }
        func unprocessed(limit: Int) async throws -> [InboundMessage] { try await base.unprocessed(limit: limit) }
        func process(_ message: InboundMessage, at: Date, plan: @escaping @Sendable (Conversation?) -> ConversationPlan) async throws -> Bool {
            try await base.process(message, at: at, plan: plan)
        }
        func advance(
            customer: String, at: Date, finishing: FinishedItem?, plan: @escaping @Sendable (Conversation) -> ConversationPlan?
        ) async throws -> Bool {
            try await base.advance(customer: customer, at: at, finishing: finishing, plan: plan)
        }
        func dueFlowRuns(now: Date, limit: Int) async throws -> [String] { try await base.dueFlowRuns(now: now, limit: limit) }
        func dueOutbox(now: Date, limit: Int) async throws -> [OutboxItem] { try await base.dueOutbox(now: now, limit: limit) }
        func nextOutboxDue() async throws -> Date? { try await base.nextOutboxDue() }
        func markSent(_ item: Int64, channelMessageID: String?, at: Date) async throws {
            owner.attempts.withLock { $0 += 1 }
            if owner.on.current { throw DiskFull() }
            try await base.markSent(item, channelMessageID: channelMessageID, at: at)
        }
        func retryLater(_ item: Int64, at: Date, error: String) async throws { try await base.retryLater(item, at: at, error: error) }
        func markFailed(_ item: Int64, at: Date, error: String) async throws { try await base.markFailed(item, at: at, error: error) }
        func conversation(customer: String) async throws -> Conversation? { try await base.conversation(customer: customer) }
        func recentConversations(limit: Int) async throws -> [Conversation] { try await base.recentConversations(limit: limit) }
        func unmute(customer: String) async throws -> Bool { try await base.unmute(customer: customer) }
        func statistics() async throws -> ChannelStatistics { try await base.statistics() }
        func purge(customer: String) async throws -> Int { try await base.purge(customer: customer) }
        func purge(before date: Date) async throws -> Int { try await base.purge(before: date) }
    }
}

/// The ids Meta (the fake) gave accepted text messages, in order.
enum FakeGraphSentIDs {
    static func ids(_ graph: FakeGraphServer) async throws -> [String] {
        let transport = CurlHTTPClient()
        let response = try await transport.send(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:\(graph.port)/_sent", timeout: .seconds(5)))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (object?["sent"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }
}

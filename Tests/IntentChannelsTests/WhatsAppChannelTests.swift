import Foundation
import IntentCore
import IntentProviders
import IntentStore
import Logging
import Testing

@testable import IntentChannels

/// The channel end to end in process: signed webhooks in, replies out to the fake Graph API.
@Suite struct WhatsAppChannelTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"

    /// A stand-in matcher: "refund" answers, "human" hands over, anything else is unanswered.
    static let decide: WhatsAppChannel.Decide = { text, _ in
        if text.contains("human") { return BotAnswer(answer: "Passing you on.", entry: "contact_human", handover: true) }
        if text.contains("refund") { return BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") }
        if text.contains("long") { return BotAnswer(answer: String(repeating: "This sentence is long enough. ", count: 300), entry: "long") }
        return .unanswered
    }

    struct Harness {
        let channel: WhatsAppChannel
        let store: SQLiteStateStore
        let graph: FakeGraphServer
        let directory: String
    }

    static func harness(automation: Automation = .none, token: String? = nil, firstRetryDelay: TimeInterval = 0.05) async throws -> Harness {
        let graph = try await FakeGraphServer.start()
        let directory = NSTemporaryDirectory() + "intent-channel-\(UUID().uuidString)"
        let store = try SQLiteStateStore(path: directory + "/state.sqlite")
        var settings = WhatsAppSettings(
            verifyToken: "verify-me", appSecret: secret, accessToken: token ?? graph.token, graphURL: graph.base)
        settings.firstRetryDelay = firstRetryDelay
        let channel = WhatsAppChannel(
            settings: settings, store: store, policy: ConversationPolicy(automation: automation, fallbackReply: "Sorry, I did not get that."),
            transport: CurlHTTPClient(), logger: Logger(label: "test"), decide: decide)
        return Harness(channel: channel, store: store, graph: graph, directory: directory)
    }

    /// Waits until every received message is processed and the outbox is empty: what was
    /// going to be sent has been sent, so counting the sends now is final.
    func settle(_ h: Harness) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try h.store.unprocessed(limit: 1).isEmpty, try h.store.nextOutboxDue() == nil { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the channel did not settle within 30 s")
    }

    func post(_ channel: WhatsAppChannel, _ body: [UInt8]) async -> WhatsAppChannel.Receipt {
        await channel.receive(body: body, signatureHeader: WebhookSignature(appSecret: Self.secret).header(for: body))
    }

    @Test func handshakeEchoesTheChallengeOnlyForTheVerifyToken() async throws {
        let h = try await Self.harness()
        #expect(h.channel.verify(mode: "subscribe", token: "verify-me", challenge: "1158201444") == "1158201444")
        #expect(h.channel.verify(mode: "subscribe", token: "verify-you", challenge: "1158201444") == nil)
        #expect(h.channel.verify(mode: "unsubscribe", token: "verify-me", challenge: "1158201444") == nil)
        #expect(h.channel.verify(mode: "subscribe", token: nil, challenge: "1") == nil)
    }

    @Test func unsignedAndForgedWebhooksAreRefusedAndNothingIsStored() async throws {
        let h = try await Self.harness()
        let body = WebhookBody.message(id: "wamid.forged", from: "15551230001", text: "refund please")
        #expect(await h.channel.receive(body: body, signatureHeader: nil) == .unsigned)
        #expect(await h.channel.receive(body: body, signatureHeader: WebhookSignature(appSecret: "wrong").header(for: body)) == .forged)
        #expect(try h.store.unprocessed(limit: 10).isEmpty)
        #expect(try h.store.statistics().received == 0)
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
        let receipts = await withTaskGroup(of: WhatsAppChannel.Receipt.self) { group in
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
        #expect(try h.store.statistics().duplicates == 20)
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
        #expect(sends.map { ($0["message_id"] as? String) ?? ($0["context"] as? [String: Any])?["message_id"] as? String ?? "?" } == ["wamid.R1", "wamid.R1", "wamid.R2", "wamid.R2"])
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
        let deadline = ContinuousClock.now + .seconds(20)
        while h.channel.unhealthyReason == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let reason = try #require(h.channel.unhealthyReason)
        #expect(reason.contains("190"))
        #expect(!reason.contains("EAAG-expired"))
        // 190 is never retried: the read receipt and the answer fail for good, once each.
        let stats = try await h.graph.stats()
        while try h.store.statistics().failed < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await settle(h)
        #expect(try await h.graph.stats()["rejected"] as? Int == 2)
        #expect(stats["rejected"] as? Int ?? 0 <= 2)
        #expect(try h.store.statistics().pending == 0)
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
        #expect(try h.store.delivery(ofChannelMessage: sentID) == "read")
        // No status triggers a reply.
        try await settle(h)
        #expect(try await h.graph.sent().count == 2)
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

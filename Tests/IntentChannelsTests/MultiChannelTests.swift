import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// One runtime, two channels: WhatsApp against the fake Graph API beside a channel without a
/// reply window that records what it is asked to send. Each customer is answered where they
/// wrote, a person's reply follows the customer's last channel, and each channel counts its own.
@Suite struct MultiChannelTests {
    /// A channel of the test's: a webhook is `{"update": N, "chat": "ID", "text": "..."}`, checked
    /// against a secret header; sends are recorded, never fail.
    final class RecordingChannel: ChatChannel, @unchecked Sendable {
        let sends = Locked<[OutboxItem]>([])
        let name: String

        init(name: String = "recording") { self.name = name }
        var messagesPerSecond: Double { 30 }
        var replyWindow: TimeInterval? { nil }
        var maxWebhookBytes: Int { 4_096 }
        var maxTextLength: Int { 4_096 }
        /// A recording protects no platform; the tests' clocks stand still, so a bucket never refills.
        var customerPacing: CustomerPacing? { nil }

        func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading {
            guard headers["x-secret"] == "s3cret" else { return .unsigned("X-Secret is missing") }
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], let update = object["update"] as? Int,
                let chat = object["chat"] as? String
            else { return .malformed("not an update") }
            let message = InboundMessage(
                id: "recording:\(update)", from: ChannelIdentity(channel: name, id: chat), account: "bot", type: "text",
                text: object["text"] as? String, sentAt: receivedAt)
            return .batch(InboundBatch(messages: [message]))
        }

        func send(_ item: OutboxItem) async -> SendOutcome {
            sends.withLock { $0.append(item) }
            return .sent(channelMessageID: "recording-out:\(item.id)")
        }
    }

    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"

    @Test func eachCustomerIsAnsweredOnTheChannelTheyWroteOn() async throws {
        let graph = try await FakeGraphServer.start()
        let folder = try TemporaryDirectory("multichannel")
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        let whatsapp = WhatsAppChannel(
            settings: WhatsAppSettings(verifyToken: "v", appSecret: Self.secret, accessToken: graph.token, graphURL: graph.base),
            transport: CurlHTTPClient())
        let recording = RecordingChannel()
        let offset = Locked<TimeInterval>(0)
        let start = Date()
        let runtime = ChannelRuntime(
            channels: [whatsapp, recording], settings: ChannelRuntime.Settings(firstRetryDelay: 0.05), store: store,
            policy: ConversationPolicy(automation: .none, fallbackReply: "Sorry."), logger: Logger(label: "test"),
            clock: { start.addingTimeInterval(offset.current) }
        ) { text, _, _, _ in
            text.contains("refund") ? BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") : .unanswered
        }
        let run = Task { await runtime.run() }
        defer { run.cancel() }

        let body = WebhookBody.message(id: "wamid.multi", from: "15551239999", text: "refund?")
        let signed = ["x-hub-signature-256": WebhookSignature(appSecret: Self.secret).header(for: body)]
        #expect(await runtime.receive(on: whatsapp, body: body, headers: signed) == .accepted(new: 1, duplicates: 0, statuses: 0))
        let update = Array(#"{"update": 7, "chat": "4242", "text": "refund please"}"#.utf8)
        #expect(await runtime.receive(on: recording, body: update, headers: ["x-secret": "s3cret"]) == .accepted(new: 1, duplicates: 0, statuses: 0))
        // The other channel's check is its own: WhatsApp's signature does not open it.
        #expect(await runtime.receive(on: recording, body: update, headers: signed) == .unsigned("X-Secret is missing"))

        try await eventually("both answered") {
            try await graph.texts(to: "15551239999") == ["Refunds take 5 days."]
                && recording.sends.current.contains { $0.draft.body == "Refunds take 5 days." }
        }
        let answered = try #require(recording.sends.current.first { $0.draft.kind == .text })
        #expect(answered.recipient == ChannelIdentity(channel: "recording", id: "4242"))
        #expect(answered.customer == "recording:4242")
        // The read receipt the runtime queues for every message went to its own channel too.
        #expect(recording.sends.current.contains { $0.draft == .read("recording:7") })

        // Two days on: WhatsApp's window is closed, the other channel has none.
        offset.withLock { $0 = 2 * 86_400 }
        guard case .windowClosed = await runtime.reply(to: "15551239999", text: "Sorry for the wait", agent: "li") else {
            Issue.record("WhatsApp's 24-hour window must refuse a person's reply after two days")
            return
        }
        guard case .queued = await runtime.reply(to: "recording:4242", text: "Sorry for the wait, {{contact.name}}", agent: "li") else {
            Issue.record("a channel without a window takes a person's reply at any time")
            return
        }
        try await eventually("the person's reply sent") { recording.sends.current.contains { $0.draft.origin == .agent("li") } }

        let direct = try await store.statistics()
        #expect(direct.channels["whatsapp"]?.received == 1, "\(direct)")
        await runtime.refreshStatistics()
        let figures = runtime.statistics.channels
        #expect(figures["whatsapp"]?.received == 1)
        #expect(figures["recording"]?.received == 1)
        #expect(figures["recording"]?.customers == 1)
        try await eventually("sends recorded") {
            await runtime.refreshStatistics()
            return runtime.statistics.channels["recording"]?.sent == 2 && runtime.statistics.channels["whatsapp"]?.sent == 1
        }
    }
}

import Foundation
import IntentChannels
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

/// The runtime announces what it commits, for the consoles: a customer's message as it is
/// stored (before the webhook is answered), the replies to it, a flow's and a person's replies
/// with their outbox ids, each send's outcome, delivery reports, and a hand-over's release.
@Suite struct ChannelEventsTests {
    final class Recorder: ConversationEvents {
        let events = Locked<[ConversationEvent]>([])
        func publish(_ event: ConversationEvent) { events.withLock { $0.append(event) } }
        var current: [ConversationEvent] { events.current }
    }

    static let flows = """
        flows:
          hello:
            trigger: {keyword: [hello]}
            start: hi
            steps:
              hi: {say: "Hi there!", end: true}
        """

    @Test func theRuntimePublishesWhatItCommits() async throws {
        let graph = try await FakeGraphServer.start()
        let folder = try TemporaryDirectory("events")
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        let settings = WhatsAppSettings(verifyToken: "verify-me", appSecret: FlowChannelTests.secret, accessToken: graph.token, graphURL: graph.base)
        let whatsapp = WhatsAppChannel(settings: settings, transport: CurlHTTPClient())
        let recorder = Recorder()
        let channel = ChannelRuntime(
            channel: whatsapp, settings: whatsapp.runtimeSettings, store: store,
            policy: ConversationPolicy(automation: .none, fallbackReply: "Sorry, I did not get that."), logger: Logger(label: "test"),
            events: recorder, flows: FlowLibrary(try FlowFile.parse(Self.flows, file: "flows.yaml")), decide: FlowChannelTests.decide)
        let run = Task { await channel.run() }
        defer { run.cancel() }
        let kim = "15551230001"
        func post(_ body: [UInt8]) async -> ChannelRuntime.Receipt {
            await channel.receive(
                body: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: FlowChannelTests.secret).header(for: body)])
        }
        func sent(_ item: String) -> Bool {
            recorder.current.contains { $0.type == .status && $0.message == item && $0.status == "sent" }
        }

        #expect(await post(FlowChannelTests.text("m1", "where is my order?", from: kim)) == .accepted(new: 1, duplicates: 0, statuses: 0))
        // Stored, announced, and only then answered.
        #expect(recorder.current.map(\.type) == [.message])
        #expect(recorder.current.first?.message == "in:m1" && recorder.current.first?.conversation == kim)
        // The answer: the replies queued (no ids: the store does not return them), then sent.
        var answer: String?
        try await eventually("the answer sent") {
            answer = recorder.current.first { $0.type == .status && $0.status == "sent" }?.message
            return answer != nil
        }
        let events = recorder.current
        #expect(events[1].type == .message && events[1].message == nil && events[1].conversation == kim)
        // The read receipt is not a message of the timeline: one send announced.
        #expect(events.filter { $0.type == .status }.count == 1)
        #expect(answer?.hasPrefix("out:") == true)
        // A redelivery is a duplicate: nothing new.
        #expect(await post(FlowChannelTests.text("m1", "where is my order?", from: kim)) == .accepted(new: 0, duplicates: 1, statuses: 0))
        #expect(recorder.current.filter { $0.message == "in:m1" }.count == 1)

        // A flow started through the API, and a person's reply: their outbox items by id.
        #expect(await channel.startFlow("hello", customer: kim) == .started)
        let flowReply = try #require(recorder.current.last)
        #expect(flowReply.type == .message && flowReply.message?.hasPrefix("out:") == true && flowReply.agent == nil)
        guard case .queued(let item) = await channel.reply(to: kim, text: "Lena here.", agent: "Lena") else {
            Issue.record("a reply inside the window is queued")
            return
        }
        #expect(
            recorder.current.last
                == ConversationEvent(.message, conversation: kim, message: "out:\(item)", agent: "Lena", at: recorder.current.last!.at))
        try await eventually("the person's reply sent") { sent("out:\(item)") && sent(flowReply.message!) }

        // Meta's delivery report names its own message id: the conversation is announced.
        #expect(await post(WebhookBody.status("wamid.sent-to-kim", "delivered", to: kim)) == .accepted(new: 0, duplicates: 0, statuses: 1))
        #expect(recorder.current.last?.type == .status && recorder.current.last?.status == "delivered")
        #expect(recorder.current.last?.conversation == kim && recorder.current.last?.message == nil)

        // The hand-over released: the conversation changed.
        #expect(try await channel.unmute(customer: kim))
        #expect(recorder.current.last?.type == .conversation && recorder.current.last?.conversation == kim)
        #expect(try await !channel.unmute(customer: "nobody"))
        #expect(recorder.current.last?.conversation == kim)
    }
}

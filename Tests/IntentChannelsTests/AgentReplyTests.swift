import Foundation
import IntentChannels
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Testing

/// A person answers a handed-over customer through the channel: the reply goes out of the same
/// outbox once, in order, only inside the 24-hour window, and the timeline shows who said what.
@Suite struct AgentReplyTests {
    @Test func aPersonAnswersAHandedOverCustomerOnceAndTheTimelineShowsWhoSaidWhat() async throws {
        let h = try await FlowChannelTests.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let kim = "15551239101"
        #expect(await h.runtime.reply(to: kim, text: "Hello?", agent: "Lena") == .unknownCustomer)
        _ = await h.post(FlowChannelTests.text("a1", "human please", from: kim))
        try await h.settle()
        guard case .queued = await h.runtime.reply(to: kim, text: "Hi Kim, Lena here. Let me check your order.", agent: "Lena") else {
            Issue.record("a reply inside the window is queued")
            return
        }
        try await h.settle()
        // Meta redelivers the customer's message: still one hand-over, one reply.
        _ = await h.post(FlowChannelTests.text("a1", "human please", from: kim))
        try await h.settle()
        #expect(try await h.seen(by: kim) == ["Passing you on.", "Hi Kim, Lena here. Let me check your order."])
        // The bot stays silent while the person has the conversation.
        _ = await h.post(FlowChannelTests.text("a2", "refund?", from: kim))
        try await h.settle()
        #expect(try await h.seen(by: kim).count == 2)

        let timeline = try await h.runtime.timeline(customer: kim, before: nil, limit: 10)
        #expect(timeline.map(\.kind) == ["customer", "agent", "automation", "customer"])
        #expect(timeline.map(\.direction) == [.inbound, .outbound, .outbound, .inbound])
        #expect(timeline[1].agent == "Lena")
        #expect(timeline[1].status == "sent")
        let older = try await h.runtime.timeline(customer: kim, before: timeline[1].at, limit: 10)
        #expect(older.map(\.kind) == ["automation", "customer"])

        // A day later the window is closed: nothing is queued.
        h.offset.withLock { $0 += 25 * 3_600 }
        guard case .windowClosed = await h.runtime.reply(to: kim, text: "Are you there?", agent: "Lena") else {
            Issue.record("a reply after 24 hours must be refused")
            return
        }
        #expect(try await h.store.nextOutboxDue() == nil)
    }
}

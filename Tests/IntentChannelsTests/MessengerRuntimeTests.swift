import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// The Messenger and Instagram channels end to end in process, through the same runtime as
/// WhatsApp's: signed webhooks in, the store, automation and flows, replies out to the fake Send API.
@Suite struct MessengerRuntimeTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"

    /// A stand-in matcher: "refund" answers, "long" answers at length, anything else is unanswered.
    static let decide: ChannelRuntime.Decide = { text, _, rulesOnly, _ in
        if rulesOnly { return .unanswered }
        if text.contains("refund") { return BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") }
        if text.contains("long") { return BotAnswer(answer: longAnswer, entry: "care") }
        return .unanswered
    }

    /// 4,500 characters: over both platforms' limits.
    static let longAnswer = String(repeating: "This sentence is long enough. ", count: 150).trimmingCharacters(in: .whitespaces)

    static let flowFile = """
        flows:
          sizes:
            name: Sizes
            trigger: {keyword: ["size"]}
            start: pick
            steps:
              pick: {buttons: "Which size?", options: {s: Small, m: Medium, l: Large}, save: size, next: done}
              done: {say: "Noted: size {{size}}.", end: true}
        """

    static func harness(_ platform: MessengerSettings.Platform = .messenger) async throws -> MessengerHarness {
        var options = MessengerHarness.Options(decide: decide)
        options.flows = FlowLibrary(try FlowFile.parse(flowFile, file: "flows.yaml"))
        return try await .messenger(platform, secret: secret, options)
    }

    @Test func aMessageIsAnsweredOnItsChannelOnceAndItsDeliveryRecorded() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let psid = "6100000000000101"
        let body = MessagingBody.message(mid: "m_r1", from: psid, text: "I want a refund")
        #expect(await h.post(body) == .accepted(new: 1, duplicates: 0, statuses: 0))
        let sends = try await h.fake.waitForSends { $0.count >= 2 }
        #expect(sends.count == 2)
        #expect(sends.first?["sender_action"] as? String == "mark_seen")
        #expect((sends.first?["recipient"] as? [String: Any])?["id"] as? String == psid)
        #expect((sends.last?["message"] as? [String: Any])?["text"] as? String == "Refunds take 5 days.")
        #expect(sends.last?["messaging_type"] as? String == "RESPONSE")
        // Meta redelivers: the same mid is a duplicate, answered once.
        #expect(await h.post(body) == .accepted(new: 0, duplicates: 1, statuses: 0))
        try await h.settle()
        #expect(try await h.fake.messages(to: psid).count == 1)

        let conversation = try #require(try await h.store.conversation(customer: "messenger:\(psid)"))
        #expect(conversation.identity == ChannelIdentity(channel: "messenger", id: psid))
        #expect(try await h.store.conversation(customer: psid) == nil)
        // Meta's delivery names the message id it gave the answer.
        let timeline = try await h.store.timeline(customer: "messenger:\(psid)", before: nil, limit: 10)
        let answer = try #require(timeline.first { $0.direction == .outbound && $0.text == "Refunds take 5 days." })
        let mids = try await h.fake.ids()
        #expect(await h.post(MessagingBody.delivery(mids, from: psid)) == .accepted(new: 0, duplicates: 0, statuses: 1))
        let delivered = try await h.store.timeline(customer: "messenger:\(psid)", before: nil, limit: 10).first { $0.id == answer.id }
        #expect(delivered?.status == "delivered")
        await h.runtime.refreshStatistics()
        #expect(h.runtime.statistics.sent == 1)
        #expect(h.runtime.statistics.triggers["faq:refund_request"] == ChannelStatistics.Usage(count: 1, customers: 1))
    }

    @Test func aFlowsButtonsAreQuickRepliesAndATapAdvancesIt() async throws {
        for platform in MessengerSettings.Platform.allCases {
            let h = try await Self.harness(platform)
            let run = Task { await h.runtime.run() }
            defer { run.cancel() }
            let customer = platform == .messenger ? "6100000000000102" : "1780000000000102"
            let account = platform == .messenger ? "104000000000001" : "17841400000000001"
            _ = await h.post(MessagingBody.message(mid: "m_f1", from: customer, text: "What size do I need?", platform: platform, account: account))
            try await h.settle()
            let prompt = try #require(try await h.fake.messages(to: customer).last)
            #expect(prompt["text"] as? String == "Which size?")
            let replies = try #require(prompt["quick_replies"] as? [[String: Any]])
            #expect(replies.map { $0["payload"] as? String ?? "" } == ["s", "m", "l"])
            #expect(replies.map { $0["title"] as? String ?? "" } == ["Small", "Medium", "Large"])
            // The customer taps "Medium": Meta sends the title as text and the payload.
            _ = await h.post(
                MessagingBody.message(mid: "m_f2", from: customer, text: "Medium", quickReply: "m", platform: platform, account: account))
            try await h.settle()
            #expect(try await h.fake.messages(to: customer).last?["text"] as? String == "Noted: size m.")
            let conversation = try await h.store.conversation(customer: "\(platform.name):\(customer)")
            #expect(conversation?.flowRun == nil)
        }
    }

    @Test func reactionsAndStoryRepliesAreRecordedWithoutASendOrAHandOver() async throws {
        let h = try await Self.harness(.instagram)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let customer = "1780000000000103"
        let account = "17841400000000001"
        #expect(
            await h.post(
                MessagingBody.message(mid: "aWdf1", from: customer, text: "So pretty!", storyReply: true, platform: .instagram, account: account))
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        #expect(
            await h.post(MessagingBody.reaction(to: "aWdfOurs", from: customer, emoji: "❤️", platform: .instagram, account: account))
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        try await h.settle()
        #expect(try await h.fake.sent().isEmpty)
        let conversation = try #require(try await h.store.conversation(customer: "instagram:\(customer)"))
        #expect(conversation.mutedUntil == nil)
        let timeline = try await h.store.timeline(customer: "instagram:\(customer)", before: nil, limit: 10)
        #expect(Set(timeline.map(\.type)) == ["story_reply", "reaction"])
    }

    @Test func aLongAnswerIsQueuedAsPartsThatAreSentAndRetriedEachAlone() async throws {
        for platform in MessengerSettings.Platform.allCases {
            let h = try await Self.harness(platform)
            let run = Task { await h.runtime.run() }
            defer { run.cancel() }
            let customer = platform == .messenger ? "6100000000000104" : "1780000000000104"
            let account = platform == .messenger ? "104000000000001" : "17841400000000001"
            // The read receipt and the first part go; the second part meets a rate limit once.
            try await h.fake.control(["script": [["mode": "ok"], ["mode": "ok"], ["mode": "error", "code": 613]]])
            _ = await h.post(MessagingBody.message(mid: "m_l1", from: customer, text: "the long story, please", platform: platform, account: account))
            try await h.settle()
            let texts = try await h.fake.messages(to: customer).compactMap { $0["text"] as? String }
            #expect(texts.count == (platform == .messenger ? 3 : 5), "\(platform)")
            #expect(texts.allSatisfy { $0.count <= platform.maxTextLength && $0.hasSuffix(".") })
            // Each part once, in order: the retried part went alone, the first never again.
            #expect(texts.joined(separator: " ") == Self.longAnswer)
            let timeline = try await h.store.timeline(customer: "\(platform.name):\(customer)", before: nil, limit: 20)
            let items = timeline.filter { $0.direction == .outbound && $0.type == "text" }
            #expect(items.count == texts.count && items.allSatisfy { $0.status == "sent" && $0.basis?.entry == "care" })
            await h.runtime.refreshStatistics()
            #expect(h.runtime.statistics.sent == texts.count && h.runtime.statistics.failed == 0)
        }
    }

    @Test func aTextStillOverTheLimitWhenItsTurnComesFailsUncut() async throws {
        let h = try await Self.harness(.instagram)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let customer = "1780000000000105"
        _ = await h.post(MessagingBody.message(mid: "m_o1", from: customer, text: "hello", platform: .instagram, account: "17841400000000001"))
        try await h.settle()
        let before = try await h.fake.sent().count
        // Queued past the runtime's splitting (as an item queued before a lower limit would be).
        _ = try await h.store.advance(customer: "instagram:\(customer)", at: Date(), finishing: nil) { conversation in
            ConversationPlan(conversation: conversation, replies: [.text(Self.longAnswer)], triggers: [])
        }
        try await h.settle()
        #expect(try await h.fake.sent().count == before)
        let failed = try #require(
            try await h.store.timeline(customer: "instagram:\(customer)", before: nil, limit: 20).first { $0.text == Self.longAnswer })
        #expect(failed.status == "failed")
        #expect(failed.error == "the text is 4499 characters, over the 1000 instagram takes: not sent rather than cut")
    }
}

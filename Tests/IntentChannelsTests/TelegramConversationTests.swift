import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// The Telegram channel under the channel-neutral runtime, end to end in process: updates in,
/// the store, the automation and flows, replies out to the fake Bot API.
@Suite struct TelegramConversationTests {
    static let secret = "hook-secret_\(UUID().uuidString.prefix(8))"

    /// A stand-in matcher: "refund" answers, "smile" answers at length, anything else is unanswered.
    static let decide: ChannelRuntime.Decide = { text, _, _, _ in
        if text.contains("smile") { return BotAnswer(answer: smiles, entry: "smiles") }
        return text.contains("refund") ? BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") : .unanswered
    }

    /// 2,000 emoji are 4,000 UTF-16 code units: with the words, over Telegram's limit though far
    /// under 4,096 characters.
    static let smiles = String(repeating: "🙂", count: 2_000) + ". " + String(repeating: "word ", count: 30).trimmingCharacters(in: .whitespaces)

    static let flowFile = """
        flows:
          sizes:
            name: Size advice
            trigger: {keyword: ["size"]}
            start: pick
            steps:
              pick: {buttons: "Which size do you wear?", options: {size_s: Small, size_m: Medium, size_l: Large}, save: size, next: done}
              done: {say: "Noted: {{size}}. Our Medium fits most.", end: true}
        """

    static func harness() async throws -> TelegramHarness {
        var options = TelegramHarness.Options(decide: decide)
        options.flows = FlowLibrary(try FlowFile.parse(flowFile, file: "flows.yaml"))
        return try await .telegram(secret: secret, options)
    }

    @Test func aMessageIsAnsweredInItsChatQuotingItAndARedeliveryIsADuplicate() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let body = TelegramUpdateBody.text(update: 700_001, chat: 5_550_101, messageID: 42, "我要 refund 退款")
        #expect(await h.post(body) == .accepted(new: 1, duplicates: 0, statuses: 0))
        let calls = try await h.fake.waitForCalls { $0.count >= 1 }
        try await h.settle()
        #expect(await h.post(body) == .accepted(new: 0, duplicates: 1, statuses: 0))
        try await h.settle()
        // The read receipt is no call on Telegram: the answer is the only one.
        #expect(calls.count == 1 && calls.first?["method"] as? String == "sendMessage")
        let answer = try #require(calls.first?["body"] as? [String: Any])
        #expect((answer["chat_id"] as? NSNumber)?.int64Value == 5_550_101 && answer["text"] as? String == "Refunds take 5 days.")
        #expect((answer["reply_parameters"] as? [String: Any])?["message_id"] as? Int == 42)
        #expect(try await h.fake.calls().count == 1)

        let conversation = try #require(try await h.store.conversation(customer: "telegram:5550101"))
        #expect(conversation.identity == ChannelIdentity(channel: "telegram", id: "5550101") && conversation.name == "Kerry Lin")
        await h.runtime.refreshStatistics()
        #expect(h.runtime.statistics.sent == 1 && h.runtime.statistics.failed == 0)
        #expect(h.runtime.statistics.triggers["faq:refund_request"] == ChannelStatistics.Usage(count: 1, customers: 1))
    }

    @Test func aFlowsButtonsAreAnInlineKeyboardAndAPressAnswersTheStep() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(TelegramUpdateBody.text(update: 700_101, chat: 5_550_102, messageID: 50, "size?"))
        let offered = try await h.fake.waitForCalls { $0.count >= 1 }
        let prompt = try #require(offered.first?["body"] as? [String: Any])
        #expect(prompt["text"] as? String == "Which size do you wear?")
        let keyboard = (prompt["reply_markup"] as? [String: Any])?["inline_keyboard"] as? [[[String: String]]]
        #expect(keyboard?.map { $0.first?["callback_data"] ?? "" } == ["size_s", "size_m", "size_l"])
        let sentID = try #require((offered.first?["result"] as? [String: Any])?["message_id"] as? Int)
        try await h.settle()

        // The customer presses Medium on that message.
        _ = await h.post(
            TelegramUpdateBody.callback(
                update: 700_102, chat: 5_550_102, query: "5529471031337", data: "size_m", messageID: Int64(sentID),
                buttons: [("Small", "size_s"), ("Medium", "size_m"), ("Large", "size_l")]))
        let calls = try await h.fake.waitForCalls { $0.count >= 3 }
        try await h.settle()
        let methods = calls.map { $0["method"] as? String ?? "" }
        #expect(methods == ["sendMessage", "answerCallbackQuery", "sendMessage"], "the spinner stops before the answer")
        #expect((calls[1]["body"] as? [String: Any])?["callback_query_id"] as? String == "5529471031337")
        #expect((calls[2]["body"] as? [String: Any])?["text"] as? String == "Noted: size_m. Our Medium fits most.")
        let conversation = try await h.store.conversation(customer: "telegram:5550102")
        #expect(conversation != nil && conversation?.flowRun == nil, "the flow ended")
        let figures = FlowFigures.of(h.runtime.flows.current.set.flows, in: try await h.store.statistics()).first { $0.id == "sizes" }
        #expect(figures?.completed == 1, "\(String(describing: figures))")
    }

    @Test func anEditIsRecordedNotAnsweredAndABlockedChatFailsWithoutRetries() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(TelegramUpdateBody.text(update: 700_201, chat: 5_550_103, messageID: 60, "refund?"))
        _ = try await h.fake.waitForCalls { $0.count >= 1 }
        try await h.settle()
        _ = await h.post(
            TelegramUpdateBody.message(update: 700_202, chat: 5_550_103, messageID: 60, fields: ["text": "refund!!"], kind: "edited_message"))
        try await h.settle()
        #expect(try await h.fake.texts(to: 5_550_103) == ["Refunds take 5 days."], "the edit is not answered again")
        let timeline = try await h.store.timeline(customer: "telegram:5550103", before: nil, limit: 10)
        #expect(timeline.first?.type == "edited" && timeline.first?.text == "refund!!", "\(timeline.map(\.type))")

        // A customer who blocked the bot: the answer fails at once, the first try the last.
        try await h.fake.control(["blocked": ["5550104"]])
        _ = await h.post(TelegramUpdateBody.text(update: 700_203, chat: 5_550_104, messageID: 61, "refund"))
        try await h.settle()
        #expect(try await h.fake.stats()["rejected"] as? Int == 1)
        await h.runtime.refreshStatistics()
        #expect(h.runtime.statistics.failed == 1 && h.runtime.statistics.pending == 0)
        let failed = try await h.store.timeline(customer: "telegram:5550104", before: nil, limit: 10).first { $0.direction == .outbound }
        #expect(failed?.error == "sendMessage: 403 Forbidden: bot was blocked by the user", "\(String(describing: failed))")
        // ... and the contact says so, for the people in the inbox.
        try await eventually("the contact marked unreachable") {
            try await h.store.conversation(customer: "telegram:5550104")?.tags.contains("unreachable") == true
        }
        let marked = try await h.store.conversation(customer: "telegram:5550104")
        #expect(marked?.attributes["unreachable_telegram"]?.hasSuffix(": sendMessage: 403 Forbidden: bot was blocked by the user") == true)
    }

    @Test func aLongAnswerIsSplitAsTelegramCountsQuotingOnItsFirstPart() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(TelegramUpdateBody.text(update: 700_301, chat: 5_550_105, messageID: 70, "make me smile"))
        try await h.settle()
        let bodies = try await h.fake.calls().compactMap { $0["body"] as? [String: Any] }
        let texts = bodies.compactMap { $0["text"] as? String }
        #expect(texts.count == 2)
        #expect(texts.allSatisfy { $0.utf16.count <= TelegramOutgoing.maxTextLength })
        #expect(texts.first?.hasSuffix("🙂.") == true, "cut at the sentence")
        #expect(texts.joined(separator: " ") == Self.smiles)
        #expect(bodies.first?["reply_parameters"] != nil && bodies.last?["reply_parameters"] == nil)
        await h.runtime.refreshStatistics()
        #expect(h.runtime.statistics.sent == 2)
    }
}

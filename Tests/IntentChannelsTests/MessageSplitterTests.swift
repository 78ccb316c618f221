import Foundation
import Testing

@testable import IntentChannels

/// Long replies split at sentences within each channel's limit, counted as the channel counts,
/// into drafts that the runtime queues one by one.
@Suite struct MessageSplitterTests {
    @Test func splitsAtSentencesWithinTheLimit() {
        let text = "First sentence here. Second one! 第三句话。" + String(repeating: "x", count: 30)
        let parts = MessageSplitter.split(text, limit: 25)
        #expect(parts.allSatisfy { $0.count <= 25 })
        #expect(parts.first == "First sentence here.")
        #expect(parts.joined().replacingOccurrences(of: " ", with: "") == text.replacingOccurrences(of: " ", with: ""))
        #expect(MessageSplitter.split("short", limit: 25) == ["short"])
        // No sentence end nor space: cut hard, whole characters only.
        #expect(MessageSplitter.split(String(repeating: "a", count: 9_000), limit: 4_096).map(\.count) == [4_096, 4_096, 808])
    }

    @Test func countsAsTheChannelCounts() {
        // 2,000 emoji are 4,000 UTF-16 code units: with the words, over Telegram's 4,096 though
        // far under 4,096 characters.
        let text = String(repeating: "🙂", count: 2_000) + ". " + String(repeating: "word ", count: 30)
        #expect(MessageSplitter.split(text, limit: 4_096).count == 1)
        let parts = MessageSplitter.split(text, limit: 4_096, measure: .utf16)
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.utf16.count <= 4_096 })
        #expect(parts.first?.hasSuffix("🙂.") == true, "cut at the sentence")
        // An emoji with a skin tone is one character, two Unicode scalars, four UTF-16 code units.
        let toned = String(repeating: "👍🏽", count: 10)
        #expect(MessageSplitter.split(toned, limit: 10, measure: .characters) == [toned])
        #expect(MessageSplitter.split(toned, limit: 10, measure: .unicodeScalars).map(\.count) == [5, 5])
        #expect(MessageSplitter.split(toned, limit: 10, measure: .utf16).map(\.count) == [2, 2, 2, 2, 2])
    }

    @Test func aLongDraftQuotesOnItsFirstPartAndKeepsItsButtonsForTheLast() {
        let text = String(repeating: "This sentence is long enough. ", count: 10)  // 300 characters
        let options = [Flow.Option(id: "yes", title: "Yes"), Flow.Option(id: "no", title: "No")]
        let basis = AnswerBasis(entry: "sizes", rule: nil, score: 0.9)
        let draft = OutboundDraft(kind: .buttons, body: text, context: "wamid.in", options: options, origin: .flow, basis: basis)
        let parts = MessageSplitter.split(draft, limit: 100, measure: .characters)
        #expect(parts.count == 4)
        #expect(parts.map(\.kind) == [.text, .text, .text, .buttons])
        #expect(parts.map(\.context) == ["wamid.in", nil, nil, nil])
        #expect(parts.dropLast().allSatisfy { $0.options.isEmpty } && parts.last?.options == options)
        #expect(parts.allSatisfy { $0.origin == .flow && $0.basis == basis && $0.body.count <= 100 && $0.body.hasSuffix(".") })
        // Within the limit, and kinds that carry no text to split: as they were.
        let padded = OutboundDraft.text("  Hello.  ", quoting: "wamid.in")
        #expect(MessageSplitter.split(padded, limit: 100, measure: .characters) == [padded])
        let template = OutboundDraft(kind: .template, body: String(repeating: "{}", count: 100))
        #expect(MessageSplitter.split(template, limit: 10, measure: .characters) == [template])
        #expect(MessageSplitter.split(.read("wamid.in"), limit: 1, measure: .characters) == [.read("wamid.in")])
    }

    @Test func eachChannelsRepliesAreSplitToItsOwnLimit() {
        let whatsapp = ChatChannelStub(name: "whatsapp", maxTextLength: 4_096)
        let instagram = ChatChannelStub(name: "instagram", maxTextLength: 1_000)
        let telegram = ChatChannelStub(name: "telegram", maxTextLength: 4_096, textMeasure: .utf16)
        let splitter = ReplySplitter([whatsapp, instagram, telegram])
        let text = String(repeating: "Ünïcödé sentence 🙂. ", count: 150)  // 3,000 characters, 3,150 UTF-16 code units
        let reply = [OutboundDraft.text(text)]
        #expect(splitter.split(reply, on: "whatsapp").count == 1)
        #expect(splitter.split(reply, on: "instagram").count == 3)
        #expect(splitter.split(reply, on: "telegram").count == 1)
        let longer = [OutboundDraft.text(text + text)]
        #expect(splitter.split(longer, on: "whatsapp").count == 2)
        #expect(splitter.split(longer, on: "telegram").allSatisfy { $0.body.utf16.count <= 4_096 })
        // A channel no longer configured keeps WhatsApp's 4,096 characters.
        #expect(splitter.split(longer, on: "gone").count == 2)
        // A plan goes where its recipient is, when it names one.
        var plan = ConversationPlan(conversation: nil, replies: reply, triggers: [])
        #expect(splitter.split(plan, on: "whatsapp").replies.count == 1)
        plan.recipient = ChannelIdentity(channel: "instagram", id: "1780000000000001")
        #expect(splitter.split(plan, on: "whatsapp").replies.count == 3)
    }

    /// WhatsApp's buttons and lists carry at most 1,024 Unicode scalars of text: a longer choice
    /// text goes first as text messages, and the buttons with its last part, whole.
    @Test func aChoiceTextOverItsOwnLimitGoesFirstAsText() {
        let whatsapp = ChatChannelStub(name: "whatsapp", maxTextLength: 4_096, choiceTextLimit: (1_024, .unicodeScalars))
        let splitter = ReplySplitter([whatsapp])
        let options = [Flow.Option(id: "yes", title: "Yes"), Flow.Option(id: "no", title: "No")]
        // 2,000 characters of 2 Unicode scalars each (e + U+0301): 4,000 scalars, within WhatsApp's
        // 4,096-character text but not its 1,024-scalar choice.
        let sentence = String(repeating: "e\u{301}", count: 99) + ". "
        let body = String(repeating: sentence, count: 20)
        let parts = splitter.split([OutboundDraft(kind: .buttons, body: body, context: "wamid.in", options: options)], on: "whatsapp")
        #expect(parts.map(\.kind) == [.text, .text, .text, .buttons], "5 sentences of 200 scalars a part")
        #expect(parts.first?.context == "wamid.in" && parts.last?.options == options)
        #expect(parts.allSatisfy { $0.body.count <= 4_096 })
        #expect(parts.last.map { $0.body.unicodeScalars.count <= 1_024 && $0.body.hasSuffix(".") } == true)
        #expect(parts.map(\.body).joined(separator: " ") == body.trimmingCharacters(in: .whitespaces))
        // Within both limits, and a plain text of the same length: as they were.
        let short = OutboundDraft(kind: .list, body: "Which one?", options: options)
        #expect(splitter.split([short], on: "whatsapp") == [short])
        #expect(splitter.split([OutboundDraft.text(body)], on: "whatsapp").count == 1)
        // A channel without a lower choice limit sends the choice whole.
        #expect(ReplySplitter([ChatChannelStub(name: "telegram", maxTextLength: 4_096)]).split(parts.suffix(1), on: "telegram").count == 1)
    }

    /// A channel that only states its limits.
    struct ChatChannelStub: ChatChannel {
        var name: String
        var maxTextLength: Int
        var textMeasure: TextMeasure = .characters
        var choiceTextLimit: (length: Int, measure: TextMeasure)? = nil
        var messagesPerSecond: Double { 1 }
        var replyWindow: TimeInterval? { nil }
        var maxWebhookBytes: Int { 1_024 }
        func read(webhook body: [UInt8], headers: [String: String], receivedAt: Date) -> WebhookReading { .malformed("a stub") }
        func send(_ item: OutboxItem) async -> SendOutcome { .failed("a stub") }
    }
}

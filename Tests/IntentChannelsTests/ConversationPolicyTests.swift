import Foundation
import Testing

@testable import IntentChannels

@Suite struct ConversationPolicyTests {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    /// Weekdays 09:00-18:00, Saturday 22:00-02:00 (crossing midnight), closed on 2026-10-01.
    static let automation: Automation = {
        var ranges = [[OpeningHours.Range]](repeating: [], count: 7)
        for day in 1...5 { ranges[day] = [OpeningHours.range("09:00-18:00")!] }
        ranges[6] = [OpeningHours.range("22:00-02:00")!]
        return Automation(
            timeZone: shanghai, greeting: .init(text: "Welcome!", afterDays: 14),
            away: .init(text: "We are closed.", hours: OpeningHours(ranges: ranges, holidays: ["2026-10-01"], timeZone: shanghai)),
            handover: .init(text: "A colleague will reply.", muteMinutes: 120), nonText: .init(text: nil, handover: true))
    }()

    static let policy = ConversationPolicy(automation: automation, fallbackReply: "Sorry?")

    /// A moment given as Shanghai wall-clock time.
    static func at(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = shanghai
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    static func message(_ id: String, _ text: String?, at date: Date, type: String = "text") -> InboundMessage {
        InboundMessage(id: id, customer: "8613800000000", phoneNumberID: "1", type: type, text: text, sentAt: date)
    }

    static let refund = BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request")

    func texts(_ plan: ConversationPlan) -> [String] { plan.replies.filter { $0.kind == .text }.map(\.body) }

    @Test func openingHoursCrossMidnightAndHolidaysCloseAllDay() {
        let hours = Self.automation.away!.hours
        #expect(hours.isOpen(at: Self.at("2026-11-30 09:00")))  // Monday
        #expect(!hours.isOpen(at: Self.at("2026-11-30 18:00")))  // the end is exclusive
        #expect(!hours.isOpen(at: Self.at("2026-11-30 08:59")))
        #expect(hours.isOpen(at: Self.at("2026-11-28 23:30")))  // Saturday night
        #expect(hours.isOpen(at: Self.at("2026-11-29 01:59")))  // ...into Sunday
        #expect(!hours.isOpen(at: Self.at("2026-11-29 02:00")))
        #expect(!hours.isOpen(at: Self.at("2026-11-29 12:00")))  // Sunday is not listed
        #expect(!hours.isOpen(at: Self.at("2026-10-01 10:00")))  // a Thursday, but a holiday
        #expect(OpeningHours.range("13:00-24:00") == OpeningHours.Range(start: 780, end: 1_440))
        for bad in ["9:00-18:00", "09:00", "25:00-26:00", "10:00-10:00", "24:30-25:00", "09:60-10:00"] {
            #expect(OpeningHours.range(bad) == nil, "\(bad)")
        }
    }

    @Test func greetsTheFirstMessageAndAfterSilenceOnly() {
        let monday = Self.at("2026-11-30 10:00")
        let first = Self.policy.plan(Self.message("m1", "refund?", at: monday), answer: Self.refund, conversation: nil, now: monday)
        #expect(first.replies.first == .read("m1"))
        #expect(texts(first) == ["Welcome!", "Refunds take 5 days."])
        #expect(first.replies.last?.context == "m1")
        #expect(first.triggers == [.greeting, .entry("refund_request")])

        let later = monday.addingTimeInterval(3_600)
        let second = Self.policy.plan(Self.message("m2", "refund?", at: later), answer: Self.refund, conversation: first.conversation, now: later)
        #expect(texts(second) == ["Refunds take 5 days."])

        let weeksLater = Self.at("2026-12-14 11:00")  // exactly 14 days after the last message
        let back = Self.policy.plan(
            Self.message("m3", "refund?", at: weeksLater), answer: Self.refund, conversation: second.conversation, now: weeksLater)
        #expect(texts(back) == ["Welcome!", "Refunds take 5 days."])
        #expect(back.conversation?.firstInboundAt == monday)
    }

    @Test func theAppsLanguageStartsTheContactsLanguageAndStandsInForWordsThatTellNone() throws {
        let monday = Self.at("2026-11-30 10:00")
        var message = Self.message("l1", "ok", at: monday)
        message.language = "pt-br"
        let first = Self.policy.plan(message, answer: .unanswered, conversation: nil, now: monday)
        #expect(first.conversation?.attributes["language"] == "pt", "the ISO 639-1 part")
        // A contact with a language keeps it (a flow may have set it), whatever the app says.
        var later = Self.message("l2", "ok", at: monday.addingTimeInterval(60))
        later.language = "es"
        var known = try #require(first.conversation)
        known.attributes["language"] = "fr"
        #expect(Self.policy.plan(later, answer: .unanswered, conversation: known, now: later.sentAt).conversation?.attributes["language"] == "fr")
        // A tag that names no language sets nothing.
        var odd = Self.message("l3", "ok", at: monday)
        odd.language = "x-klingon"
        #expect(Self.policy.plan(odd, answer: .unanswered, conversation: nil, now: monday).conversation?.attributes["language"] == nil)

        // The language of a message: its words when they tell one, else the contact's, else the app's.
        #expect(ContactLanguage.of(later, contact: known) == "fr")
        #expect(ContactLanguage.of(later, contact: nil) == "es")
        var worded = later
        worded.text = "¿Dónde está mi pedido?"
        #expect(ContactLanguage.of(worded, contact: known) == "es")
        #expect(ContactLanguage.known(for: Self.message("l4", "ok", at: monday), contact: nil) == nil)
        #expect(ContactLanguage.code(ofTag: "zh-Hans") == "zh" && ContactLanguage.code(ofTag: "en_US") == "en")
        // A "did you mean" choice asks in it.
        let choices = BotAnswer(answer: nil, choices: [.init(id: "a", title: "A?"), .init(id: "b", title: "B?")])
        let asked = Self.policy.plan(later, answer: choices, conversation: nil, now: later.sentAt)
        let spanish = ChoicePrompt.draft(choices.choices, language: "es", quoting: "l2").body
        #expect(asked.replies.first { $0.kind == .buttons }?.body == spanish)
    }

    @Test func awayOncePerLocalDayAndOneApologyIsEnough() {
        let night = Self.at("2026-11-30 20:00")
        let first = Self.policy.plan(Self.message("n1", "hmm", at: night), answer: .unanswered, conversation: nil, now: night)
        // Closed and unanswered: the away text stands in for the fallback reply.
        #expect(texts(first) == ["Welcome!", "We are closed."])
        #expect(first.triggers == [.greeting, .away])
        let later = night.addingTimeInterval(1_800)
        let second = Self.policy.plan(Self.message("n2", "refund", at: later), answer: Self.refund, conversation: first.conversation, now: later)
        #expect(texts(second) == ["Refunds take 5 days."])
        let unanswered = Self.policy.plan(Self.message("n3", "?", at: later), answer: .unanswered, conversation: second.conversation, now: later)
        #expect(texts(unanswered).isEmpty)
        #expect(unanswered.replies == [.read("n3")])
        // The next local day (Shanghai), still closed: away again.
        let nextMorning = Self.at("2026-12-01 07:00")
        let next = Self.policy.plan(
            Self.message("n4", "?", at: nextMorning), answer: .unanswered, conversation: unanswered.conversation, now: nextMorning)
        #expect(texts(next) == ["We are closed."])
        // Open: the fallback reply.
        let open = Self.at("2026-12-01 09:30")
        let daytime = Self.policy.plan(Self.message("n5", "?", at: open), answer: .unanswered, conversation: next.conversation, now: open)
        #expect(texts(daytime) == ["Sorry?"])
        #expect(daytime.triggers == [.fallback])
    }

    @Test func handOverMutesTheBotUntilTheTimeIsUp() {
        let now = Self.at("2026-11-30 10:00")
        let known = Conversation(customer: "8613800000000", firstInboundAt: now.addingTimeInterval(-60), lastInboundAt: now.addingTimeInterval(-60))
        let human = BotAnswer(answer: "Sure.", rule: "human_handover", handover: true)
        let handover = Self.policy.plan(Self.message("h1", "人工", at: now), answer: human, conversation: known, now: now)
        #expect(texts(handover) == ["A colleague will reply."])
        #expect(handover.triggers == [.rule("human_handover"), .handover])
        #expect(handover.conversation?.mutedUntil == now.addingTimeInterval(7_200))
        // Muted: recorded, nothing sent, not even a read receipt (a person has the chat).
        let soon = now.addingTimeInterval(600)
        let muted = Self.policy.plan(Self.message("h2", "refund", at: soon), answer: Self.refund, conversation: handover.conversation, now: soon)
        #expect(muted.replies.isEmpty)
        #expect(muted.triggers.isEmpty)
        #expect(muted.conversation?.lastInboundAt == soon)
        let after = now.addingTimeInterval(7_201)
        let back = Self.policy.plan(Self.message("h3", "refund", at: after), answer: Self.refund, conversation: muted.conversation, now: after)
        #expect(texts(back) == ["Refunds take 5 days."])
        #expect(back.conversation?.mutedUntil == nil)
    }

    @Test func theBotsAnswerKeepsTheEntryOrRuleAndScoreItCameFrom() {
        let now = Self.at("2026-11-30 10:00")
        let known = Conversation(customer: "8613800000000", firstInboundAt: now, lastInboundAt: now)
        let scored = BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request", score: 0.83)
        let answered = Self.policy.plan(Self.message("s1", "refund?", at: now), answer: scored, conversation: known, now: now)
        let reply = answered.replies.first { $0.kind == .text }
        #expect(reply?.body == "Refunds take 5 days." && reply?.origin == .bot)
        #expect(reply?.basis == AnswerBasis(entry: "refund_request", rule: nil, score: 0.83))
        // A hand-over a rule decided says which rule; the fallback and the greeting come from nothing.
        let human = BotAnswer(answer: "Sure.", rule: "human_handover", handover: true)
        let handover = Self.policy.plan(Self.message("s2", "人工", at: now), answer: human, conversation: known, now: now)
        #expect(handover.replies.first { $0.kind == .text }?.basis == AnswerBasis(entry: nil, rule: "human_handover", score: nil))
        let fallback = Self.policy.plan(Self.message("s3", "??", at: now), answer: .unanswered, conversation: known, now: now)
        #expect(texts(fallback) == ["Sorry?"] && fallback.replies.allSatisfy { $0.basis == nil })
        let greeted = Self.policy.plan(Self.message("s4", "refund?", at: now), answer: scored, conversation: nil, now: now)
        #expect(greeted.replies.filter { $0.kind == .text }.map { $0.basis?.entry } == [nil, "refund_request"])
        // A score that is no number is dropped rather than stored.
        #expect(AnswerBasis(entry: "x", rule: nil, score: .nan)?.score == nil)
        #expect(AnswerBasis(entry: nil, rule: nil, score: 0.5) == nil)
    }

    @Test func nonTextMessagesGetTheConfiguredReplyOrAHandOver() {
        let now = Self.at("2026-11-30 10:00")
        let known = Conversation(customer: "8613800000000", firstInboundAt: now, lastInboundAt: now)
        // A caption is not text: the image is handed over as any image, its caption never answered.
        var captioned = Self.message("i1", nil, at: now, type: "image")
        captioned.caption = "refund please"
        let image = Self.policy.plan(captioned, answer: nil, conversation: known, now: now)
        #expect(texts(image) == ["A colleague will reply."])
        #expect(image.triggers == [.handover])
        #expect(image.conversation?.mutedUntil != nil)

        var replying = Self.policy
        replying.automation.nonText = .init(text: "Text only, please.", handover: false)
        let sticker = replying.plan(Self.message("i2", nil, at: now, type: "sticker"), answer: nil, conversation: known, now: now)
        #expect(texts(sticker) == ["Text only, please."])
        #expect(sticker.conversation.map { $0.mutedUntil == nil } == true)
        // A reaction asks for nothing.
        let reaction = replying.plan(Self.message("i3", nil, at: now, type: "reaction"), answer: nil, conversation: known, now: now)
        #expect(reaction.replies.isEmpty)
    }

    @Test func instagramStoryRepliesAndMentionsAreRecordedAndNeverAnsweredNorHandedOver() {
        let now = Self.at("2026-11-30 10:00")
        let earlier = now.addingTimeInterval(-3_600)
        let known = Conversation(customer: "instagram:17841400000000001", firstInboundAt: earlier, lastInboundAt: earlier)
        for type in ["story_reply", "story_mention", "reaction"] {
            // Words with them (a story reply's text, a reaction's emoji) change nothing: the
            // matcher is not asked, no read receipt, no hand-over, no fallback.
            let plan = Self.policy.plan(Self.message(type, "love this 😍", at: now, type: type), answer: Self.refund, conversation: known, now: now)
            #expect(plan.replies.isEmpty, "\(type)")
            #expect(plan.triggers.isEmpty, "\(type)")
            #expect(plan.conversation?.mutedUntil == nil, "\(type)")
            // The customer wrote: the reply window runs from now.
            #expect(plan.conversation?.lastInboundAt == now, "\(type)")
        }
    }

    @Test func theAutomationFileReportsEveryProblemWithItsLine() throws {
        let text = """
            timezone: Mars/Olympus
            greeting: {after_days: 14}
            away:
              text: "closed"
              hours: {mon: ["9-18"], funday: ["10:00-11:00"]}
              holidays: ["2026-13-01"]
            handover: {text: "hi", mute_minutes: 1.5}
            colour: blue
            csat: {thanks: "merci"}
            """
        do {
            _ = try AutomationFile.parse(text, file: "automation.yaml")
            Issue.record("an invalid file must throw")
        } catch let error as AutomationFile.Invalid {
            let lines = error.problems
            #expect(lines.contains { $0.hasPrefix("automation.yaml:1: timezone: 'Mars/Olympus'") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:2: greeting.text: missing") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:5: away.hours.mon: '9-18'") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:5: away.hours.funday: unknown key") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:6: away.holidays: '2026-13-01'") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:7: handover.mute_minutes") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:8: colour: unknown key") })
            #expect(lines.contains { $0.hasPrefix("automation.yaml:9: csat.question: missing") })
            #expect(lines.count == 8, "\(lines)")
        }
    }

    @Test func theSampleAutomationFileLoads() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let automation = try AutomationFile.load(path: root.path + "/corpus/automation.yaml")
        #expect(automation.timeZone.identifier == "Asia/Shanghai")
        #expect(automation.greeting?.afterDays == 14)
        #expect(automation.handover.muteMinutes == 120)
        #expect(automation.nonText.handover == false)
        #expect(automation.csat?.question.hasPrefix("How did we do") == true)
        #expect(automation.isClosed(at: Self.at("2026-10-01 10:00")))
        #expect(!automation.isClosed(at: Self.at("2026-11-30 10:00")))
        #expect(automation.isClosed(at: Self.at("2026-11-30 12:30")))  // lunch
    }
}

import Foundation
import IntentChannels
import IntentCore
import IntentSQLite
import IntentTestSupport
import Testing

/// A hand-over through the inbox's life: waiting for a person, taken by the one who replies,
/// passed on, tagged, read, noted, resolved with a satisfaction question, and the bot's again.
@Suite struct InboxChannelTests {
    static let survey = Automation.Survey(question: "How did we do?", thanks: "Thank you for your feedback!")

    @Test func aHandOverWaitsIsTakenResolvedWithASurveyAndIsTheBotsAgain() async throws {
        var automation = Automation.none
        automation.csat = Self.survey
        let h = try await FlowChannelTests.harness(automation: automation)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let kim = "15551239201"
        func status() async throws -> Conversation.Handling? {
            try await h.runtime.conversation(customer: kim)?.status(at: h.now)
        }
        func listed(_ status: ConversationQuery.Status, agent: String? = nil) async throws -> [String] {
            try await h.runtime.conversations(ConversationQuery(status: status, agent: agent, now: h.now)).map(\.customer)
        }

        _ = await h.post(FlowChannelTests.text("k1", "human please", from: kim))
        try await h.settle()
        #expect(try await status() == .waiting)
        #expect(try await listed(.waiting) == [kim])
        #expect(try await h.runtime.conversation(customer: kim)?.unread == 1)

        // The first person to reply takes it; the bot stays silent.
        guard case .queued = await h.runtime.reply(to: kim, text: "Hi {{contact.name}}, Lena here.", agent: "Lena") else {
            Issue.record("the reply is queued")
            return
        }
        try await h.settle()
        #expect(try await status() == .assigned)
        #expect(try await listed(.mine, agent: "Lena") == [kim])
        #expect(try await h.seen(by: kim).last == "Hi Ana, Lena here.")
        _ = await h.post(FlowChannelTests.text("k2", "refund?", from: kim))
        try await h.settle()
        #expect(try await h.seen(by: kim).count == 2)

        // Passed to a colleague, tagged, read, noted (a note is never sent).
        guard case .changed(let assigned) = await h.runtime.assign(kim, to: "Omar") else { throw Failure("assign") }
        #expect(assigned.assignee == "Omar")
        #expect(try await listed(.mine, agent: "Lena") == [])
        guard case .changed(let tagged) = await h.runtime.tag(kim, adding: ["vip", "refund"], removing: []) else { throw Failure("tag") }
        #expect(tagged.tags == ["refund", "vip"])
        #expect(assigned.unread == 2)
        guard case .changed(let read) = await h.runtime.markRead(kim) else { throw Failure("read") }
        #expect(read.unread == 0)
        let note = try #require(try await h.runtime.addNote(to: kim, text: "Wants a refund for order 1042", agent: "Omar"))
        #expect(note.agent == "Omar")
        #expect(try await h.runtime.addNote(to: "nobody", text: "x", agent: "Omar") == nil)
        #expect(await h.runtime.assign("nobody", to: "Omar") == .unknownCustomer)

        // Resolved: the survey goes out as a list (WhatsApp has at most three reply buttons).
        guard case .changed = await h.runtime.resolve(kim) else { throw Failure("resolve") }
        try await h.settle()
        #expect(try await status() == .resolved)
        #expect(try await listed(.resolved) == [kim])
        let survey = try #require(try await h.fake.sent().last)
        #expect(survey["type"] as? String == "interactive")
        let interactive = survey["interactive"] as? [String: Any]
        #expect(interactive?["type"] as? String == "list")
        let rows = ((interactive?["action"] as? [String: Any])?["sections"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]]
        #expect(rows?.compactMap { $0["id"] as? String } == ["csat:1", "csat:2", "csat:3", "csat:4", "csat:5"])

        // The customer's score is counted and thanked, not matched; the bot answers again.
        _ = await h.post(WebhookBody.reply(id: "k3", from: kim, choice: "csat:4", title: "★★★★ 4", kind: "list_reply"))
        try await h.settle()
        #expect(try await h.seen(by: kim).suffix(2) == ["How did we do?", "Thank you for your feedback!"])
        #expect(try await status() == .bot)
        _ = await h.post(FlowChannelTests.text("k4", "refund?", from: kim))
        try await h.settle()
        #expect(try await h.seen(by: kim).last == "Refunds take 5 days.")
        let figures = try await h.store.statistics()
        #expect(figures.triggers["csat:asked"]?.count == 1)
        #expect(figures.triggers["csat:4"]?.count == 1)
        let satisfaction = SatisfactionFigures(figures)
        #expect(satisfaction.asked == 1 && satisfaction.answered == 1 && satisfaction.average == 4)
        #expect(satisfaction.scores == ["1": 0, "2": 0, "3": 0, "4": 1, "5": 0])

        let timeline = try await h.runtime.timeline(customer: kim, before: nil, limit: 20)
        let note2 = try #require(timeline.first { $0.kind == "note" })
        #expect(note2.text == "Wants a refund for order 1042")
        #expect(!(try await h.seen(by: kim)).contains("Wants a refund for order 1042"))
    }

    @Test func noSurveyOutsideTheWindowAndNoneWithoutTheSetting() async throws {
        var automation = Automation.none
        automation.csat = Self.survey
        let h = try await FlowChannelTests.harness(automation: automation)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let lee = "15551239202"
        _ = await h.post(FlowChannelTests.text("l1", "human please", from: lee))
        try await h.settle()
        h.offset.withLock { $0 += 25 * 3_600 }
        guard case .changed = await h.runtime.resolve(lee) else { throw Failure("resolve") }
        try await h.settle()
        #expect(try await h.seen(by: lee) == ["Passing you on."])
        #expect(try await h.store.statistics().triggers["csat:asked"] == nil)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ what: String) { description = "\(what) did not change the conversation" }
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentCore
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentServer

/// The timeline's JSON for what people need beyond the words: the entry and score a bot's
/// answer came from, and a customer's media with its caption; and to whom a conversation may
/// be given.
extension AgentInboxRoutesTests {
    @Test func theTimelineShowsWhatTheBotAnsweredFromAndMediaWithTheirCaptions() async throws {
        let setup = try await Self.setUp()
        let channel = try #require(setup.channel)
        let run = Task { await channel.run() }
        defer { run.cancel() }
        let ana = "15551250010"
        try await setup.receive("wamid.T1", from: ana, text: "where is my parcel")
        try await setup.receive("wamid.T2", from: ana, text: nil, type: "image", caption: "this one 这个 <b>")
        try await setup.receive("wamid.T3", from: ana, text: nil, type: "image")
        try await setup.settle()
        try await Application(router: setup.app.router(channel: channel)).test(.router) { client in
            let (status, body) = try await call(client, .get, "/v1/conversations/\(ana)/messages")
            #expect(status == .ok)
            let messages = try #require(body["messages"] as? [[String: Any]])
            let answer = try #require(messages.first { $0["text"] as? String == "Track it online." }, "\(messages)")
            #expect(answer["kind"] as? String == "bot" && answer["entry"] as? String == "track", "\(answer)")
            let score = try #require(answer["score"] as? Double, "\(answer)")
            #expect(score > 0 && score <= 1)
            #expect(answer["rule"] == nil)
            // The replies to the images (the fallback) came from no entry.
            for reply in messages where reply["direction"] as? String == "out" && reply["text"] as? String != "Track it online." {
                #expect(reply["entry"] == nil && reply["score"] == nil, "\(reply)")
            }
            let captioned = try #require(messages.first { $0["id"] as? String == "in:wamid.T2" })
            #expect(captioned["type"] as? String == "image" && captioned["text"] == nil)
            let media = try #require(captioned["media"] as? [String: Any])
            #expect(media["type"] as? String == "image" && media["caption"] as? String == "this one 这个 <b>")
            let bare = try #require(messages.first { $0["id"] as? String == "in:wamid.T3" }?["media"] as? [String: Any])
            #expect(bare["type"] as? String == "image" && bare["caption"] == nil)
            let typed = try #require(messages.first { $0["id"] as? String == "in:wamid.T1" })
            #expect(typed["media"] == nil && typed["text"] as? String == "where is my parcel")
        }
    }

    @Test func aConversationGoesOnlyToAnAgentWhoCanAnswerIt() async throws {
        let setup = try await Self.setUp()
        let channel = try #require(setup.channel)
        let run = Task { await channel.run() }
        defer { run.cancel() }
        let ana = "15551250011"
        try await setup.receive("wamid.A1", from: ana, text: "hello")
        try await setup.settle()
        _ = try await setup.store.addAgent(named: "Wei Zhang", displayName: "张伟", role: .agent, at: Date())
        _ = try await setup.store.addAgent(named: "Vic", role: .viewer, at: Date())
        try await Application(router: setup.app.router(channel: channel)).test(.router) { client in
            let path = "/v1/conversations/\(ana)/assign"
            let unknown = try await call(client, .post, path, ["agent": "Wei Zhong"])
            #expect(unknown.0 == .notFound && errorCode(unknown.1) == "unknown_agent")
            #expect(errorMessage(unknown.1).contains("'Wei Zhong'"))
            let viewer = try await call(client, .post, path, ["agent": "Vic"])
            #expect(viewer.0 == .unprocessableContent && errorCode(viewer.1) == "viewer_not_assignable", "\(viewer.1)")
            #expect(errorMessage(viewer.1).contains("'Vic'"))
            // Refused: nothing changed.
            #expect(try await setup.store.conversation(customer: ana)?.handling == .bot)

            let given = try await call(client, .post, path, ["agent": " Wei Zhang "])
            #expect(given.0 == .ok && given.1["status"] as? String == "assigned" && given.1["agent"] as? String == "Wei Zhang", "\(given.1)")
            #expect(given.1["agent_display"] as? String == "张伟", "the display name beside the name: \(given.1)")
            let listed = try await call(client, .get, "/v1/conversations?status=assigned")
            #expect((listed.1["conversations"] as? [[String: Any]])?.first?["agent_display"] as? String == "张伟", "\(listed.1)")
            // No name, or an empty one: the caller takes it (the console token signs as such).
            for body: [String: Any]? in [nil, ["agent": ""], [:]] {
                let taken = try await call(client, .post, path, body)
                #expect(taken.0 == .ok && taken.1["agent"] as? String == "console token" && taken.1["agent_display"] == nil, "\(taken.1)")
            }
            let nobody = try await call(client, .post, "/v1/conversations/15550000000/assign", ["agent": "Wei Zhang"])
            #expect(nobody.0 == .notFound && errorCode(nobody.1) == "no_conversation")
        }
    }
}

/// What a channel's answer says it came from: the entry and its score, or the rule (whose
/// decision's cosine belongs to some entry the rule did not answer from, and is left out).
@Suite struct BotAnswerBasisTests {
    @Test func anEntrysAnswerCarriesItsScoreAndARulesCarriesNone() async throws {
        let corpus = Corpus(
            entries: [
                FAQEntry(id: "refund", questions: ["how do i get a refund", "refund please"], answer: "Refunds take 5 days."),
                FAQEntry(id: "track", questions: ["where is my parcel", "order tracking"], answer: "Track it online."),
            ],
            rules: [
                try KeywordRule(id: "human", mode: .containsAny, patterns: ["人工"], reply: .answer("Passing you on."), stage: .before),
                try KeywordRule(id: "shipping", mode: .containsAny, patterns: ["xyzzy"], reply: .faq("track"), stage: .fallback),
            ])
        let app = IntentServerApp(settings: .init(), logger: Logger(label: "test")) {
            MatchService(try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        let entry = await app.answerer.answer(to: "where is my parcel", from: "c1")
        #expect(entry.entry == "track" && entry.rule == nil)
        #expect((entry.basis?.score ?? 0) > 0.5, "\(String(describing: entry.basis))")
        let before = await app.answerer.answer(to: "我要人工", from: "c1")
        #expect(before.basis == AnswerBasis(entry: nil, rule: "human", score: nil))
        let fallback = await app.answerer.answer(to: "xyzzy", from: "c1")
        #expect(fallback.rule == "shipping" && fallback.answer == "Track it online.", "\(fallback)")
        #expect(fallback.basis?.score == nil, "\(String(describing: fallback.basis))")
        let ruleOnly = await app.answerer.answer(to: "我要人工", from: "c1", rulesOnly: true)
        #expect(ruleOnly.basis == AnswerBasis(entry: nil, rule: "human", score: nil))
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentTestSupport
import Testing

@testable import IntentServer

/// The timeline's JSON for what people need beyond the words: the entry and score a bot's
/// answer came from, and a customer's media with its caption.
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
}

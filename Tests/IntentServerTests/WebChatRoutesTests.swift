import Foundation
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentCore
import IntentSQLite
import IntentServer
import IntentTestSupport
import Logging
import Testing

/// The web chat's routes in process, over a running runtime with the web chat channel: visitors
/// answered from their own conversation only, ids the server never issued refused, CORS for the
/// site's origins only, the rate and size limits, buttons, and the event stream.
@Suite struct WebChatRoutesTests {
    static let origin = "https://shop.example.com"
    static let refund = "Refunds take 5 days."
    static let choices = [Flow.Option(id: "refund_request", title: "How do refunds work?"), Flow.Option(id: "shipping", title: "Shipping times")]

    /// "refund" answers; "money" offers a "did you mean" choice; anything else is unanswered.
    static let decide: ChannelRuntime.Decide = { text, _, _, _ in
        if text.contains("refund") { return BotAnswer(answer: refund, entry: "refund_request") }
        if text.contains("money") { return BotAnswer(answer: nil, choices: choices) }
        return .unanswered
    }

    final class Harness: Sendable {
        let app: IntentServerApp
        let runtime: ChannelRuntime
        let folder: TemporaryDirectory

        init(limits: WebChatSettings.Limits = .init()) throws {
            var settings = IntentServerApp.Settings()
            settings.limits.maxMessageCharacters = 200
            settings.limits.maxBodyBytes = 4_096
            app = IntentServerApp(settings: settings, logger: Logger(label: "test")) { throw CancellationError() }
            folder = try TemporaryDirectory("webchat-routes")
            let webchat = WebChatChannel(
                settings: WebChatSettings(
                    sites: [.init(name: "shop", origins: [WebChatRoutesTests.origin]), .init(name: "blog", origins: ["https://blog.example.com"])],
                    limits: limits))
            runtime = ChannelRuntime(
                channel: webchat, settings: .init(), store: try SQLiteStateStore(path: folder.file("state.sqlite")),
                policy: ConversationPolicy(automation: .none, fallbackReply: "Sorry, I do not know."), logger: Logger(label: "test"),
                events: app.events,
                pick: { entry, _, _ in BotAnswer(answer: entry == "refund_request" ? WebChatRoutesTests.refund : nil, chosen: true) },
                decide: WebChatRoutesTests.decide)
        }

        func test(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
            let run = Task { await runtime.run() }
            defer { run.cancel() }
            try await app.application(channel: runtime).test(.live) { client in try await body(client) }
        }
    }

    struct Reply {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var json: [String: Any]
    }

    static func call(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, origin: String? = WebChatRoutesTests.origin,
        body: [String: Any]? = nil, raw: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let origin { headers[.origin] = origin }
        var buffer: ByteBuffer?
        if let body { buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)) }
        if let raw { buffer = ByteBuffer(string: raw) }
        if buffer != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
            return Reply(status: response.status, headers: response.headers, json: json)
        }
    }

    static func code(_ reply: Reply) -> String? { (reply.json["error"] as? [String: Any])?["code"] as? String }

    static func messages(_ client: any TestClientProtocol, site: String = "shop", visitor: String) async throws -> [[String: Any]] {
        try await call(client, .get, "/v1/webchat/\(site)/messages?visitor=\(visitor)").json["messages"] as? [[String: Any]] ?? []
    }

    @Test func aVisitorIsAnsweredAndReadsTheirOwnConversationOnly() async throws {
        let h = try Harness()
        try await h.test { client in
            let first = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "how do I get a refund?"])
            #expect(first.status == .accepted)
            #expect(first.headers[.accessControlAllowOrigin] == Self.origin && first.headers[.vary] == "Origin")
            let visitor = try #require(first.json["visitor"] as? String)
            #expect(WebChatVisitor.isWellFormed(visitor))
            #expect((first.json["message_id"] as? String)?.hasPrefix("in:webchat:") == true)
            try await eventually("the answer is shown") {
                try await Self.messages(client, visitor: visitor).contains {
                    $0["direction"] as? String == "out" && $0["text"] as? String == Self.refund
                }
            }
            let shown = try await Self.messages(client, visitor: visitor)
            #expect(shown.map { $0["direction"] as? String } == ["in", "out"])
            #expect(shown.first?["text"] as? String == "how do I get a refund?")
            // Only what the widget shows: no basis, no kind, no status.
            #expect(shown.allSatisfy { Set($0.keys).isSubset(of: ["id", "direction", "text", "buttons", "at"]) })

            // A second visitor gets another id and sees none of the first one's messages.
            let second = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "hello"])
            let other = try #require(second.json["visitor"] as? String)
            #expect(other != visitor)
            #expect(try await Self.messages(client, visitor: other).allSatisfy { $0["text"] as? String != "how do I get a refund?" })

            // An id the server never issued is refused, for reading and writing; so is the id on another site.
            let forged = WebChatVisitor.issue()
            #expect(Self.code(try await Self.call(client, .get, "/v1/webchat/shop/messages?visitor=\(forged)")) == "unknown_visitor")
            let posted = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "hi", "visitor": forged])
            #expect(posted.status == .notFound && Self.code(posted) == "unknown_visitor")
            let elsewhere = try await Self.call(
                client, .get, "/v1/webchat/blog/messages?visitor=\(visitor)", origin: "https://blog.example.com")
            #expect(elsewhere.status == .notFound)
            let malformed = try await Self.call(client, .get, "/v1/webchat/shop/messages?visitor=../../etc")
            #expect(malformed.status == .badRequest && Self.code(malformed) == "invalid_visitor")
            #expect(Self.code(try await Self.call(client, .get, "/v1/webchat/shop/messages")) == "missing_visitor")

            // The visitor writes again under their id: one conversation.
            let again = try await Self.call(
                client, .post, "/v1/webchat/shop/messages", body: ["text": "and a refund for a gift?", "visitor": visitor])
            #expect(again.status == .accepted && again.json["visitor"] as? String == visitor)
            try await eventually("the second answer is shown") { try await Self.messages(client, visitor: visitor).count == 4 }
        }
    }

    @Test func onlyTheSitesOriginsMayCallItsRoutes() async throws {
        let h = try Harness()
        try await h.test { client in
            let refused = try await Self.call(client, .post, "/v1/webchat/shop/messages", origin: "https://evil.example", body: ["text": "hi"])
            #expect(refused.status == .forbidden && Self.code(refused) == "origin_not_allowed")
            #expect(refused.headers[.accessControlAllowOrigin] == nil)
            // Another site's origin is not this site's.
            let blog = try await Self.call(client, .post, "/v1/webchat/shop/messages", origin: "https://blog.example.com", body: ["text": "hi"])
            #expect(blog.status == .forbidden)

            let preflight = try await Self.call(client, .options, "/v1/webchat/shop/messages")
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == Self.origin)
            #expect(preflight.headers[.accessControlAllowMethods]?.contains("POST") == true)
            #expect(preflight.headers[.accessControlAllowHeaders]?.contains("Content-Type") == true)
            #expect(preflight.headers[.accessControlAllowCredentials] == nil)
            #expect(try await Self.call(client, .options, "/v1/webchat/shop/events", origin: "https://evil.example").status == .forbidden)

            let unknown = try await Self.call(client, .post, "/v1/webchat/nosuch/messages", body: ["text": "hi"])
            #expect(unknown.status == .notFound && Self.code(unknown) == "unknown_site")

            // Without an Origin (not a browser) the route answers, with no CORS grant.
            let direct = try await Self.call(client, .post, "/v1/webchat/shop/messages", origin: nil, body: ["text": "hi"])
            #expect(direct.status == .accepted && direct.headers[.accessControlAllowOrigin] == nil)

            // No platform delivers to /webhooks/webchat; the widget's script is served.
            #expect(try await Self.call(client, .post, "/webhooks/webchat", origin: nil, body: [:]).status == .notFound)
            try await client.execute(uri: "/widget.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/javascript") == true)
                #expect(String(buffer: response.body).contains("data-site"))
            }
        }
    }

    @Test func visitorsAndAddressesAreRateLimitedAndMessagesSizeLimited() async throws {
        var limits = WebChatSettings.Limits()
        limits.visitorBurst = 2
        limits.visitorInterval = 600
        limits.addressBurst = 5
        limits.addressInterval = 600
        let h = try Harness(limits: limits)
        try await h.test { client in
            let first = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "hi"])
            let visitor = try #require(first.json["visitor"] as? String)
            #expect(try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "one", "visitor": visitor]).status == .accepted)
            #expect(try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "two", "visitor": visitor]).status == .accepted)
            let limited = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "three", "visitor": visitor])
            #expect(limited.status == .tooManyRequests && Self.code(limited) == "rate_limited")
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // The widget on another origin can read it.
            #expect(limited.headers[.accessControlAllowOrigin] == Self.origin)
            #expect(limited.headers[.accessControlExposeHeaders]?.contains("Retry-After") == true)
            // New visitors from the same address: the address's bucket (5) runs out too.
            #expect(try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "new"]).status == .accepted)
            let address = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "newer"])
            #expect(address.status == .tooManyRequests && address.headers[.retryAfter] != nil)
        }
        let sized = try Harness()
        try await sized.test { client in
            let long = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": String(repeating: "a", count: 201)])
            #expect(long.status == .badRequest && Self.code(long) == "message_too_long")
            let huge = try await Self.call(client, .post, "/v1/webchat/shop/messages", raw: "{\"text\": \"\(String(repeating: "b", count: 5_000))\"}")
            #expect(huge.status == .contentTooLarge)
            #expect(Self.code(try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "   "])) == "empty_message")
            #expect(Self.code(try await Self.call(client, .post, "/v1/webchat/shop/messages", body: [:])) == "missing_field")
        }
    }

    @Test func aTappedButtonIsTheVisitorsChoiceAndOnlyOfferedOnesAreTaken() async throws {
        let h = try Harness()
        try await h.test { client in
            let first = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "where is my money?"])
            let visitor = try #require(first.json["visitor"] as? String)
            var offered: [[String: Any]] = []
            try await eventually("the choice is shown") {
                offered = try await Self.messages(client, visitor: visitor).last?["buttons"] as? [[String: Any]] ?? []
                return !offered.isEmpty
            }
            #expect(offered.compactMap { $0["id"] as? String }.prefix(2) == ["faq:refund_request", "faq:shipping"])
            #expect(offered.first?["title"] as? String == "How do refunds work?")

            let forged = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["choice": "faq:secret", "visitor": visitor])
            #expect(forged.status == .badRequest && Self.code(forged) == "unknown_choice")
            let tapped = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["choice": "faq:refund_request", "visitor": visitor])
            #expect(tapped.status == .accepted)
            try await eventually("the picked answer is shown") {
                let shown = try await Self.messages(client, visitor: visitor)
                return shown.suffix(2).map { $0["text"] as? String } == ["How do refunds work?", Self.refund]
            }
        }
    }

    @Test func theEventStreamCarriesTheVisitorsRepliesAndResumes() async throws {
        let h = try Harness()
        try await h.test { client in
            let port = try #require(client.port)
            let first = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "hello"])
            let visitor = try #require(first.json["visitor"] as? String)
            try await eventually("the fallback is shown") { try await Self.messages(client, visitor: visitor).count == 2 }
            let other = try #require(try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "hi"]).json["visitor"] as? String)

            let stream = try EventStreamClient(port: port, path: "/v1/webchat/shop/events?visitor=\(visitor)", headers: ["Origin": Self.origin])
            defer { stream.close() }
            try await eventually("the stream is open") { stream.status != nil }
            #expect(stream.status == 200 && stream.headers["access-control-allow-origin"] == Self.origin)
            // Subscribed: nothing from before (the widget read that), nothing of another visitor's.
            try await eventually("subscribed") { h.app.events.subscriberCount == 1 }
            _ = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "a refund please", "visitor": other])
            _ = try await Self.call(client, .post, "/v1/webchat/shop/messages", body: ["text": "a refund please", "visitor": visitor])
            try await eventually("the answer streamed") { stream.events.contains { $0.fields["text"] as? String == Self.refund } }
            try await eventually("the other visitor answered") {
                try await Self.messages(client, visitor: other).last?["text"] as? String == Self.refund
            }
            #expect(stream.events.count == 1)
            let event = try #require(stream.events.first)
            #expect(event.type == "message" && event.id?.hasPrefix("out:") == true && event.fields["direction"] as? String == "out")

            // Reconnecting after the first reply gets what came after it, and only that.
            let shown = try await Self.messages(client, visitor: visitor)
            let firstReply = try #require(shown.first { $0["direction"] as? String == "out" }?["id"] as? String)
            let resumed = try EventStreamClient(
                port: port, path: "/v1/webchat/shop/events?visitor=\(visitor)", headers: ["Origin": Self.origin, "Last-Event-ID": firstReply])
            defer { resumed.close() }
            try await eventually("the missed reply replayed") { resumed.events.count == 1 }
            #expect(resumed.events.first?.id == event.id)

            let forged = try EventStreamClient(port: port, path: "/v1/webchat/shop/events?visitor=\(WebChatVisitor.issue())")
            defer { forged.close() }
            try await eventually("refused") { forged.status != nil }
            #expect(forged.status == 404)
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntentChannels
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentServer

/// The inbox's helpers for a person over HTTP, with the WhatsApp channel against the fake Graph
/// API: templates (listed, cached, sent after the 24-hour window closed), quick replies, and the
/// FAQ entries suggested for the customer's last question.
@Suite struct AgentInboxRoutesTests {
    static let token = "console-\(UUID().uuidString.prefix(8))"
    static let appSecret = "app-secret-\(UUID().uuidString.prefix(8))"
    static let account = "102290129340398"

    /// One test's server, channel, store and fake Graph API; the channel's clock runs `offset`
    /// ahead of the real one.
    final class Setup: @unchecked Sendable {
        let app: IntentServerApp
        let channel: ChannelRuntime?
        let store: SQLiteStateStore
        let graph: FakeGraphServer
        var graphToken: String { graph.token }
        let offset: Locked<TimeInterval>
        let folder: TemporaryDirectory

        init(
            app: IntentServerApp, channel: ChannelRuntime?, store: SQLiteStateStore, graph: FakeGraphServer, offset: Locked<TimeInterval>,
            folder: TemporaryDirectory
        ) {
            self.app = app
            self.channel = channel
            self.store = store
            self.graph = graph
            self.offset = offset
            self.folder = folder
        }

        func control(_ body: [String: Any]) async throws { try await graph.control(body) }

        /// Pages of the template list the Graph API was asked for.
        func listRequests() async throws -> Int { try await graph.stats()["template_lists"] as? Int ?? -1 }

        /// The template messages the Graph API accepted for a customer.
        func templatesSent(to customer: String) async throws -> [[String: Any]] {
            try await graph.sent().filter { $0["to"] as? String == customer && $0["type"] as? String == "template" }
        }

        /// A customer's message, delivered as Meta signs it.
        func receive(_ id: String, from customer: String, text: String?, type: String = "text", caption: String? = nil) async throws {
            let body = WebhookBody.message(id: id, from: customer, text: text, type: type, caption: caption, name: "Ana")
            let receipt = await channel!.receive(
                body: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: AgentInboxRoutesTests.appSecret).header(for: body)])
            #expect(receipt == .accepted(new: 1, duplicates: 0, statuses: 0))
        }

        /// Waits until every received message is processed and nothing is left to send.
        func settle() async throws {
            try await eventually("the channel settled") {
                let decided = try await store.unprocessed(limit: 1).isEmpty
                let sent = try await store.nextOutboxDue() == nil
                return decided && sent
            }
        }
    }

    static func setUp(account: String? = AgentInboxRoutesTests.account, channel withChannel: Bool = true) async throws -> Setup {
        let folder = try TemporaryDirectory("inbox-routes")
        let graph = try await FakeGraphServer.start()
        var settings = IntentServerApp.Settings()
        settings.consoleToken = token
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        let app = IntentServerApp(settings: settings, logger: Logger(label: "test"), agents: { _ in store }) {
            MatchService(
                try await Matcher.build(
                    corpus: Corpus(entries: [
                        FAQEntry(
                            id: "track", questions: ["where is my parcel", "dónde está mi paquete"], answer: "Track it online.",
                            answers: ["es": "Sígalo en línea."]),
                        FAQEntry(id: "refund", questions: ["I want my money back", "refund please"], answer: "Refunds take 5 days."),
                        FAQEntry(id: "hours", questions: ["when are you open", "opening hours"], answer: "9 to 5."),
                    ]), embedder: LexicalEmbedder()))
        }
        try await app.reloader.reload()
        let offset = Locked<TimeInterval>(0)
        var channel: ChannelRuntime?
        if withChannel {
            let whatsapp = WhatsAppChannel(
                settings: WhatsAppSettings(
                    verifyToken: "verify", appSecret: appSecret, accessToken: graph.token, businessAccountID: account,
                    graphURL: graph.base), transport: CurlHTTPClient())
            let answerer = app.answerer
            channel = ChannelRuntime(
                channel: whatsapp, settings: whatsapp.runtimeSettings, store: store,
                policy: ConversationPolicy(automation: .none, fallbackReply: "Sorry?"), logger: Logger(label: "test"),
                storeHealth: app.storeHealth, clock: { Date().addingTimeInterval(offset.current) },
                decide: answerer.answer(to:from:rulesOnly:language:))
        }
        return Setup(app: app, channel: channel, store: store, graph: graph, offset: offset, folder: folder)
    }

    /// A request with the console token: the status and the body as JSON (nil when not an object).
    func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: [String: Any]? = nil
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [.authorization: "Bearer \(Self.token)"]
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        return try await client.execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            (response.status, (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:])
        }
    }

    func errorCode(_ body: [String: Any]) -> String? { (body["error"] as? [String: Any])?["code"] as? String }
    func errorMessage(_ body: [String: Any]) -> String { (body["error"] as? [String: Any])?["message"] as? String ?? "" }

    // MARK: Templates

    @Test func afterTheWindowOnlyATemplateReachesTheCustomerOnce() async throws {
        let setup = try await Self.setUp()
        let channel = try #require(setup.channel)
        let run = Task { await channel.run() }
        defer { run.cancel() }
        let ana = "15551250001"
        try await setup.receive("wamid.A1", from: ana, text: "where is my parcel")
        try await setup.settle()
        setup.offset.withLock { $0 += 25 * 3_600 }
        try await Application(router: setup.app.router(channel: channel)).test(.router) { client in
            let text = try await call(client, .post, "/v1/conversations/\(ana)/messages", ["text": "Are you there?"])
            #expect(text.0 == .conflict && errorCode(text.1) == "window_closed")

            let template = "/v1/conversations/\(ana)/template"
            let unknown = try await call(client, .post, template, ["name": "no_such", "language": "en_US"])
            #expect(unknown.0 == .badRequest && errorCode(unknown.1) == "unknown_template")
            let language = try await call(client, .post, template, ["name": "order_update", "language": "de", "parameters": ["a", "b"]])
            #expect(language.0 == .badRequest && errorMessage(language.1).contains("en_US, zh_CN"))
            let count = try await call(client, .post, template, ["name": "order_update", "language": "en_US", "parameters": ["Ana"]])
            #expect(count.0 == .badRequest && errorCode(count.1) == "template_parameters")
            #expect(errorMessage(count.1).contains("takes 2 parameters"))
            let empty = try await call(client, .post, template, ["name": "order_update", "language": "en_US", "parameters": ["Ana", " "]])
            #expect(empty.0 == .badRequest && errorCode(empty.1) == "template_parameters")
            let nobody = try await call(
                client, .post, "/v1/conversations/15550000000/template", ["name": "order_update", "language": "en_US", "parameters": ["a", "b"]])
            #expect(nobody.0 == .notFound && errorCode(nobody.1) == "no_conversation")

            let sent = try await call(client, .post, template, ["name": "order_update", "language": "en_US", "parameters": ["Ana", "A1001"]])
            #expect(sent.0 == .accepted)
            #expect(sent.1["status"] as? String == "queued")
            try await setup.settle()
            let templates = try await setup.templatesSent(to: ana)
            #expect(templates.count == 1, "sent once")
            let parameters = ((templates.first?["template"] as? [String: Any])?["components"] as? [[String: Any]])?.first?["parameters"]
            #expect((parameters as? [[String: String]])?.map { $0["text"] } == ["Ana", "A1001"])

            let timeline = try await call(client, .get, "/v1/conversations/\(ana)/messages")
            let newest = try #require((timeline.1["messages"] as? [[String: Any]])?.first)
            #expect(newest["id"] as? String == sent.1["id"] as? String)
            #expect(newest["type"] as? String == "template" && newest["kind"] as? String == "agent")
            #expect(newest["text"] as? String == "Hi Ana, your order A1001 has shipped.")
            #expect(newest["agent"] as? String == "console token")

            // The list the checks used, served from the cache: one Graph call for every look.
            for _ in 0..<2 {
                let (status, list) = try await call(client, .get, "/v1/templates")
                #expect(status == .ok)
                #expect(list["stale"] as? Bool == false && list["error"] == nil && list["fetched_at"] is String)
                let entries = try #require(list["templates"] as? [[String: Any]])
                #expect(
                    entries.map { "\($0["name"] ?? "")/\($0["language"] ?? "")" } == [
                        "appointment_reminder/en_US", "hello_world/en_US", "order_update/en_US", "order_update/zh_CN",
                    ], "approved only, by name and language")
                let order = try #require(entries.first { $0["name"] as? String == "order_update" && $0["language"] as? String == "en_US" })
                #expect(order["parameters"] as? Int == 2 && order["category"] as? String == "UTILITY")
                #expect(order["body"] as? String == "Hi {{1}}, your order {{2}} has shipped.")
                #expect(order["buttons"] as? [[String: String]] == [["type": "quick_reply", "text": "Thanks"]])
                #expect(entries.first { $0["name"] as? String == "hello_world" }?["buttons"] == nil)
            }
            #expect(try await setup.listRequests() == 1)
        }
    }

    @Test func theListIsUnavailableWithoutAnyThenStaleWhileTheGraphAPIFails() async throws {
        let setup = try await Self.setUp()
        try await Application(router: setup.app.router(channel: setup.channel)).test(.router) { client in
            try await setup.control(["list_script": [["mode": "error", "code": 2]]])
            let down = try await call(client, .get, "/v1/templates")
            #expect(down.0 == .serviceUnavailable && errorCode(down.1) == "templates_unavailable")
            #expect(errorMessage(down.1).contains("code 2") && !errorMessage(down.1).contains(setup.graphToken))
            setup.offset.withLock { $0 += 31 }
            let up = try await call(client, .get, "/v1/templates")
            #expect(up.0 == .ok && up.1["stale"] as? Bool == false)
            setup.offset.withLock { $0 += 301 }
            try await setup.control(["list_script": [["mode": "error", "code": 131000]]])
            let stale = try await call(client, .get, "/v1/templates")
            #expect(stale.0 == .ok && stale.1["stale"] as? Bool == true)
            #expect((stale.1["error"] as? String)?.contains("code 131000") == true)
            #expect(stale.1["fetched_at"] as? String == up.1["fetched_at"] as? String)
            #expect((stale.1["templates"] as? [Any])?.count == 4)
            #expect(try await setup.listRequests() == 3)
        }
        // Without the account's id the routes say which setting to set; without the channel, that there is none.
        let unset = try await Self.setUp(account: nil)
        try await Application(router: unset.app.router(channel: unset.channel)).test(.router) { client in
            let list = try await call(client, .get, "/v1/templates")
            #expect(list.0 == .notFound && errorCode(list.1) == "no_business_account")
            #expect(errorMessage(list.1).contains("whatsapp_business_account_id"))
            let send = try await call(client, .post, "/v1/conversations/x/template", ["name": "hello_world", "language": "en_US"])
            #expect(send.0 == .notFound && errorCode(send.1) == "no_business_account")
        }
        try await Application(router: unset.app.router()).test(.router) { client in
            let templates = try await call(client, .get, "/v1/templates")
            #expect(errorCode(templates.1) == "no_channel")
            let quickReplies = try await call(client, .get, "/v1/quick-replies")
            #expect(errorCode(quickReplies.1) == "no_channel")
        }
    }

    // MARK: Quick replies

    @Test func quickRepliesAreSavedSearchedAndDeleted() async throws {
        let setup = try await Self.setUp()
        try await Application(router: setup.app.router(channel: setup.channel)).test(.router) { client in
            let created = try await call(
                client, .post, "/v1/quick-replies", ["shortcut": "/refund", "text": " Hi {{contact.name}}, refunds take 5 days. "])
            #expect(created.0 == .created)
            #expect(created.1["shortcut"] as? String == "refund" && created.1["updated_by"] as? String == "console token")
            #expect(created.1["text"] as? String == "Hi {{contact.name}}, refunds take 5 days.", "stored as written, trimmed")
            let replaced = try await call(client, .post, "/v1/quick-replies", ["shortcut": "refund", "text": "Refunds take 3 days."])
            #expect(replaced.0 == .ok)
            #expect(try await call(client, .post, "/v1/quick-replies", ["shortcut": "zh-refund", "text": "退款需要三天。"]).0 == .created)
            for (body, code) in [
                (["shortcut": "two words", "text": "x"], "invalid_shortcut"), (["shortcut": "", "text": "x"], "invalid_shortcut"),
                (["shortcut": "退款", "text": "x"], "invalid_shortcut"),
                (["shortcut": "ok", "text": "  "], "empty_message"),
                (["shortcut": "ok", "text": String(repeating: "a", count: 4_097)], "message_too_long"),
            ] {
                let refused = try await call(client, .post, "/v1/quick-replies", body)
                #expect(refused.0 == .badRequest && errorCode(refused.1) == code, "\(body)")
            }
            func shortcuts(_ query: String) async throws -> [String] {
                let (status, body) = try await call(client, .get, "/v1/quick-replies" + query)
                #expect(status == .ok)
                return (body["quick_replies"] as? [[String: Any]] ?? []).compactMap { $0["shortcut"] as? String }
            }
            #expect(try await shortcuts("") == ["refund", "zh-refund"])
            #expect(try await shortcuts("?q=%2FREFUND") == ["refund", "zh-refund"], "a typed slash is the shortcut's")
            #expect(try await shortcuts("?q=ZH") == ["zh-refund"])
            #expect(try await shortcuts("?q=3%20DAYS") == ["refund"])
            #expect(try await shortcuts("?q=%E4%B8%89%E5%A4%A9") == ["zh-refund"])
            #expect(try await shortcuts("?q=parcel") == [])
            #expect(try await call(client, .delete, "/v1/quick-replies/refund").0 == .noContent)
            let gone = try await call(client, .delete, "/v1/quick-replies/refund")
            #expect(gone.0 == .notFound && errorCode(gone.1) == "no_quick_reply")
            #expect(try await call(client, .delete, "/v1/quick-replies/zh-refund").0 == .noContent)
            #expect(try await shortcuts("") == [])
        }
    }

    // MARK: Suggestions

    @Test func suggestionsRankTheCustomersLastQuestionWithoutCountingIt() async throws {
        let setup = try await Self.setUp()
        let channel = try #require(setup.channel)
        let run = Task { await channel.run() }
        defer { run.cancel() }
        let ana = "15551250002"
        let bo = "15551250003"
        try await setup.receive("wamid.S1", from: ana, text: "hello")
        try await setup.receive("wamid.S2", from: ana, text: "dónde está mi paquete")
        try await setup.receive("wamid.S3", from: ana, text: nil, type: "image")
        try await setup.receive("wamid.S4", from: bo, text: nil, type: "image")
        try await setup.settle()
        let counted = setup.app.stats.snapshot.total
        try await Application(router: setup.app.router(channel: channel)).test(.router) { client in
            let (status, body) = try await call(client, .get, "/v1/conversations/\(ana)/suggestions")
            #expect(status == .ok)
            #expect(body["question"] as? String == "dónde está mi paquete", "the last text, not the image after it")
            let suggestions = try #require(body["suggestions"] as? [[String: Any]])
            #expect((1...3).contains(suggestions.count))
            let best = try #require(suggestions.first)
            #expect(best["entry"] as? String == "track")
            #expect(best["question"] as? String == "where is my parcel", "the entry's first question")
            #expect(best["answer"] as? String == "Sígalo en línea.", "in the customer's language")
            #expect((best["score"] as? Double ?? 0) > 0)

            let none = try await call(client, .get, "/v1/conversations/\(bo)/suggestions")
            #expect(none.0 == .ok)
            #expect(none.1["question"] is NSNull && (none.1["suggestions"] as? [Any])?.isEmpty == true)
            let nobody = try await call(client, .get, "/v1/conversations/15550000000/suggestions")
            #expect(nobody.0 == .notFound && errorCode(nobody.1) == "no_conversation")
        }
        #expect(setup.app.stats.snapshot.total == counted, "a look is not a decision: not counted")
    }
}

import Foundation
import Glibc
import IntentChannels
import IntentCore
import IntentHTTP
import IntentProviders
import IntentSQLite
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `serve` with the WhatsApp channel on, against the fake Graph API: Meta's handshake and
/// signatures, replies with the automation and statistics (in process), a person's reply across
/// kill -9 and a refused start-up (the binary: the process is the subject). Every channel's
/// messages across kill -9: `KillNineServeTests`.
@Suite(.serialized) struct WhatsAppServeTests {
    static let appSecret = "whatsapp-app-secret-\(UUID().uuidString.prefix(8))"
    static let verifyToken = "verify-\(UUID().uuidString.prefix(8))"
    static let consoleToken = "console-\(UUID().uuidString.prefix(8))"

    /// Always open, so that the test does not depend on the time of day; greeting on.
    static let automation = """
        timezone: UTC
        greeting: {text: "Welcome to the test shop!", after_days: 14}
        away:
          text: "We are closed."
          hours: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
        handover: {text: "A colleague takes over now.", mute_minutes: 60}
        """

    struct Setup {
        /// Removed when the test lets go of its setup.
        let folder: TemporaryDirectory
        var directory: String { folder.path }
        let graph: FakeGraphServer
        var accessToken: String { graph.token }

        func environment(graphPort: Int? = nil) -> [String: String] {
            [
                "INTENT_WHATSAPP_VERIFY_TOKEN": WhatsAppServeTests.verifyToken,
                "INTENT_WHATSAPP_APP_SECRET": WhatsAppServeTests.appSecret,
                "INTENT_WHATSAPP_ACCESS_TOKEN": accessToken,
                "INTENT_WHATSAPP_GRAPH_URL": "http://127.0.0.1:\(graphPort ?? graph.port)/v21.0",
                "INTENT_AUTOMATION": directory + "/automation.yaml",
                "INTENT_CONSOLE_TOKEN": WhatsAppServeTests.consoleToken,
                "INTENT_STATE": "sqlite:" + directory + "/state.sqlite",
            ]
        }
    }

    static func setUp() async throws -> Setup {
        let folder = try TemporaryDirectory("whatsapp")
        try automation.write(toFile: folder.file("automation.yaml"), atomically: true, encoding: .utf8)
        return Setup(folder: folder, graph: try await FakeGraphServer.start())
    }

    /// Waits until the server has processed every received message and sent everything queued
    /// (read from its state file: SQLite in WAL mode takes a reader beside the server).
    @discardableResult
    static func settle(_ setup: Setup) async throws -> SQLiteStateStore {
        let state = try SQLiteStateStore(path: setup.directory + "/state.sqlite")
        var settled = false
        try await eventually("every message processed and every reply sent") {
            let decided = try await state.unprocessed(limit: 1).isEmpty
            let sent = try await state.nextOutboxDue() == nil
            settled = decided && sent
            return settled
        }
        if !settled {
            // What is left, for a failure seen once: a message never decided, or an item never done.
            let waiting = try await state.unprocessed(limit: 5).map { "\($0.id) from \($0.customer): \($0.text ?? $0.type)" }
            let pending = try await state.dueOutbox(now: .distantFuture, limit: 5).map {
                "#\($0.id) \($0.draft.kind) to \($0.customer), \($0.attempts) attempts, queued \($0.createdAt): \($0.draft.body.prefix(120))"
            }
            Issue.record("not decided: \(waiting); not done: \(pending); next due: \(String(describing: try await state.nextOutboxDue()))")
        }
        return state
    }

    static func signed(_ body: [UInt8]) -> String { WebhookSignature(appSecret: appSecret).header(for: body) }

    func post(_ port: Int, _ body: [UInt8], signature: String?) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/webhooks/whatsapp")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let signature { request.setValue(signature, forHTTPHeaderField: "X-Hub-Signature-256") }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as! HTTPURLResponse).statusCode
    }

    func get(_ port: Int, _ path: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    /// What the fake Graph API accepted, in order.
    func sends(_ graphPort: Int) async throws -> [[String: Any]] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(graphPort)/_sent")!)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (object?["sent"] as? [[String: Any]] ?? []).compactMap { $0["body"] as? [String: Any] }
    }

    func texts(_ graphPort: Int, to customer: String) async throws -> [String] {
        try await sends(graphPort).filter { $0["to"] as? String == customer }.compactMap {
            ($0["text"] as? [String: Any])?["body"] as? String
        }
    }

    func waitForTexts(_ graphPort: Int, to customer: String, count: Int) async throws -> [String] {
        var texts: [String] = []
        try await eventually("\(count) texts sent to \(customer)") {
            texts = try await self.texts(graphPort, to: customer)
            return texts.count >= count
        }
        return texts
    }

    @Test func answersOnWhatsAppWithTheAutomation() async throws {
        let setup = try await Self.setUp()
        let log = LogBuffer()
        try await ServedInProcess.run(
            ["--corpus", MatchCommandTests.root.path + "/corpus", "--embedder", "lexical"], environment: setup.environment(), log: log
        ) { port, log in
            try await log.waitFor("corpus loaded")

            // Meta's subscription handshake.
            let (ok, challenge) = try await get(
                port, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=\(Self.verifyToken)&hub.challenge=1158201444")
            #expect(ok == 200)
            #expect(challenge == "1158201444")
            #expect(try await get(port, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1").0 == 403)

            let customer = "8613912345678"
            let body = Self.body(id: "wamid.E1", from: customer, text: "我想把钱要回来")
            #expect(try await post(port, body, signature: nil) == 401)
            #expect(try await post(port, body, signature: WebhookSignature(appSecret: "not-the-secret").header(for: body)) == 403)
            #expect(try await post(port, body, signature: Self.signed(body)) == 200)
            #expect(try await post(port, body, signature: Self.signed(body)) == 200)  // Meta's redelivery

            // The answer is exactly what /match decides, after the greeting, quoting the message.
            let match = try await ServeCommandTests().request(port, "/match", method: "POST", body: ["message": "我想把钱要回来"]).1
            let firstReplies = try await waitForTexts(setup.graph.port, to: customer, count: 2)
            #expect(firstReplies == ["Welcome to the test shop!", match["answer"] as? String ?? "?"])
            let all = try await sends(setup.graph.port)
            #expect(all.first?["status"] as? String == "read")
            #expect((all.last?["context"] as? [String: Any])?["message_id"] as? String == "wamid.E1")

            // A hand-over: the hand-over text, then silence while muted.
            let human = Self.body(id: "wamid.E2", from: customer, text: "转人工")
            #expect(try await post(port, human, signature: Self.signed(human)) == 200)
            #expect(try await waitForTexts(setup.graph.port, to: customer, count: 3).last == "A colleague takes over now.")
            let muted = Self.body(id: "wamid.E3", from: customer, text: "where is my parcel?")
            #expect(try await post(port, muted, signature: Self.signed(muted)) == 200)

            // Statistics: triggers with distinct customers, the channel's counts; /readyz says it is on.
            var stats: [String: Any] = [:]
            try await eventually("three messages received and three replies sent") {
                stats = try await ServeCommandTests().request(port, "/v1/stats", token: Self.consoleToken).1
                let whatsapp = stats["whatsapp"] as? [String: Int]
                return whatsapp?["received"] == 3 && whatsapp?["sent"] == 3
            }
            let whatsapp = try #require(stats["whatsapp"] as? [String: Int])
            #expect(whatsapp["received"] == 3)
            #expect(whatsapp["duplicates"] == 1)
            #expect(whatsapp["sent"] == 3)
            #expect(whatsapp["pending"] == 0)
            let automation = try #require(stats["automation"] as? [String: [String: Int]])
            #expect(automation["greeting"] == ["count": 1, "customers": 1])
            #expect(automation["handover"] == ["count": 1, "customers": 1])
            #expect((stats["customers_by_faq"] as? [String: Int])?["refund_request"] == 1)
            try await Self.settle(setup)
            #expect(try await texts(setup.graph.port, to: customer).count == 3)  // muted: nothing for E3
            // A person answers from the inbox's API: sent once, and in the timeline with their name.
            let reply = try await ServeCommandTests().request(
                port, "/v1/conversations/\(customer)/messages", method: "POST", body: ["text": "Lena here, I will check.", "by": "Lena"],
                token: Self.consoleToken)
            #expect(reply.0 == 202)
            #expect(try await waitForTexts(setup.graph.port, to: customer, count: 4).last == "Lena here, I will check.")
            let timeline = try await ServeCommandTests().request(port, "/v1/conversations/\(customer)/messages", token: Self.consoleToken).1
            let newest = try #require((timeline["messages"] as? [[String: Any]])?.first)
            #expect(newest["kind"] as? String == "agent" && newest["agent"] as? String == "Lena")
            #expect(newest["id"] as? String == reply.1["id"] as? String)
            let (noOne, _) = try await ServeCommandTests().request(
                port, "/v1/conversations/nobody/messages", method: "POST", body: ["text": "hi"], token: Self.consoleToken)
            #expect(noOne == 404)
            let ready = try await ServeCommandTests().request(port, "/readyz").1
            #expect((ready["whatsapp"] as? [String: Any])?["enabled"] as? Bool == true)
            // The inbox: the person who replied has the conversation until they resolve it.
            let client = ServeCommandTests()
            let listed = try await client.request(port, "/v1/conversations?status=mine", token: Self.consoleToken).1
            #expect((listed["conversations"] as? [[String: Any]])?.isEmpty == true)  // "mine" is the console token's, not Lena's
            let assigned = try await client.request(port, "/v1/conversations?status=assigned&q=li%20lei", token: Self.consoleToken).1
            let conversation = try #require((assigned["conversations"] as? [[String: Any]])?.first)
            #expect(conversation["id"] as? String == customer)
            #expect((conversation["customer"] as? [String: Any])?["name"] as? String == "Li Lei")
            #expect((conversation["customer"] as? [String: Any])?["channel"] as? String == "whatsapp")
            #expect(conversation["agent"] as? String == "Lena")
            #expect(conversation["window_open"] as? Bool == true)
            #expect(conversation["unread"] as? Int == 3)
            #expect(assigned.keys.contains("next_cursor"))
            let noted = try await client.request(
                port, "/v1/conversations/\(customer)/notes", method: "POST", body: ["text": "Refund asked twice"], token: Self.consoleToken)
            #expect(noted.0 == 201 && noted.1["kind"] as? String == "note")
            let tagged = try await client.request(
                port, "/v1/conversations/\(customer)/tags", method: "POST", body: ["add": ["refund"]], token: Self.consoleToken)
            #expect(tagged.1["tags"] as? [String] == ["refund"])
            #expect(
                try await client.request(port, "/v1/conversations/\(customer)/read", method: "POST", token: Self.consoleToken).1["unread"] as? Int
                    == 0)
            #expect(try await client.request(port, "/v1/conversations?status=bogus", token: Self.consoleToken).0 == 400)
            #expect(try await client.request(port, "/v1/conversations?cursor=%21%21", token: Self.consoleToken).0 == 400)
            let resolved = try await client.request(port, "/v1/conversations/\(customer)/resolve", method: "POST", token: Self.consoleToken)
            #expect(resolved.0 == 200 && resolved.1["status"] as? String == "resolved")
            #expect(try await client.request(port, "/v1/conversations/nobody/resolve", method: "POST", token: Self.consoleToken).0 == 404)
            #expect(try await client.request(port, "/v1/conversations/\(customer)/unmute", method: "POST", token: Self.consoleToken).0 == 200)
            let back = Self.body(id: "wamid.E4", from: customer, text: "我想把钱要回来")
            #expect(try await post(port, back, signature: Self.signed(back)) == 200)
            #expect(try await waitForTexts(setup.graph.port, to: customer, count: 5).last == match["answer"] as? String)
            let (_, metrics) = try await get(port, "/metrics")
            #expect(metrics.contains(#"intent_automation_triggers{trigger="greeting"} 1.0"#))
        }

        // Secrets never reach the log.
        for secret in [Self.appSecret, Self.verifyToken, setup.accessToken, Self.consoleToken] { #expect(!log.current.contains(secret)) }
    }

    @Test func aPersonsReplySurvivesKillNineAndGoesOutOnce() async throws {
        let setup = try await Self.setUp()
        // First run: the Graph API cannot be reached, so the hand-over and the reply stay queued.
        let first = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: setup.environment(graphPort: 9))
        defer { first.stop() }
        let port = try await first.port()
        let customer = "5511987650001"
        let human = Self.body(id: "wamid.H1", from: customer, text: "转人工")
        #expect(try await post(port, human, signature: Self.signed(human)) == 200)
        #expect(try await first.waitFor("send failed, retrying"))
        let client = ServeCommandTests()
        let waiting = try await client.request(port, "/v1/conversations?status=waiting", token: Self.consoleToken).1
        #expect((waiting["conversations"] as? [[String: Any]])?.first?["id"] as? String == customer)
        let reply = try await client.request(
            port, "/v1/conversations/\(customer)/messages", method: "POST", body: ["text": "Lena here, one moment."], token: Self.consoleToken)
        #expect(reply.0 == 202)
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.exitStatus()
        #expect(try await sends(setup.graph.port).isEmpty)

        // Second run: everything queued goes out once, in order; a redelivery changes nothing.
        let second = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: setup.environment())
        defer { second.stop() }
        let port2 = try await second.port()
        let sent = try await waitForTexts(setup.graph.port, to: customer, count: 3)
        #expect(sent.last == "Lena here, one moment.")
        #expect(try await post(port2, human, signature: Self.signed(human)) == 200)
        _ = try await Self.settle(setup)
        #expect(try await texts(setup.graph.port, to: customer) == sent)
        let timeline = try await client.request(port2, "/v1/conversations/\(customer)/messages", token: Self.consoleToken).1
        let newest = try #require((timeline["messages"] as? [[String: Any]])?.first)
        #expect(newest["kind"] as? String == "agent" && newest["status"] as? String != "queued")
        let assigned = try await client.request(port2, "/v1/conversations/\(customer)", token: Self.consoleToken).1
        #expect(assigned["status"] as? String == "assigned")
    }

    @Test func statePurgeDeletesOneCustomerAndUnmuteGivesTheChatBack() async throws {
        let folder = try TemporaryDirectory("state-cli")
        defer { withExtendedLifetime(folder) {} }
        let url = "sqlite:" + folder.file("state.sqlite")
        let store = try SQLiteStateStore(path: folder.file("state.sqlite"))
        let at = Date()
        let message = InboundMessage(id: "wamid.P1", customer: "8613900000001", phoneNumberID: "1", type: "text", text: "hi", sentAt: at)
        _ = try await store.receive([message], statuses: [], at: at)
        _ = try await store.process(message, at: at) { _ in
            ConversationPlan(
                conversation: Conversation(
                    customer: message.customer, firstInboundAt: at, lastInboundAt: at, mutedUntil: at.addingTimeInterval(3_600)),
                replies: [.text("hello")], triggers: [.greeting])
        }
        let cli = MatchCommandTests()
        let unmute = try await cli.run(["state", "unmute", "--customer", message.customer, "--state", url])
        #expect(unmute.status == 0, "\(unmute.stderr)")
        #expect(try await store.conversation(customer: message.customer)?.mutedUntil == nil)
        let purge = try await cli.run(["state", "purge", "--customer", message.customer, "--state", url])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(purge.stderr.contains("deleted"))
        #expect(try await store.conversation(customer: message.customer) == nil)
        #expect(try await store.dueOutbox(now: .distantFuture, limit: 10).isEmpty)
        #expect(try await cli.run(["state", "purge", "--customer", message.customer, "--state", url]).stderr.contains("nothing stored"))
        let both = try await cli.run(["state", "purge", "--customer", "x", "--older-than-days", "3", "--state", url])
        #expect(both.status != 0 && both.stderr.contains("exactly one"))
        let postgres = try await cli.run(["state", "purge", "--customer", "x", "--state", "postgres://u:hunter2@db/x"])
        #expect(postgres.status == 2 && !postgres.stderr.contains("hunter2"))
        // Every channel's customers are purged by their conversation id.
        let help = try await cli.run(["state", "purge", "--help"]).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.contains("telegram:<chat id>, webchat:<site>:<visitor>"), "\(help)")
    }

    @Test func aHalfConfiguredChannelOrABadAutomationFileStopsStartUpNamingWhatIsWrong() async throws {
        let secret = "half-secret-\(UUID().uuidString.prefix(6))"
        let half = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: ["INTENT_WHATSAPP_APP_SECRET": secret])
        #expect(try await half.exitStatus() == 2)
        #expect(half.log.contains("INTENT_WHATSAPP_VERIFY_TOKEN, INTENT_WHATSAPP_ACCESS_TOKEN"), "\(half.log)")
        #expect(!half.log.contains(secret))

        let setup = try await Self.setUp()
        var environment = setup.environment()
        environment["INTENT_WHATSAPP_GRAPH_URL"] = "http://graph.example.com/v21.0"
        let insecure = try ServeCommandTests.ServerProcess(arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: environment)
        #expect(try await insecure.exitStatus() == 2)
        #expect(insecure.log.contains("INTENT_WHATSAPP_GRAPH_URL: 'http://graph.example.com/v21.0' is plain http to another host"), "\(insecure.log)")

        try "timezone: Mars/Olympus\ngreeting: {after_days: 3}\n".write(
            toFile: setup.directory + "/automation.yaml", atomically: true, encoding: .utf8)
        let invalid = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: setup.environment())
        #expect(try await invalid.exitStatus() == 2)
        #expect(invalid.log.contains("automation.yaml:1: timezone: 'Mars/Olympus' is not an IANA time zone name"), "\(invalid.log)")
        #expect(invalid.log.contains("automation.yaml:2: greeting.text: missing"))
        for secret in [Self.appSecret, Self.verifyToken, setup.accessToken] { #expect(!invalid.log.contains(secret)) }
    }

    static func body(id: String, from customer: String, text: String) -> [UInt8] {
        body(
            from: customer,
            message: [
                "from": customer, "id": id, "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "text", "text": ["body": text],
            ])
    }

    /// One customer message (any type) in Meta's webhook envelope.
    static func body(from customer: String, message: [String: Any]) -> [UInt8] {
        let root: [String: Any] = [
            "object": "whatsapp_business_account",
            "entry": [
                [
                    "id": "102290129340398",
                    "changes": [
                        [
                            "field": "messages",
                            "value": [
                                "messaging_product": "whatsapp",
                                "metadata": ["display_phone_number": "15550783881", "phone_number_id": "106540352242922"],
                                "contacts": [["profile": ["name": "Li Lei"], "wa_id": customer]], "messages": [message],
                            ],
                        ]
                    ],
                ]
            ],
        ]
        let json = String(decoding: try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]), as: UTF8.self)
        // As Meta sends it: non-ASCII escaped as \uXXXX, and the signature over exactly these bytes.
        var escaped = ""
        for unit in json.utf16 {
            if unit < 0x80 { escaped.unicodeScalars.append(Unicode.Scalar(UInt8(unit))) } else { escaped += String(format: "\\u%04x", unit) }
        }
        return Array(escaped.utf8)
    }
}

struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

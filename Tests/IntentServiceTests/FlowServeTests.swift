import Foundation
import Glibc
import IntentChannels
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Testing

/// `serve` with the sample corpus's three flows (corpus/flows.yaml) on WhatsApp, against the fake
/// Graph API and a fake shop system for the lookup and lead webhooks: each flow end to end (in
/// process), and a run that survives kill -9 (the binary).
@Suite(.serialized) struct FlowServeTests {
    static let webhookSecret = "flow-secret-\(UUID().uuidString.prefix(8))"

    struct Setup {
        let whatsapp: WhatsAppServeTests.Setup
        let crm: FakeCRMServer

        func environment(graphPort: Int? = nil) -> [String: String] {
            var environment = whatsapp.environment(graphPort: graphPort)
            environment["INTENT_ORDER_LOOKUP_URL"] = "http://127.0.0.1:\(crm.port)/orders/lookup"
            environment["INTENT_LEAD_CAPTURE_URL"] = "http://127.0.0.1:\(crm.port)/leads"
            environment["INTENT_FLOW_WEBHOOK_SECRET"] = FlowServeTests.webhookSecret
            return environment
        }
    }

    static func setUp() async throws -> Setup {
        let whatsapp = try await WhatsAppServeTests.setUp()
        let crm = try await FakeCRMServer.start(secret: webhookSecret)
        return Setup(whatsapp: whatsapp, crm: crm)
    }

    static let corpus = MatchCommandTests.root.path + "/corpus"

    /// A tapped reply button (`button_reply`) or list row (`list_reply`), as WhatsApp posts it.
    static func tap(id: String, from customer: String, option: String, title: String, list: Bool = false) -> [UInt8] {
        let kind = list ? "list_reply" : "button_reply"
        let message: [String: Any] = [
            "from": customer, "id": id, "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "interactive",
            "interactive": ["type": kind, kind: ["id": option, "title": title]],
        ]
        return WhatsAppServeTests.body(from: customer, message: message)
    }

    /// What one customer was sent, in order: texts as their body, interactive messages as
    /// `type: body` (`button: ...`, `list: ...`).
    static func seen(_ graphPort: Int, by customer: String) async throws -> [String] {
        try await WhatsAppServeTests().sends(graphPort).filter { $0["to"] as? String == customer }.compactMap { send in
            if let text = (send["text"] as? [String: Any])?["body"] as? String { return text }
            guard let interactive = send["interactive"] as? [String: Any] else { return nil }
            return "\(interactive["type"] as? String ?? "?"): \((interactive["body"] as? [String: Any])?["text"] as? String ?? "")"
        }
    }

    /// Each message begins with its prefix, one for one.
    static func expect(_ messages: [String], startWith prefixes: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(messages.count == prefixes.count, "\(messages)", sourceLocation: sourceLocation)
        for (message, prefix) in zip(messages, prefixes) {
            #expect(message.hasPrefix(prefix), "'\(message)' should begin with '\(prefix)'", sourceLocation: sourceLocation)
        }
    }

    func say(_ port: Int, _ body: [UInt8]) async throws {
        #expect(try await WhatsAppServeTests().post(port, body, signature: WhatsAppServeTests.signed(body)) == 200)
    }

    func text(_ id: String, _ customer: String, _ words: String) -> [UInt8] {
        WhatsAppServeTests.body(id: id, from: customer, text: words)
    }

    @Test func theSampleFlowsRunEndToEnd() async throws {
        let setup = try await Self.setUp()
        let graph = setup.whatsapp.graph.port
        try await ServedInProcess.run(["--corpus", Self.corpus, "--embedder", "lexical"], environment: setup.environment()) { port, log in
            try await log.waitFor("corpus loaded")

            // Order status: the entry's static answer is replaced by the flow; the lookup is signed.
            let ana = "8613900000101"
            try await say(port, text("wamid.F1", ana, "What is the status of my order?"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            try await say(port, text("wamid.F2", ana, "my order is 12345"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            try await say(port, text("wamid.F3", ana, "LM123456"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            try await say(port, Self.tap(id: "wamid.F4", from: ana, option: "done", title: "Done 完成"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            let order = try await Self.seen(graph, by: ana)
            Self.expect(
                order,
                startWith: [
                    "Welcome to the test shop!", "What is your order number?", "That does not look like an order number",
                    "What is your order number?", "Order LM123456: shipped, arriving 2026-12-09.", "button: Anything else I can help with?",
                    "Thank you, have a nice day!",
                ])

            // Wholesale lead capture: the CRM gets the lead, the customer the thanks.
            let bo = "8613900000102"
            for (id, words) in [("wamid.G1", "wholesale prices please"), ("wamid.G2", "Bo"), ("wamid.G3", "bo@example.com")] {
                try await say(port, text(id, bo, words))
                try await WhatsAppServeTests.settle(setup.whatsapp)
            }
            try await say(port, Self.tap(id: "wamid.G4", from: bo, option: "bags", title: "Bags 包袋"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            try await say(port, text("wamid.G5", bo, "150"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            let lead = try await Self.seen(graph, by: bo)
            #expect(lead.last?.hasPrefix("Thank you Bo! Our B2B team will write to bo@example.com") == true, "\(lead)")
            let stored = try await setup.crm.leads()
            #expect(stored.count == 1)
            #expect(
                stored.first?["variables"] as? [String: String] == ["name": "Bo", "email": "bo@example.com", "category": "bags", "qty": "150"])

            // Product recommendations: a list message, and the row tapped picks the branch.
            let cy = "8613900000103"
            try await say(port, text("wamid.H1", cy, "can you recommend something?"))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            try await say(port, Self.tap(id: "wamid.H2", from: cy, option: "shoes", title: "Shoes 鞋履", list: true))
            try await WhatsAppServeTests.settle(setup.whatsapp)
            Self.expect(
                try await Self.seen(graph, by: cy),
                startWith: ["Welcome to the test shop!", "list: What are you shopping for?", "Try the Cloud Walk sneakers"])
            let list = try #require(
                try await WhatsAppServeTests().sends(graph).first { ($0["interactive"] as? [String: Any])?["type"] as? String == "list" })
            let sections = ((list["interactive"] as? [String: Any])?["action"] as? [String: Any])?["sections"] as? [[String: Any]]
            #expect((sections?.first?["rows"] as? [[String: Any]])?.count == 5)

            // The analytics, persisted in the state store.
            let client = ServeCommandTests()
            var flows: [[String: Any]] = []
            try await eventually("the figures of three runs") {
                flows = try await client.request(port, "/v1/flows", token: WhatsAppServeTests.consoleToken).1["flows"] as? [[String: Any]] ?? []
                return flows.compactMap { $0["completed"] as? Int }.reduce(0, +) == 3
            }
            let byID = Dictionary(uniqueKeysWithValues: flows.map { ($0["id"] as? String ?? "", $0) })
            #expect(byID["order_status"]?["triggered"] as? Int == 1)
            #expect(byID["order_status"]?["engaged"] as? Int == 1)
            let orderNodes = byID["order_status"]?["nodes"] as? [String: [String: Any]]
            #expect(orderNodes?["ask_order"]?["entered"] as? Int == 1)
            #expect(orderNodes?["what_next"]?["options"] as? [String: Int] == ["more": 0, "person": 0, "done": 1])
            #expect(orderNodes?["bye"]?["left"] as? Int == 1)
            #expect((byID["recommend"]?["nodes"] as? [String: [String: Any]])?["shoes"]?["entered"] as? Int == 1)
            #expect(byID["wholesale_lead"]?["customers"] as? Int == 1)
            let (_, metrics) = try await WhatsAppServeTests().get(port, "/metrics")
            #expect(metrics.contains(#"intent_flow_runs{flow="wholesale_lead",figure="completed"} 1.0"#), "\(metrics.suffix(2_000))")
            #expect(!log.current.contains(Self.webhookSecret))

            // Starting a flow for a customer inside the window, and refusing one outside.
            let (started, _) = try await client.request(
                port, "/v1/flows/recommend/start", method: "POST", body: ["customer": cy], token: WhatsAppServeTests.consoleToken)
            #expect(started == 202)
            let (unknown, body) = try await client.request(
                port, "/v1/flows/recommend/start", method: "POST", body: ["customer": "8613999999999"], token: WhatsAppServeTests.consoleToken)
            #expect(unknown == 404)
            #expect((body["error"] as? [String: Any])?["code"] as? String == "no_conversation")
        }
    }

    @Test func aRunSurvivesKillNineAndGoesOnWhereItWas() async throws {
        let setup = try await Self.setUp()
        let graph = setup.whatsapp.graph.port
        let customer = "5511900000201"
        // First run: the Graph API cannot be reached, so the replies stay queued while the run advances.
        let first = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: setup.environment(graphPort: 9))
        defer { first.stop() }
        let port = try await first.port()
        try await say(port, text("wamid.K1", customer, "wholesale"))
        try await say(port, text("wamid.K2", customer, "Kim"))
        try await eventually("the run at the e-mail question") {
            let state = try SQLiteStateStore(path: setup.whatsapp.directory + "/state.sqlite")
            return try await state.conversation(customer: customer)?.flowRun?.step == "ask_email"
        }
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.exitStatus()

        // Second run: the queued questions go out once; the run goes on from the e-mail question.
        let second = try ServeCommandTests.ServerProcess(
            arguments: ["--corpus", "corpus", "--embedder", "lexical"], environment: setup.environment())
        defer { second.stop() }
        let port2 = try await second.port()
        try await say(port2, text("wamid.K2", customer, "Kim"))  // Meta's redelivery: a duplicate
        try await say(port2, text("wamid.K3", customer, "kim@example.com"))
        try await WhatsAppServeTests.settle(setup.whatsapp)
        Self.expect(
            try await Self.seen(graph, by: customer),
            startWith: ["Welcome to the test shop!", "Happy to help with wholesale!", "Your e-mail address?", "button: Which products"])
        let state = try SQLiteStateStore(path: setup.whatsapp.directory + "/state.sqlite")
        #expect(try await state.conversation(customer: customer)?.flowRun?.variables == ["name": "Kim", "email": "kim@example.com"])
    }
}

import Foundation
import IntentChannels
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

/// Flows through the WhatsApp channel end to end in process: signed webhooks in, the runtime
/// advancing runs in the store, replies out to the fake Graph API, webhook steps to the fake
/// shop system, time from an injected clock.
@Suite struct FlowChannelTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"
    static let crmSecret = "crm-secret-\(UUID().uuidString.prefix(8))"

    /// A stand-in matcher: "human" is a hand-over rule; "refund" answers the refund entry unless
    /// only rules are asked (a flow takes the message).
    static let decide: ChannelRuntime.Decide = { text, _, rulesOnly, _ in
        if text.contains("human") { return BotAnswer(answer: "Passing you on.", rule: "human_handover", handover: true) }
        if rulesOnly { return .unanswered }
        if text.contains("refund") { return BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") }
        if text.contains("order") { return BotAnswer(answer: "Orders ship in 2 days.", entry: "order_status") }
        if text.contains("parcel") {
            return BotAnswer(
                answer: nil,
                choices: [
                    Flow.Option(id: "shipping_time", title: "How long does shipping take?"), Flow.Option(id: "track", title: "Where is my parcel?"),
                ])
        }
        return .unanswered
    }

    /// The questions picks were made for, as the runtime found them.
    static let pickedFor = Locked<[String?]>([])

    static let pick: ChannelRuntime.Pick = { entry, _, question in
        pickedFor.withLock { $0.append(question) }
        return entry == "track"
            ? BotAnswer(answer: "Track it at example.com/track.", entry: "track", chosen: true) : BotAnswer(answer: nil, chosen: false)
    }

    static func flowFile(crm: Int) -> String {
        """
        flows:
          wholesale:
            name: Wholesale enquiry
            trigger: {keyword: ["wholesale", "批发"]}
            start: ask_name
            steps:
              ask_name:  {ask: "May I have your name?", save: name, next: ask_email}
              ask_email: {ask: "Your e-mail address?", save: email, expect: email, invalid: "That does not look like an e-mail address.", next: pick}
              pick:      {buttons: "Which products?", options: {bags: Bags, shoes: Shoes, other: Something else}, save: category, next: ask_qty}
              ask_qty:   {ask: "How many pieces?", save: qty, expect: number, timeout_minutes: 30, next: tag_lead}
              tag_lead:  {tag: [lead], next: crm}
              crm:       {webhook: "http://127.0.0.1:\(crm)/leads", next: done, error: sorry}
              done:      {say: "Thank you {{name}}! Our sales team will write to {{email}} within a day.", end: true}
              sorry:     {handover: "Let me pass you to a colleague."}
          order:
            name: Order status
            trigger: {entry: order_status}
            start: ask_order
            steps:
              ask_order: {ask: "What is your order number?", save: order, expect: {pattern: "[A-Za-z][0-9]{4}"}, next: lookup}
              lookup:    {webhook: "http://127.0.0.1:\(crm)/orders/lookup", next: status, error: unknown}
              status:    {say: "Order {{webhook.order}} is {{webhook.status}}, arriving {{webhook.eta}}.", end: true}
              unknown:   {say: "I could not find that order.", end: true}
        """
    }

    static func harness(
        crmSecret: String? = FlowChannelTests.crmSecret, webhookSecret: String? = FlowChannelTests.crmSecret, automation: Automation = .none
    ) async throws -> WhatsAppHarness {
        let crm = try await FakeCRMServer.start(secret: crmSecret)
        var options = WhatsAppHarness.Options(decide: decide)
        options.automation = automation
        options.flows = FlowLibrary(try FlowFile.parse(flowFile(crm: crm.port), file: "flows.yaml"))
        options.flowWebhook = FlowWebhook(secret: webhookSecret, retryFor: 60)
        options.webhookTransport = CurlHTTPClient()
        options.crm = crm
        options.pick = pick
        // Retries come within seconds; a later item waits for the test to move the clock.
        options.settledWithin = 5
        return try await .whatsApp(secret: secret, options)
    }

    static func text(_ id: String, _ text: String, from customer: String) -> [UInt8] {
        WebhookBody.message(id: id, from: customer, text: text, name: "Ana")
    }

    /// A reply-button choice, as WhatsApp delivers it.
    static func buttonReply(_ id: String, option: String, title: String, from customer: String, replyingTo context: String? = nil) -> [UInt8] {
        var message: [String: Any] = [
            "from": customer, "id": id, "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "interactive",
            "interactive": ["type": "button_reply", "button_reply": ["id": option, "title": title]],
        ]
        if let context { message["context"] = ["from": "15550783881", "id": context] }
        return WebhookBody.envelope(
            phoneNumberID: "106540352242922", value: ["contacts": [["profile": ["name": "Ana"], "wa_id": customer]], "messages": [message]])
    }

    @Test func aLeadIsCapturedStepByStepAndHandedToTheCRM() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let ana = "15551239001"
        for (id, body) in [
            ("w1", Self.text("w1", "Hi, wholesale prices please", from: ana)), ("w2", Self.text("w2", "Ana", from: ana)),
            ("w3", Self.text("w3", "not an address", from: ana)), ("w4", Self.text("w4", "ana@example.com", from: ana)),
            ("w5", Self.buttonReply("w5", option: "bags", title: "Bags", from: ana)), ("w6", Self.text("w6", "150", from: ana)),
        ] {
            #expect(await h.post(body) == .accepted(new: 1, duplicates: 0, statuses: 0), "\(id)")
            try await h.settle()
        }
        // A redelivered answer does not advance the run again.
        #expect(await h.post(Self.text("w6", "150", from: ana)) == .accepted(new: 0, duplicates: 1, statuses: 0))
        try await h.settle()
        #expect(
            try await h.seen(by: ana) == [
                "May I have your name?", "Your e-mail address?", "That does not look like an e-mail address.", "Your e-mail address?",
                "Which products?", "How many pieces?", "Thank you Ana! Our sales team will write to ana@example.com within a day.",
            ])
        let calls = try await h.crmCalls()
        #expect(calls.count == 1)
        let call = try #require(calls.first)
        #expect(call["path"] as? String == "/leads")
        #expect(call["status"] as? Int == 201)
        let headers = try #require(call["headers"] as? [String: String])
        let body = try #require(call["body"] as? String)
        #expect(headers["x-intent-signature-256"] == WebhookSignature(appSecret: Self.crmSecret).header(for: Array(body.utf8)))
        #expect(headers["x-intent-delivery"] != nil)
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(sent["flow"] as? String == "wholesale")
        #expect(sent["step"] as? String == "crm")
        #expect(sent["customer"] as? [String: String] == ["id": ana, "channel": "whatsapp", "name": "Ana"])
        #expect(
            sent["variables"] as? [String: String] == ["name": "Ana", "email": "ana@example.com", "category": "bags", "qty": "150"])

        let conversation = try await h.store.conversation(customer: ana)
        #expect(conversation?.flowRun == nil)
        #expect(conversation?.tags == ["lead"])
        let figures = try #require(try await h.figures("wholesale"))
        #expect(figures.triggered == 1)
        #expect(figures.customers == 1)
        #expect(figures.engaged == 1)
        #expect(figures.completed == 1)
        #expect(figures.nodes["ask_email"]?.entered == 1)
        #expect(figures.nodes["pick"]?.options == ["bags": 1, "shoes": 0, "other": 0])
        #expect(figures.nodes["done"]?.left == 1)
        #expect(figures.nodes["sorry"]?.entered == 0)
    }

    @Test func anEntryTriggerReplacesTheAnswerAndAFailingLookupIsRetriedThenGivesWay() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let bo = "15551239002"
        // Twice unavailable, then the lookup answers: the run goes on with the answer's fields.
        try await h.scriptCRM([["mode": "status", "status": 503], ["mode": "drop"]])
        _ = await h.post(Self.text("o1", "where is my order", from: bo))
        try await h.settle()
        _ = await h.post(Self.text("o2", "a1001", from: bo))
        try await h.settle()
        #expect(try await h.seen(by: bo) == ["What is your order number?", "Order A1001 is shipped, arriving 2026-12-09."])
        let calls = try await h.crmCalls()
        #expect(calls.map { $0["status"] as? Int } == [503, 0, 200])
        // One step run: every attempt carries the same delivery id.
        #expect(Set(calls.compactMap { ($0["headers"] as? [String: String])?["x-intent-delivery"] }).count == 1)

        // An order the shop does not know: a 4xx is final at once, and the run takes `error`.
        _ = await h.post(Self.text("o3", "my order please", from: bo))
        try await h.settle()
        _ = await h.post(Self.text("o4", "Z9999", from: bo))
        try await h.settle()
        #expect(try await h.seen(by: bo).suffix(2) == ["What is your order number?", "I could not find that order."])
        #expect(try await h.crmCalls().count == 4)
    }

    @Test func aLookupThatStaysDownForAMinuteTakesTheErrorStep() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let cy = "15551239003"
        try await h.scriptCRM(Array(repeating: ["mode": "status", "status": 502], count: 100))
        _ = await h.post(Self.text("d1", "order status?", from: cy))
        try await h.settle()
        _ = await h.post(Self.text("d2", "A1002", from: cy))
        // Retried while the step run is younger than a minute; the clock then moves past it.
        try await eventually("the lookup is retried") { try await h.crmCalls().count >= 2 }
        h.offset.withLock { $0 += 61 }
        try await h.settle()
        #expect(try await h.seen(by: cy).last == "I could not find that order.")
        #expect(try await h.store.conversation(customer: cy)?.flowRun == nil)
    }

    @Test func anUnsignedCallIsRefusedByTheShopAndTheRunGivesWay() async throws {
        let h = try await Self.harness(webhookSecret: nil)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let di = "15551239004"
        _ = await h.post(Self.text("u1", "order?", from: di))
        try await h.settle()
        _ = await h.post(Self.text("u2", "A1001", from: di))
        try await h.settle()
        #expect(try await h.crmCalls().map { $0["status"] as? Int } == [401])
        #expect(try await h.seen(by: di).last == "I could not find that order.")
    }

    @Test func aQuestionLeftUnansweredTimesOutAndIsCountedWhereItWasLeft() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let ed = "15551239005"
        for (id, text) in [("t1", "wholesale"), ("t2", "Ed"), ("t3", "ed@example.com")] {
            _ = await h.post(Self.text(id, text, from: ed))
            try await h.settle()
        }
        _ = await h.post(Self.buttonReply("t4", option: "shoes", title: "Shoes", from: ed))
        try await h.settle()
        #expect(try await h.store.conversation(customer: ed)?.flowRun?.step == "ask_qty")
        h.offset.withLock { $0 += 31 * 60 }
        try await eventually("the run times out") { try await h.store.conversation(customer: ed)?.flowRun == nil }
        let figures = try #require(try await h.figures("wholesale"))
        #expect(figures.abandoned == 1)
        #expect(figures.nodes["ask_qty"]?.left == 1)
        // After the run, the matcher answers again.
        _ = await h.post(Self.text("t5", "refund?", from: ed))
        try await h.settle()
        #expect(try await h.seen(by: ed).last == "Refunds take 5 days.")
    }

    @Test func aStopWordOrAHandOverRuleEndsTheRunAndATypedTitleCountsAsTheChoice() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let fa = "15551239006"
        for (id, text) in [("s1", "批发"), ("s2", "Fa"), ("s3", "fa@example.com"), ("s4", "  SOMETHING ELSE "), ("s5", "cancel")] {
            _ = await h.post(Self.text(id, text, from: fa))
            try await h.settle()
        }
        #expect(try await h.seen(by: fa).suffix(2) == ["How many pieces?", FlowSet.defaultStopReply])
        #expect(try await h.store.conversation(customer: fa)?.flowRun == nil)
        // A new run; "human" is the hand-over rule's, not an answer to the question.
        for (id, text) in [("s6", "wholesale again"), ("s7", "human please")] {
            _ = await h.post(Self.text(id, text, from: fa))
            try await h.settle()
        }
        #expect(try await h.seen(by: fa).suffix(2) == ["May I have your name?", "Passing you on."])
        let conversation = try await h.store.conversation(customer: fa)
        #expect(conversation?.flowRun == nil)
        #expect(conversation?.mutedUntil != nil)
        let figures = try #require(try await h.figures("wholesale"))
        #expect(figures.triggered == 2)
        #expect(figures.customers == 1)
        #expect(figures.abandoned == 2)
        #expect(figures.nodes["pick"]?.options?["other"] == 1)
    }

    @Test func aFlowStartsThroughTheAPIOnlyInsideTheWindow() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let gu = "15551239007"
        #expect(await h.runtime.startFlow("wholesale", customer: gu) == .unknownCustomer)
        _ = await h.post(Self.text("a1", "refund?", from: gu))
        try await h.settle()
        #expect(await h.runtime.startFlow("nope", customer: gu) == .unknownFlow)
        #expect(await h.runtime.startFlow("wholesale", customer: gu) == .started)
        try await h.settle()
        #expect(try await h.seen(by: gu).last == "May I have your name?")
        #expect(await h.runtime.startFlow("order", customer: gu) == .running(flow: "wholesale"))
        h.offset.withLock { $0 += 25 * 3_600 }
        guard case .windowClosed = await h.runtime.startFlow("order", customer: gu) else {
            Issue.record("a start after 24 hours must be refused")
            return
        }
    }

    @Test func anAmbiguousQuestionIsOfferedAsAChoiceAndThePickAnswers() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let ho = "15551239008"
        _ = await h.post(Self.text("c1", "my parcel?", from: ho))
        try await h.settle()
        let offer = try #require(try await h.fake.sent().last { $0["to"] as? String == ho })
        let interactive = try #require(offer["interactive"] as? [String: Any])
        #expect(interactive["type"] as? String == "button")
        let buttons = ((interactive["action"] as? [String: Any])?["buttons"] as? [[String: Any]] ?? []).compactMap {
            $0["reply"] as? [String: String]
        }
        #expect(buttons.map { $0["id"] } == ["faq:shipping_time", "faq:track", "faq:"])
        #expect(buttons.last?["title"] == "Something else")
        // The tap replies to the offer: the question it was offered for goes with the pick.
        let offerID = try #require(try await h.fake.ids().last)
        _ = await h.post(Self.buttonReply("c2", option: "faq:track", title: "Where is my parcel?", from: ho, replyingTo: offerID))
        try await h.settle()
        _ = await h.post(Self.text("c3", "parcel again", from: ho))
        try await h.settle()
        _ = await h.post(Self.buttonReply("c4", option: "faq:", title: "Something else", from: ho))
        try await h.settle()
        #expect(
            try await h.seen(by: ho) == [
                "Did you mean one of these?", "Track it at example.com/track.", "Did you mean one of these?", "Sorry, I did not get that.",
            ])
        #expect(try await h.store.offeredQuestion(choiceMessage: offerID) == "my parcel?")
        #expect(Self.pickedFor.current.contains("my parcel?"))
        let figures = try await h.store.statistics()
        #expect(figures.triggers["choices:offered"]?.count == 2)
        #expect(figures.triggers["choices:chosen"]?.count == 1)
        #expect(figures.triggers["choices:none"]?.count == 1)
        #expect(figures.triggers["faq:track"]?.count == 1)
    }
}

extension WhatsAppHarness {
    /// What the customer saw, in order: texts, and interactive messages as their body text.
    func seen(by customer: String) async throws -> [String] {
        try await fake.sent().filter { $0["to"] as? String == customer }.compactMap { send in
            if let text = (send["text"] as? [String: Any])?["body"] as? String { return text }
            return ((send["interactive"] as? [String: Any])?["body"] as? [String: Any])?["text"] as? String
        }
    }

    /// The calls the flows' webhook steps made to the shop system.
    func crmCalls() async throws -> [[String: Any]] { try await crm?.calls() ?? [] }

    func scriptCRM(_ script: [[String: Any]]) async throws { try await crm?.script(script) }

    func figures(_ flow: String) async throws -> FlowFigures? {
        FlowFigures.of(runtime.flows.current.set.flows, in: try await store.statistics()).first { $0.id == flow }
    }
}

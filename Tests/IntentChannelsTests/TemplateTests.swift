import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// WhatsApp templates: the approved list read from the Graph API (paged, cached, stale while the
/// API fails), and a person's template message queued, sent as Meta takes it and shown in the
/// timeline, after the customer's 24-hour window closed.
@Suite struct TemplateTests {
    static let account = "102290129340398"

    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"

    /// A channel with a WhatsApp Business Account (`account`), when it is not nil.
    static func harness(account: String? = TemplateTests.account) async throws -> WhatsAppHarness {
        try await .whatsApp(secret: secret, businessAccountID: account, WhatsAppHarness.Options { _, _, _, _ in .unanswered })
    }

    // MARK: The send, end to end

    @Test func aTemplateReachesACustomerWhoseWindowClosedOnceAndTheTimelineShowsIt() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let ana = "15551240001"
        _ = await h.post(WebhookBody.message(id: "t1", from: ana, text: "hello", name: "Ana"))
        try await h.settle()
        let before = try await h.store.statistics().sent

        // A day and an hour later: a text reply is refused, a template is what reaches her.
        h.offset.withLock { $0 += 25 * 3_600 }
        guard case .windowClosed = await h.runtime.reply(to: ana, text: "Are you there?", agent: "Lena") else {
            Issue.record("a text reply after 24 hours must be refused")
            return
        }
        let sent = await h.runtime.sendTemplate(name: "order_update", language: "en_US", parameters: ["Ana", "A1001"], to: ana, agent: "Lena")
        guard case .queued = sent else {
            Issue.record("the template must be queued, got \(sent)")
            return
        }
        try await h.settle()
        let templates = try await h.fake.sent().filter { $0["to"] as? String == ana && $0["type"] as? String == "template" }
        #expect(templates.count == 1)
        let template = try #require(templates.first?["template"] as? [String: Any])
        #expect(template["name"] as? String == "order_update")
        #expect((template["language"] as? [String: Any])?["code"] as? String == "en_US")
        let components = try #require(template["components"] as? [[String: Any]])
        #expect(components.count == 1 && components[0]["type"] as? String == "body")
        let parameters = try #require(components[0]["parameters"] as? [[String: Any]])
        #expect(parameters.map { $0["text"] as? String } == ["Ana", "A1001"])
        #expect(parameters.allSatisfy { $0["type"] as? String == "text" && $0["parameter_name"] == nil })
        #expect(try await h.fake.texts(to: ana) == ["Sorry, I did not get that."], "the refused text never went out")

        let newest = try #require(try await h.runtime.timeline(customer: ana, before: nil, limit: 1).first)
        #expect(newest.type == "template" && newest.kind == "agent" && newest.agent == "Lena")
        #expect(newest.text == "Hi Ana, your order A1001 has shipped.")
        #expect(newest.status == "sent")
        #expect(try await h.store.statistics().sent == before + 1, "a template counts as a message sent")
        // The person has the conversation now: the bot stays silent when she answers.
        #expect(try await h.store.conversation(customer: ana)?.mutedUntil.map { $0 > h.runtime.clock() } == true)
    }

    @Test func aTemplateIsCheckedAgainstTheApprovedOnesBeforeAnythingIsQueued() async throws {
        let h = try await Self.harness()
        let bo = "15551240002"
        _ = await h.post(WebhookBody.message(id: "t2", from: bo, text: "hi", name: "Bo"))
        func send(_ name: String, _ language: String, _ parameters: [String], to customer: String = bo) async -> ChannelRuntime.TemplateSend {
            await h.runtime.sendTemplate(name: name, language: language, parameters: parameters, to: customer, agent: "Lena")
        }
        #expect(await send("no_such_template", "en_US", []) == .unknownTemplate(languages: []))
        #expect(await send("order_update", "de", ["a", "b"]) == .unknownTemplate(languages: ["en_US", "zh_CN"]))
        #expect(await send("spring_sale", "en_US", ["20%"]) == .unknownTemplate(languages: []), "pending: not approved")
        #expect(await send("order_update", "en_US", ["Bo"]) == .wrongParameterCount(expected: 2))
        #expect(await send("hello_world", "en_US", ["x"]) == .wrongParameterCount(expected: 0))
        #expect(await send("hello_world", "en_US", [], to: "15550000000") == .unknownCustomer)
        #expect(try await h.store.dueOutbox(now: .distantFuture, limit: 10).isEmpty, "nothing queued")
        #expect(try await h.listRequests() == 1, "one list for every check")
    }

    @Test func namedPlaceholdersGoWithTheirNames() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let cy = "15551240003"
        _ = await h.post(WebhookBody.message(id: "t3", from: cy, text: "hi", name: "Cy"))
        try await h.settle()
        let sent = await h.runtime.sendTemplate(name: "appointment_reminder", language: "en_US", parameters: ["Cy", "Monday"], to: cy, agent: "Lena")
        guard case .queued = sent else {
            Issue.record("the template must be queued, got \(sent)")
            return
        }
        try await h.settle()
        let template = try #require(try await h.fake.sent().last { $0["type"] as? String == "template" }?["template"] as? [String: Any])
        let parameters = try #require((template["components"] as? [[String: Any]])?.first?["parameters"] as? [[String: Any]])
        #expect(parameters.map { $0["parameter_name"] as? String } == ["first_name", "day"])
        #expect(try await h.runtime.timeline(customer: cy, before: nil, limit: 1).first?.text == "Hello Cy, see you on Monday.")
    }

    // MARK: The list

    @Test func theListIsReadPageByPageAndCachedForFiveMinutes() async throws {
        let h = try await Self.harness()
        // 150 approved and 30 pending: two pages of 100, the pending ones left out.
        let many = (0..<180).map { i -> [String: Any] in
            [
                "id": "\(9000 + i)", "name": "t\(i)", "language": "en_US", "status": i < 150 ? "APPROVED" : "PENDING", "category": "UTILITY",
                "components": [["type": "BODY", "text": "Number {{1}}"]],
            ]
        }
        try await h.fake.control(["templates": many])
        guard case .current(let first, let fetchedAt) = await h.templates.listing() else {
            Issue.record("the list must be fetched")
            return
        }
        #expect(first.count == 150)
        #expect(Set(first.map(\.name)).count == 150)
        #expect(first.allSatisfy { $0.parameters == 1 && $0.body == "Number {{1}}" })
        #expect(try await h.listRequests() == 2)
        // A second look within 5 minutes asks nothing of the Graph API.
        #expect(await h.templates.listing() == .current(first, fetchedAt: fetchedAt))
        #expect(try await h.listRequests() == 2)
        h.offset.withLock { $0 += 301 }
        try await h.fake.control(["templates": Array(many.prefix(3))])
        guard case .current(let refreshed, _) = await h.templates.listing() else {
            Issue.record("the list must be refreshed after 5 minutes")
            return
        }
        #expect(refreshed.map(\.name) == ["t0", "t1", "t2"])
        #expect(try await h.listRequests() == 3)
    }

    @Test func aFailingRefreshServesTheListBeforeAsStaleAndNoListIsUnavailable() async throws {
        let h = try await Self.harness()
        // No list yet, and the Graph API fails: unavailable, naming Meta's error but never the token.
        try await h.fake.control(["list_script": [["mode": "error", "code": 2]]])
        guard case .unavailable(let reason) = await h.templates.listing() else {
            Issue.record("without any list, a failure leaves none")
            return
        }
        #expect(reason.contains("code 2") && reason.contains("Service temporarily unavailable"))
        #expect(!reason.contains(h.fake.token))
        // Within 30 s it is not asked again.
        #expect(await h.templates.listing() == .unavailable(reason))
        #expect(try await h.listRequests() == 1)
        h.offset.withLock { $0 += 31 }
        guard case .current(let list, let fetchedAt) = await h.templates.listing() else {
            Issue.record("the next look after 30 s fetches the list")
            return
        }
        #expect(list.map(\.name).sorted() == ["appointment_reminder", "hello_world", "order_update", "order_update"])
        let order = try #require(list.first { $0.name == "order_update" && $0.language == "en_US" })
        #expect(order.buttons == [MessageTemplate.Button(type: "quick_reply", text: "Thanks")])
        #expect(order.category == "UTILITY")

        // Expired, and the refresh fails: the list before, stale, with the reason.
        h.offset.withLock { $0 += 301 }
        try await h.fake.control(["list_script": [["mode": "error", "code": 131000]]])
        guard case .stale(let stale, let staleAt, let error) = await h.templates.listing() else {
            Issue.record("a failed refresh serves the list fetched before")
            return
        }
        #expect(stale == list && staleAt == fetchedAt)
        #expect(error.contains("code 131000"))
        // Templates are still checked against it meanwhile (this one passes, and finds no such customer).
        #expect(await h.runtime.sendTemplate(name: "hello_world", language: "en_US", parameters: [], to: "nobody", agent: "Lena") == .unknownCustomer)
        h.offset.withLock { $0 += 31 }
        guard case .current = await h.templates.listing() else {
            Issue.record("the Graph API answers again: the list is current")
            return
        }
        #expect(try await h.listRequests() == 4)
    }

    @Test func withoutABusinessAccountTheListSaysWhichSettingToSet() async throws {
        let h = try await Self.harness(account: nil)
        guard case .notConfigured(let what) = await h.templates.listing() else {
            Issue.record("no account: not configured")
            return
        }
        #expect(what.contains("whatsapp_business_account_id") && what.contains("INTENT_WHATSAPP_BUSINESS_ACCOUNT_ID"))
        #expect(try await h.listRequests() == 0)
        #expect(await h.runtime.sendTemplate(name: "hello_world", language: "en_US", parameters: [], to: "x", agent: "y") == .notConfigured(what))
    }

    // MARK: Shapes

    @Test func aTemplateGoesAsMetasTemplateObject() throws {
        let message = TemplateMessage(name: "order_update", language: "en_US", parameters: ["Ana", "A1001"], text: "Hi Ana")
        let draft = message.draft(origin: .agent("Lena"))
        #expect(draft.kind == .template && draft.isMessage)
        #expect(TemplateMessage(json: draft.body) == message)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(try WhatsAppChannelTests.json(draft).utf8)) as? [String: Any])
        #expect(object["messaging_product"] as? String == "whatsapp")
        #expect(object["to"] as? String == "15551230041")
        #expect(object["type"] as? String == "template")
        let template = try #require(object["template"] as? [String: Any])
        #expect(template["name"] as? String == "order_update")
        #expect(template["language"] as? [String: String] == ["code": "en_US"])
        let components = try #require(template["components"] as? [[String: Any]])
        #expect(components.count == 1 && components[0]["type"] as? String == "body")
        #expect(components[0]["parameters"] as? [[String: String]] == [["type": "text", "text": "Ana"], ["type": "text", "text": "A1001"]])
        // Without placeholders, no components at all.
        let bare = try #require(
            try JSONSerialization.jsonObject(
                with: Data(try WhatsAppChannelTests.json(TemplateMessage(name: "hello_world", language: "en_US").draft(origin: .agent("x"))).utf8))
                as? [String: Any])
        #expect((bare["template"] as? [String: Any])?["components"] == nil)
        // A body that does not read is never sent.
        let broken = OutboundDraft(kind: .template, body: "not json", origin: .agent("x"))
        #expect(GraphAPI(baseURL: "http://x", accessToken: "t").request(for: WhatsAppChannelTests.item(broken)) == nil)
    }

    @Test func placeholdersAreCountedOnceAndFilledInOrder() {
        let numbered = MessageTemplate(name: "n", language: "en", category: "UTILITY", body: "{{2}} then {{1}}, and {{ 1 }} again")
        #expect(numbered.placeholders == ["1", "2"] && !numbered.named && numbered.parameters == 2)
        #expect(numbered.filled(with: ["a", "b"]) == "b then a, and a again")
        #expect(numbered.filled(with: ["a"]) == "{{2}} then a, and a again")
        let named = MessageTemplate(name: "n", language: "en", category: "UTILITY", body: "{{day}}: {{who}} on {{day}}")
        #expect(named.named && named.placeholders == ["day", "who"])
        #expect(
            named.message(["Mon", "Ana"])
                == TemplateMessage(name: "n", language: "en", parameters: ["Mon", "Ana"], parameterNames: ["day", "who"], text: "Mon: Ana on Mon"))
        #expect(MessageTemplate(name: "n", language: "en", category: "", body: "No placeholders.").parameters == 0)
    }

    @Test func aPageKeepsTheApprovedTemplatesAndTheCursorOnlyWhenThereIsMore() throws {
        func page(_ object: [String: Any], status: Int = 200) throws -> Result<GraphAPI.TemplatePage, GraphError> {
            GraphAPI.templatePage(of: HTTPResponseData(status: status, body: Array(try JSONSerialization.data(withJSONObject: object))))
        }
        let data: [[String: Any]] = [
            ["name": "a", "language": "en_US", "status": "APPROVED", "category": "UTILITY", "components": [["type": "BODY", "text": "Hi {{1}}"]]],
            ["name": "b", "language": "en_US", "status": "REJECTED", "category": "UTILITY", "components": [["type": "BODY", "text": "x"]]],
        ]
        let cursors = ["before": "QVFI", "after": "QVFIUk"]
        let more = try page([
            "data": data, "paging": ["cursors": cursors, "next": "https://graph.facebook.com/v21.0/1/message_templates?after=QVFIUk"],
        ])
        #expect(try more.get().approved.map(\.name) == ["a"])
        #expect(try more.get().after == "QVFIUk")
        #expect(try page(["data": data, "paging": ["cursors": cursors]]).get().after == nil, "no `next`: the last page")
        let refused = try page(
            ["error": ["message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100, "fbtrace_id": "AbC"]], status: 400)
        guard case .failure(let error) = refused else {
            Issue.record("an error envelope is a failure")
            return
        }
        #expect(error.code == 100 && error.status == 400 && error.trace == "AbC")
        let request = GraphAPI(baseURL: "https://graph.example/v21.0/", accessToken: "EAAG-secret").templatesRequest(account: "102", after: "a+b/c=")
        #expect(
            request.url
                == "https://graph.example/v21.0/102/message_templates?fields=name,language,status,category,components,parameter_format&limit=100&after=a%2Bb%2Fc%3D"
        )
        #expect(request.method == "GET" && !request.url.contains("EAAG-secret"))
    }

    @Test func theFakeGraphAPIRefusesTemplatesAsMetaDoes() async throws {
        let graph = try await FakeGraphServer.start()
        func send(_ template: [String: Any]) async throws -> (status: Int, code: Int?) {
            let response = try await graph.post(["messaging_product": "whatsapp", "to": "15551240009", "type": "template", "template": template])
            let error = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? [String: Any]
            return (response.status, error?["code"] as? Int)
        }
        let body: ([String]) -> [[String: Any]] = { values in [["type": "body", "parameters": values.map { ["type": "text", "text": $0] }]] }
        #expect(try await send(["name": "order_update", "language": ["code": "en_US"], "components": body(["Ana", "A1"])]) == (200, nil))
        #expect(try await send(["name": "order_update", "language": ["code": "de"], "components": body(["Ana", "A1"])]) == (404, 132_001))
        #expect(try await send(["name": "spring_sale", "language": ["code": "en_US"], "components": body(["x"])]) == (404, 132_001))
        #expect(try await send(["name": "order_update", "language": ["code": "en_US"], "components": body(["Ana"])]) == (400, 132_000))
        #expect(try await send(["name": "hello_world", "language": ["code": "en_US"]]) == (200, nil))
        // The channel gives up on a refused template at once: Meta would refuse it again.
        let channel = WhatsAppChannel(
            settings: WhatsAppSettings(verifyToken: "v", appSecret: "s", accessToken: graph.token, graphURL: graph.base), transport: CurlHTTPClient())
        let refused = TemplateMessage(name: "order_update", language: "de", parameters: ["Ana", "A1"]).draft(origin: .agent("x"))
        guard case .failed(let reason) = await channel.send(WhatsAppChannelTests.item(refused)) else {
            Issue.record("a template Meta does not have fails for good")
            return
        }
        #expect(reason.contains("132001"))
    }
}

extension WhatsAppHarness {
    var templates: TemplateCatalog { runtime.templates! }

    /// Pages of the template list the fake Graph API was asked for.
    func listRequests() async throws -> Int { try await fake.stats()["template_lists"] as? Int ?? -1 }
}

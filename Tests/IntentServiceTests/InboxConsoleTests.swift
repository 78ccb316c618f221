import Foundation
import IntentChannels
import IntentSQLite
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The console's Inbox driven in headless Chromium against `serve` with the WhatsApp channel and
/// the fake Graph API: a customer hands over, a person opens the waiting conversation by
/// keyboard, replies with Enter, and sees the reply's delivery come back from Meta's webhook.
@Suite(.serialized) struct InboxConsoleTests {
    let client = ServeCommandTests()
    static let hostile = "<img src=x onerror=alert(1)>"

    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func aPersonAnswersAHandedOverCustomerFromTheInbox() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let setup = try await WhatsAppServeTests.setUp()
        let graph = setup.graph.port
        let token = WhatsAppServeTests.consoleToken
        let customer = "8613900000777"
        let reply = "Hello from the inbox\nLena"
        try await ServedInProcess.run(["--corpus", FlowEditTests.corpus, "--embedder", "lexical"], environment: setup.environment()) {
            port, log in
            try await log.waitFor("corpus loaded")
            // The customer asks for a person (the sample rules' 转人工), then writes markup while the bot is silent.
            for (id, text) in [("wamid.I1", "转人工"), ("wamid.I2", Self.hostile)] {
                let body = WhatsAppServeTests.body(id: id, from: customer, text: text)
                #expect(try await WhatsAppServeTests().post(port, body, signature: WhatsAppServeTests.signed(body)) == 200)
                try await WhatsAppServeTests.settle(setup)
            }
            #expect(try await FlowServeTests.seen(graph, by: customer).last == "A colleague takes over now.")

            let item = "#inbox-items [data-conversation=\"\(customer)\"]"
            let hostile = try Self.javaScript(Self.hostile)
            let steps: [[String: Any]] = [
                ["until": "document.getElementById('signin').hidden"],
                ["eval": "window.alerted = 0; window.alert = () => { window.alerted++; }; document.getElementById('tab-inbox').click(); true"],
                // 2: listed as waiting, with its last message as text.
                ["until": "document.querySelector('\(item)[data-status=waiting]') !== null && document.querySelector('\(item)').textContent"],
                ["eval": "document.querySelector('\(item)').focus(); document.activeElement.dataset.conversation"],
                ["key": "Enter"],
                // 5: opened by the keyboard; the composer has the focus.
                [
                    "until":
                        "[...document.querySelectorAll('#inbox-messages .bubble[data-kind=customer] .text')].some(t => t.textContent === \(hostile)) && document.activeElement.id"
                ],
                ["type": "Hello from the inbox"],
                ["key": "Enter", "shift": true],
                ["type": "Lena"],
                ["key": "Enter"],
                // 10: the reply's bubble, sent; then delivered once Meta says so (posted below meanwhile).
                [
                    "until":
                        "(b => b.length === 1 && ['sent', 'delivered'].includes(b[0].dataset.status) && b[0].dataset.id)([...document.querySelectorAll('#inbox-messages .bubble[data-kind=agent]')])",
                    "timeout": 90,
                ],
                [
                    "until":
                        "(b => b && b.dataset.status === 'delivered' && b.querySelector('.meta').textContent)(document.querySelector('#inbox-messages .bubble[data-kind=agent]'))",
                    "timeout": 90,
                ],
                // 12: nothing written by a customer became markup; the composer is empty again.
                [
                    "eval":
                        "JSON.stringify({ images: document.querySelectorAll('#inbox-panel img').length, alerted: window.alerted, composer: document.getElementById('inbox-text').value, kinds: [...document.querySelectorAll('#inbox-messages .bubble')].map(b => b.dataset.kind).join(','), title: document.getElementById('inbox-title').textContent, customer: document.getElementById('inbox-customer').textContent.includes('\(customer)') })"
                ],
                // 13: the event stream's parser: an event split over lines and chunks, a comment, CRLF.
                [
                    "eval":
                        "JSON.stringify(sseEvents('id: 7\\nevent: status\\ndata: {\"type\":\"status\",\\ndata: \"conversation\":\"a\"}\\n\\n: ping\\r\\n\\r\\ndata: x\\r\\n\\r\\ndata: par').map((p, i) => i ? p : p.map(e => [e.id, e.event, e.data])))"
                ],
            ]
            let stepsFile = setup.directory + "/steps.json"
            try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
            // Meanwhile the reply reaches the Graph API, and Meta's delivery receipt for it comes back
            // by webhook. A browser that gives up ends the wait.
            let run = try await withThrowingTaskGroup(of: (status: Int32, output: String)?.self) { group in
                group.addTask {
                    try await ChildProcess.run(
                        URL(fileURLWithPath: "/usr/bin/env"),
                        ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
                }
                group.addTask {
                    var wamid: String?
                    do {
                        try await eventually("the person's reply is sent") {
                            wamid = try await Self.sentID(graph, to: customer, text: reply)
                            return wamid != nil
                        }
                    } catch  where Task.isCancelled { return nil }
                    let receipt = Self.status(try #require(wamid), "delivered", to: customer)
                    #expect(try await WhatsAppServeTests().post(port, receipt, signature: WhatsAppServeTests.signed(receipt)) == 200)
                    return nil
                }
                var browser: (status: Int32, output: String)?
                for try await result in group where result != nil {
                    browser = result
                    group.cancelAll()
                }
                return try #require(browser)
            }
            #expect(run.status == 0, "\(run.output)")
            let lines = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            func value(_ step: Int) -> String? { lines.first { $0["step"] as? Int == step }?["value"] as? String }
            #expect(value(2)?.contains(Self.hostile) == true && value(2)?.contains("Li Lei") == true, "\(run.output)")
            #expect(value(3) == customer)
            #expect(value(5) == "inbox-text", "\(run.output)")
            #expect(value(11)?.contains("delivered") == true, "\(run.output)")
            let state = try JSONSerialization.jsonObject(with: Data((value(12) ?? "{}").utf8)) as? [String: Any] ?? [:]
            #expect(state["images"] as? Int == 0 && state["alerted"] as? Int == 0, "a customer's markup is shown as text: \(state)")
            #expect(state["composer"] as? String == "" && state["title"] as? String == "Li Lei" && state["customer"] as? Bool == true, "\(state)")
            // The greeting and the hand-over text, then the markup sent while the bot was silent, then the reply.
            #expect(state["kinds"] as? String == "customer,automation,automation,customer,agent", "\(state)")
            #expect(
                value(13)
                    == #"[[["7","status","{\"type\":\"status\",\n\"conversation\":\"a\"}"],[null,"message",""],[null,"message","x"]],"data: par"]"#,
                "\(run.output)")

            // Sent once; the conversation is the replier's now, and read.
            try await WhatsAppServeTests.settle(setup)
            #expect(try await WhatsAppServeTests().texts(graph, to: customer).filter { $0 == reply }.count == 1)
            let (_, conversation) = try await client.request(port, "/v1/conversations/\(customer)", token: token)
            #expect(conversation["status"] as? String == "assigned" && conversation["agent"] as? String == "console token", "\(conversation)")
            #expect(conversation["unread"] as? Int == 0, "opening it marked it read")
            let (_, timeline) = try await client.request(port, "/v1/conversations/\(customer)/messages", token: token)
            let newest = try #require((timeline["messages"] as? [[String: Any]])?.first)
            #expect(newest["text"] as? String == reply && newest["status"] as? String == "delivered")
        }
    }

    /// Signed in with an agent's own token, a person answers with a quick reply picked by `/` in
    /// the composer: the reply goes out filled in for the customer, signed with the agent's name
    /// (the key) and shown with their display name, in the console and in the timeline.
    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func anAgentAnswersWithAQuickReplySignedWithTheirName() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the check must run")
        let setup = try await WhatsAppServeTests.setUp()
        let graph = setup.graph.port
        let customer = "8613900000778"
        // The agent and the quick reply, stored before serve starts (as `agents add` and the console would).
        let store = try SQLiteStateStore(path: setup.directory + "/state.sqlite")
        let (_, token) = try await store.addAgent(named: "wang.fang", displayName: "王芳", role: .agent, at: Date())
        _ = try await store.saveQuickReply(
            QuickReply(shortcut: "thanks", text: "Thank you {{contact.name}}, 王芳 here.", updatedBy: "test", updatedAt: Date()))
        let sent = "Thank you Li Lei, 王芳 here."
        try await ServedInProcess.run(["--corpus", FlowEditTests.corpus, "--embedder", "lexical"], environment: setup.environment()) {
            port, log in
            try await log.waitFor("corpus loaded")
            let body = WhatsAppServeTests.body(id: "wamid.Q1", from: customer, text: "转人工")
            #expect(try await WhatsAppServeTests().post(port, body, signature: WhatsAppServeTests.signed(body)) == 200)
            try await WhatsAppServeTests.settle(setup)

            let item = "#inbox-items [data-conversation=\"\(customer)\"]"
            let mine = "[...inbox.messages.values()].find(m => m.kind === 'agent' && !m.local)"
            let steps: [[String: Any]] = [
                ["until": "document.getElementById('signin').hidden && document.getElementById('whoami').textContent"],
                ["eval": "document.getElementById('tab-inbox').click(); true"],
                ["until": "document.querySelector('\(item)[data-status=waiting]') !== null"],
                ["eval": "document.querySelector('\(item)').click(); true"],
                // 4: opened; the composer has the focus.
                ["until": "document.activeElement && document.activeElement.id === 'inbox-text' && document.activeElement.id"],
                ["type": "/thank"],
                // 6: the quick reply offered for what was typed after the slash.
                ["until": "!document.getElementById('inbox-picks').hidden && document.getElementById('inbox-picks').textContent"],
                ["key": "Enter"],
                // 8: picked by Enter: its text in the composer, to be filled in when sent.
                ["eval": "document.getElementById('inbox-text').value"],
                ["key": "Enter"],
                // 10: the reply as the server stored it, signed by the agent, shown with their display name.
                [
                    "until":
                        "(m => m && ['sent', 'delivered'].includes(m.status) && JSON.stringify({ agent: m.agent, display: m.agent_display, text: m.text, who: document.querySelector(`#inbox-messages .bubble[data-id=\"${m.id}\"] .who`).textContent }))(\(mine))",
                    "timeout": 90,
                ],
            ]
            let stepsFile = setup.directory + "/steps.json"
            try JSONSerialization.data(withJSONObject: steps).write(to: URL(fileURLWithPath: stepsFile))
            let run = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"),
                ["python3", FakeProviderProcess.browserScript.path, chromium, "http://127.0.0.1:\(port)/console#token=\(token)", stepsFile])
            #expect(run.status == 0, "\(run.output)")
            let lines = run.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            func value(_ step: Int) -> String? { lines.first { $0["step"] as? Int == step }?["value"] as? String }
            #expect(value(0) == "signed in as 王芳 (agent)", "\(run.output)")
            #expect(value(4) == "inbox-text", "\(run.output)")
            #expect(value(6)?.contains("/thanks") == true, "\(run.output)")
            #expect(value(8) == "Thank you {{contact.name}}, 王芳 here.", "\(run.output)")
            let shown = try JSONSerialization.jsonObject(with: Data((value(10) ?? "{}").utf8)) as? [String: Any] ?? [:]
            #expect(
                shown["agent"] as? String == "wang.fang" && shown["display"] as? String == "王芳" && shown["who"] as? String == "王芳", "\(run.output)")
            #expect(shown["text"] as? String == sent, "\(shown)")

            // Sent once, filled in; the timeline signs it with the agent's name, and the conversation is theirs.
            try await WhatsAppServeTests.settle(setup)
            #expect(try await WhatsAppServeTests().texts(graph, to: customer).filter { $0 == sent }.count == 1)
            let (_, timeline) = try await client.request(port, "/v1/conversations/\(customer)/messages", token: token)
            let newest = try #require((timeline["messages"] as? [[String: Any]])?.first)
            #expect(newest["kind"] as? String == "agent" && newest["agent"] as? String == "wang.fang", "\(newest)")
            #expect(newest["agent_display"] as? String == "王芳" && newest["text"] as? String == sent, "\(newest)")
            let (_, conversation) = try await client.request(port, "/v1/conversations/\(customer)", token: token)
            #expect(conversation["agent"] as? String == "wang.fang" && conversation["agent_display"] as? String == "王芳", "\(conversation)")
        }
    }

    /// The Graph API's id (wamid) of the text it accepted for `customer`.
    static func sentID(_ graphPort: Int, to customer: String, text: String) async throws -> String? {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(graphPort)/_sent")!)
        let sent = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["sent"] as? [[String: Any]] ?? []
        return sent.first { record in
            let body = record["body"] as? [String: Any]
            return body?["to"] as? String == customer && (body?["text"] as? [String: Any])?["body"] as? String == text
        }?["id"] as? String
    }

    /// Meta's status webhook for one message the business sent.
    static func status(_ messageID: String, _ status: String, to customer: String) -> [UInt8] {
        let value: [String: Any] = [
            "messaging_product": "whatsapp", "metadata": ["display_phone_number": "15550783881", "phone_number_id": "106540352242922"],
            "statuses": [["id": messageID, "status": status, "timestamp": "\(Int(Date().timeIntervalSince1970))", "recipient_id": customer]],
        ]
        let root: [String: Any] = [
            "object": "whatsapp_business_account", "entry": [["id": "102290129340398", "changes": [["field": "messages", "value": value]]]],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]))
    }

    /// `text` as a JavaScript string literal.
    static func javaScript(_ text: String) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]), as: UTF8.self).dropFirst().dropLast()
            .description
    }
}

import Foundation
import IntentCore
import IntentHTTP
import IntentSQLite
import IntentTestSupport
import Logging
import Testing

@testable import IntentChannels

/// The channel end to end in process: signed webhooks in, replies out to the fake Graph API.
@Suite struct WhatsAppChannelTests {
    static let secret = "app-secret-\(UUID().uuidString.prefix(8))"

    /// A stand-in matcher: "refund" answers, "human" hands over, anything else is unanswered.
    static let decide: ChannelRuntime.Decide = { text, _, _, _ in
        if text.contains("human") { return BotAnswer(answer: "Passing you on.", entry: "contact_human", handover: true) }
        if text.contains("refund") { return BotAnswer(answer: "Refunds take 5 days.", entry: "refund_request") }
        if text.contains("long") { return BotAnswer(answer: String(repeating: "This sentence is long enough. ", count: 300), entry: "long") }
        return .unanswered
    }

    /// - Parameter wrap: puts a store of the test's between the channel and the SQLite store.
    static func harness(
        automation: Automation = .none, token: String? = nil, firstRetryDelay: TimeInterval = 0.05,
        wrap: @escaping @Sendable (SQLiteStateStore) -> any ConversationStore = { $0 }
    ) async throws -> WhatsAppHarness {
        var options = WhatsAppHarness.Options(decide: decide)
        options.automation = automation
        options.firstRetryDelay = firstRetryDelay
        options.wrap = wrap
        return try await .whatsApp(secret: secret, token: token, options)
    }

    @Test func handshakeEchoesTheChallengeOnlyForTheVerifyToken() async throws {
        let h = try await Self.harness()
        func answer(_ query: [String: String]) -> Handshake { h.channel.answerHandshake(query: query) }
        #expect(answer(["hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"]) == .echo("1158201444"))
        let refused = Handshake.refused("hub.mode must be subscribe and hub.verify_token must match whatsapp_verify_token")
        #expect(answer(["hub.mode": "subscribe", "hub.verify_token": "verify-you", "hub.challenge": "1158201444"]) == refused)
        #expect(answer(["hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"]) == refused)
        #expect(answer(["hub.mode": "subscribe", "hub.challenge": "1"]) == refused)
    }

    @Test func unsignedAndForgedWebhooksAreRefusedAndNothingIsStored() async throws {
        let h = try await Self.harness()
        let body = WebhookBody.message(id: "wamid.forged", from: "15551230001", text: "refund please")
        #expect(
            await h.runtime.receive(body: body, headers: [:])
                == .unsigned("X-Hub-Signature-256 is missing; Meta signs every webhook with the app secret"))
        #expect(
            await h.runtime.receive(body: body, headers: ["x-hub-signature-256": WebhookSignature(appSecret: "wrong").header(for: body)])
                == .forged("X-Hub-Signature-256 does not match the body under whatsapp_app_secret"))
        #expect(try await h.store.unprocessed(limit: 10).isEmpty)
        #expect(try await h.store.statistics().received == 0)
        let garbage = Array("not json".utf8)
        guard case .malformed = await h.post(garbage) else {
            Issue.record("a signed non-JSON body must be malformed")
            return
        }
    }

    @Test func answersInOrderQuotingTheCustomerAndMarksRead() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let receipt = await h.post(WebhookBody.message(id: "wamid.A1", from: "15551230002", text: "我要 refund 退款"))
        #expect(receipt == .accepted(new: 1, duplicates: 0, statuses: 0))
        let sends = try await h.fake.waitForSends { $0.count >= 2 }
        #expect(sends.count == 2)
        #expect(sends.first?["status"] as? String == "read")
        #expect(sends.first?["message_id"] as? String == "wamid.A1")
        let reply = try #require(sends.last)
        #expect(reply["to"] as? String == "15551230002")
        #expect((reply["text"] as? [String: Any])?["body"] as? String == "Refunds take 5 days.")
        #expect((reply["context"] as? [String: Any])?["message_id"] as? String == "wamid.A1")
        #expect(reply["recipient_type"] as? String == "individual")
        // Sent replies are recorded (once the outbox has recorded what Meta accepted).
        try await h.settle()
        await h.runtime.refreshStatistics()
        #expect(h.runtime.statistics.sent == 1)
        #expect(h.runtime.statistics.triggers["faq:refund_request"] == ChannelStatistics.Usage(count: 1, customers: 1))
    }

    @Test func parallelRedeliveriesAnswerOnce() async throws {
        let h = try await Self.harness()
        let body = WebhookBody.message(id: "wamid.dup", from: "15551230003", text: "refund")
        // Meta redelivers, sometimes in parallel: 20 deliveries of one message at once.
        let receipts = await withTaskGroup(of: ChannelRuntime.Receipt.self) { group in
            for _ in 0..<20 { group.addTask { await h.post(body) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(receipts.filter { $0 == .accepted(new: 1, duplicates: 0, statuses: 0) }.count == 1)
        #expect(receipts.filter { $0 == .accepted(new: 0, duplicates: 1, statuses: 0) }.count == 19)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = try await h.fake.waitForSends { $0.count >= 2 }
        // Late redeliveries after the answer went out change nothing either.
        #expect(await h.post(body) == .accepted(new: 0, duplicates: 1, statuses: 0))
        try await h.settle()
        #expect(try await h.fake.texts(to: "15551230003") == ["Refunds take 5 days."])
        #expect(try await h.store.statistics().duplicates == 20)
    }

    @Test func temporaryErrorsAreRetriedInOrderAndPermanentOnesAreNot() async throws {
        let h = try await Self.harness()
        // Read receipt fails with 131000 (retried); then the answer is accepted.
        try await h.fake.control(["script": [["mode": "error", "code": 131_000], ["mode": "error", "code": 130_429]]])
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(WebhookBody.message(id: "wamid.R1", from: "15551230004", text: "refund"))
        _ = await h.post(WebhookBody.message(id: "wamid.R2", from: "15551230004", text: "what?"))
        let sends = try await h.fake.waitForSends { $0.count >= 4 }
        // Order survives the retries: read R1, answer R1, read R2, fallback R2.
        #expect(
            sends.map { ($0["message_id"] as? String) ?? ($0["context"] as? [String: Any])?["message_id"] as? String ?? "?" } == [
                "wamid.R1", "wamid.R1", "wamid.R2", "wamid.R2",
            ])
        #expect(try await h.fake.texts(to: "15551230004") == ["Refunds take 5 days.", "Sorry, I did not get that."])

        // 131047 (outside the 24-hour window) is not retried: the item fails, the next one goes.
        try await h.fake.control(["script": [["mode": "ok"], ["mode": "error", "code": 131_047]]])
        _ = await h.post(WebhookBody.message(id: "wamid.R3", from: "15551230005", text: "refund"))
        _ = await h.post(WebhookBody.message(id: "wamid.R4", from: "15551230005", text: "refund"))
        _ = try await h.fake.waitForSends { $0.count >= 7 }
        try await h.settle()
        #expect(try await h.fake.texts(to: "15551230005") == ["Refunds take 5 days."])
        await h.runtime.refreshStatistics()
        #expect(h.runtime.statistics.failed == 1)
        #expect(h.runtime.statistics.pending == 0)
    }

    @Test func anExpiredTokenIsReportedLoudlyAndNotRetried() async throws {
        let h = try await Self.harness(token: "EAAG-expired", firstRetryDelay: 0.05)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(WebhookBody.message(id: "wamid.T1", from: "15551230006", text: "refund"))
        let deadline = ContinuousClock.now + .seconds(180)
        while h.runtime.unhealthyReason == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let reason = try #require(h.runtime.unhealthyReason)
        #expect(reason.contains("190"))
        #expect(!reason.contains("EAAG-expired"))
        // 190 is never retried: the read receipt and the answer fail for good, once each.
        let stats = try await h.fake.stats()
        while try await h.store.statistics().failed < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await h.settle()
        #expect(try await h.fake.stats()["rejected"] as? Int == 2)
        #expect(stats["rejected"] as? Int ?? 0 <= 2)
        #expect(try await h.store.statistics().pending == 0)
    }

    @Test func longAnswersAreSplitAtSentences() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(WebhookBody.message(id: "wamid.L1", from: "15551230007", text: "a long one"))
        _ = try await h.fake.waitForSends { $0.count >= 4 }
        let texts = try await h.fake.texts(to: "15551230007")
        #expect(texts.count == 3)
        #expect(texts.allSatisfy { $0.count <= 4_096 && $0.hasSuffix(".") })
        #expect(texts.joined(separator: " ") == String(repeating: "This sentence is long enough. ", count: 300).trimmingCharacters(in: .whitespaces))
    }

    @Test func deliveryStatusesAreRecordedAgainstTheSentMessage() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(WebhookBody.message(id: "wamid.S1", from: "15551230008", text: "refund"))
        let response = try await h.fake.waitForSends { $0.count >= 2 }
        _ = response
        let sentID = try #require(try await h.fake.ids().last)
        for status in ["delivered", "sent", "read"] {
            #expect(await h.post(WebhookBody.status(sentID, status, to: "15551230008")) == .accepted(new: 0, duplicates: 0, statuses: 1))
        }
        // Out of order, "sent" after "delivered" does not go back.
        #expect(try await h.store.delivery(ofChannelMessage: sentID) == "read")
        // No status triggers a reply.
        try await h.settle()
        #expect(try await h.fake.sent().count == 2)
    }

    @Test func aSendWhoseOutcomeCannotBeRecordedIsNotSentAgain() async throws {
        let failing = FailingOutcomes()
        let h = try await Self.harness { failing.wrapping($0) }
        failing.on.withLock { $0 = true }
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        _ = await h.post(WebhookBody.message(id: "wamid.F1", from: "15551230009", text: "refund"))
        // The read receipt goes out; its outcome cannot be written. The store fails again on the
        // retry after the back-off: the receipt is still not sent again, nor is anything else.
        try await eventually("a second try to record the outcome") { failing.attempts.current >= 2 }
        #expect(try await h.fake.sent().count == 1)
        #expect(h.runtime.storeHealth.problem == .unwritable("recording a send's outcome"))

        // The disk has room again: the outcome is recorded, then the answer goes, once.
        failing.on.withLock { $0 = false }
        try await eventually("the answer") { h.runtime.storeHealth.problem == nil }
        _ = try await h.fake.waitForSends { $0.count >= 2 }
        try await h.settle()
        let sends = try await h.fake.sent()
        #expect(sends.count == 2)
        #expect(try await h.fake.texts(to: "15551230009") == ["Refunds take 5 days."])
        #expect(try await h.store.statistics().sent == 1)
    }

    @Test func timestampsThatAreNotATimeBecomeTheReceiptTime() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        for (i, stamp) in ["nan", "1e300", "-1", "inf", "soon"].enumerated() {
            let body = WebhookBody.envelope(
                phoneNumberID: "106540352242922",
                value: [
                    "messages": [["from": "1555123001\(i)", "id": "wamid.TS\(i)", "timestamp": stamp, "type": "text", "text": ["body": "refund"]]]
                ])
            #expect(await h.post(body) == .accepted(new: 1, duplicates: 0, statuses: 0), "timestamp \(stamp)")
        }
        try await h.settle()
        let conversations = try await h.store.conversations(ConversationQuery(limit: 10, now: Date()))
        #expect(conversations.count == 5)
        for conversation in conversations {
            #expect(abs(conversation.lastInboundAt.timeIntervalSinceNow) < 3_600, "\(conversation.customer): \(conversation.lastInboundAt)")
        }
        #expect(try await h.fake.texts(to: "15551230010") == ["Refunds take 5 days."])
    }

    @Test func noticesAreRecordedButNeverAnswered() async throws {
        let greeting = try AutomationFile.parse("greeting:\n  text: Welcome!\n", file: "automation.yaml")
        let h = try await Self.harness(automation: greeting)
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let customer = "15551230020"
        let changed: [String: Any] = [
            "from": customer, "id": "wamid.N1", "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "system",
            "system": ["body": "User A changed from \(customer) to 15551230021", "new_wa_id": "15551230021", "type": "user_changed_number"],
        ]
        let permission: [String: Any] = [
            "from": customer, "id": "wamid.N2", "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "interactive",
            "interactive": ["type": "call_permission_reply", "call_permission_reply": ["response": "accept", "is_permanent": false]],
        ]
        for notice in [changed, permission] {
            let body = WebhookBody.envelope(phoneNumberID: "106540352242922", value: ["messages": [notice]])
            #expect(await h.post(body) == .accepted(new: 1, duplicates: 0, statuses: 0))
        }
        try await h.settle()
        #expect(try await h.fake.sent().isEmpty, "a notice is not the customer writing")
        #expect(try await h.store.statistics().received == 2, "both notices are stored with the customer's messages")
        #expect(try await h.store.conversation(customer: customer) == nil, "no conversation begins with a notice")
        // The customer's first real message is greeted and answered as a first message.
        _ = await h.post(WebhookBody.message(id: "wamid.N3", from: customer, text: "refund"))
        _ = try await h.fake.waitForSends { $0.count >= 3 }
        try await h.settle()
        #expect(try await h.fake.texts(to: customer) == ["Welcome!", "Refunds take 5 days."])
    }

    @Test func aStateFileDeletedWhileServingIsNoticedAndNoWebhookIsTakenIntoIt() async throws {
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        #expect(
            await h.post(WebhookBody.message(id: "wamid.D1", from: "15551230030", text: "refund"))
                == .accepted(new: 1, duplicates: 0, statuses: 0))
        try FileManager.default.removeItem(atPath: h.folder.file("state.sqlite"))
        try await eventually("noticing the deleted file") { h.runtime.storeHealth.refusesWork }
        let reason = try #require(h.runtime.storeHealth.problem?.reason)
        #expect(reason.contains("deleted"))
        guard case .unavailable = await h.post(WebhookBody.message(id: "wamid.D2", from: "15551230030", text: "refund")) else {
            Issue.record("a webhook must be refused (503, Meta delivers again) while the state file is gone")
            return
        }
    }

    // MARK: Interactive messages

    @Test func interactiveRepliesAndTemplateButtonsAreReadAsChoices() throws {
        func decoded(_ body: [UInt8]) throws -> InboundMessage {
            try #require(try WebhookPayload.decode(body).messages.first)
        }
        let button = try decoded(WebhookBody.reply(id: "wamid.C1", from: "15551230040", choice: "human", title: "Talk to a person"))
        #expect(button.type == "interactive")
        #expect(button.choice == "human")
        #expect(button.text == "Talk to a person")
        let row = try decoded(
            WebhookBody.reply(
                id: "wamid.C2", from: "15551230040", choice: "cat_tea", title: "茶叶 Tea", kind: "list_reply", description: "Green and oolong",
                to: "wamid.OUT1"))
        #expect(row.choice == "cat_tea")
        #expect(row.text == "茶叶 Tea")
        let template = try decoded(WebhookBody.templateButton(id: "wamid.C3", from: "15551230040", payload: "stop-promos", text: "Stop promotions"))
        #expect(template.type == "button")
        #expect(template.choice == "stop-promos")
        #expect(template.text == "Stop promotions")
        // A typed message and a call-permission reply carry no choice.
        let typed = try decoded(WebhookBody.message(id: "wamid.C4", from: "15551230040", text: "hello"))
        #expect(typed.choice == nil)
        let permission = WebhookBody.envelope(
            phoneNumberID: "106540352242922",
            value: [
                "messages": [
                    [
                        "from": "15551230040", "id": "wamid.C5", "timestamp": "\(Int(Date().timeIntervalSince1970))", "type": "interactive",
                        "interactive": ["type": "call_permission_reply", "call_permission_reply": ["response": "accept"]],
                    ]
                ]
            ])
        let notice = try decoded(permission)
        #expect(notice.type == "call_permission_reply")
        #expect(notice.choice == nil)
        #expect(notice.text == nil)
    }

    @Test func mediaCaptionsAreKeptForPeopleButNeverAnswered() async throws {
        func decoded(_ body: [UInt8]) throws -> InboundMessage { try #require(try WebhookPayload.decode(body).messages.first) }
        for type in ["image", "video", "document"] {
            let media = try decoded(WebhookBody.message(id: "wamid.M-\(type)", from: "15551230050", text: nil, type: type, caption: "发票 refund"))
            #expect(media.type == type && media.caption == "发票 refund" && media.text == nil, "\(type)")
        }
        #expect(try decoded(WebhookBody.message(id: "wamid.M1", from: "15551230050", text: nil, type: "image", caption: "  ")).caption == nil)
        #expect(try decoded(WebhookBody.message(id: "wamid.M2", from: "15551230050", text: nil, type: "audio")).caption == nil)
        #expect(try decoded(WebhookBody.message(id: "wamid.M3", from: "15551230050", text: "refund")).caption == nil)

        // The stand-in matcher answers "refund": a caption saying it still gets the non-text reply.
        let h = try await Self.harness()
        let run = Task { await h.runtime.run() }
        defer { run.cancel() }
        let customer = "15551230051"
        let photo = WebhookBody.message(id: "wamid.M4", from: customer, text: nil, type: "image", caption: "refund for this?")
        #expect(await h.post(photo) == .accepted(new: 1, duplicates: 0, statuses: 0))
        try await h.settle()
        #expect(try await h.fake.texts(to: customer) == ["Sorry, I did not get that."])
        let timeline = try await h.store.timeline(customer: customer, before: nil, limit: 10)
        let shown = try #require(timeline.first { $0.direction == .inbound })
        #expect(shown.type == "image" && shown.text == nil && shown.caption == "refund for this?")
    }

    static func item(_ draft: OutboundDraft, customer: String = "15551230041") -> OutboxItem {
        OutboxItem(id: 1, customer: customer, phoneNumberID: "106540352242922", draft: draft, attempts: 0, createdAt: Date())
    }

    static func json(_ draft: OutboundDraft) throws -> String {
        let graph = GraphAPI(baseURL: "https://graph.example/v21.0", accessToken: "EAAG-test")
        let request = try #require(graph.request(for: item(draft)))
        #expect(request.url == "https://graph.example/v21.0/106540352242922/messages")
        return String(decoding: request.body ?? [], as: UTF8.self)
    }

    @Test func buttonsAndListsGoAsMetasInteractiveMessages() throws {
        let buttons = OutboundDraft(
            kind: .buttons, body: "Anything else?", context: "wamid.Q1",
            options: [Flow.Option(id: "more", title: "Anything else"), Flow.Option(id: "human", title: "Talk to a person")])
        #expect(
            try Self.json(buttons)
                == #"{"context":{"message_id":"wamid.Q1"},"interactive":{"action":{"buttons":[{"reply":{"id":"more","title":"Anything else"},"type":"reply"},{"reply":{"id":"human","title":"Talk to a person"},"type":"reply"}]},"body":{"text":"Anything else?"},"type":"button"},"messaging_product":"whatsapp","recipient_type":"individual","to":"15551230041","type":"interactive"}"#
        )
        let list = OutboundDraft(
            kind: .list, body: "Which products?", options: [Flow.Option(id: "tea", title: "Tea"), Flow.Option(id: "cups", title: "Cups")])
        #expect(
            try Self.json(list)
                == #"{"interactive":{"action":{"button":"Choose","sections":[{"rows":[{"id":"tea","title":"Tea"},{"id":"cups","title":"Cups"}],"title":"Options"}]},"body":{"text":"Which products?"},"type":"list"},"messaging_product":"whatsapp","recipient_type":"individual","to":"15551230041","type":"interactive"}"#
        )
        // A Chinese body gets Chinese labels.
        let chinese = OutboundDraft(kind: .list, body: "您想看哪类产品？", options: [Flow.Option(id: "tea", title: "茶叶")])
        #expect(
            try Self.json(chinese)
                == #"{"interactive":{"action":{"button":"选择","sections":[{"rows":[{"id":"tea","title":"茶叶"}],"title":"选项"}]},"body":{"text":"您想看哪类产品？"},"type":"list"},"messaging_product":"whatsapp","recipient_type":"individual","to":"15551230041","type":"interactive"}"#
        )
        // Text stays text.
        #expect(
            try Self.json(.text("Hi", quoting: "wamid.Q2"))
                == #"{"context":{"message_id":"wamid.Q2"},"messaging_product":"whatsapp","recipient_type":"individual","text":{"body":"Hi","preview_url":false},"to":"15551230041","type":"text"}"#
        )
    }

    @Test func draftsBeyondMetasLimitsAreCutToThem() throws {
        func interactive(_ draft: OutboundDraft) throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(try Self.json(draft).utf8)) as? [String: Any]
            return try #require(object?["interactive"] as? [String: Any])
        }
        // Five FAQ questions as buttons: the first three, titles cut at a character with "…".
        let questions = [
            "Where is my order right now?", "如何申请退款以及需要多长时间才能到账呢请告诉我", "Short", "Fourth question", "Fifth question",
        ]
        let options = questions.enumerated().map { Flow.Option(id: "entry_\($0.offset)", title: $0.element) }
        let long = String(repeating: "Did you mean one of these? ", count: 60)
        let buttons = try interactive(OutboundDraft(kind: .buttons, body: long, options: options))
        let action = try #require(buttons["action"] as? [String: Any])
        let replies = try #require(action["buttons"] as? [[String: Any]]).compactMap { $0["reply"] as? [String: String] }
        #expect(replies.map { $0["id"] } == ["entry_0", "entry_1", "entry_2"])
        #expect(replies.map { $0["title"] } == ["Where is my order r…", "如何申请退款以及需要多长时间才能到账呢…", "Short"])
        #expect(replies.allSatisfy { ($0["title"] ?? "").unicodeScalars.count <= 20 })
        let body = try #require((buttons["body"] as? [String: String])?["text"])
        #expect(body.unicodeScalars.count == 1_024)
        #expect(body.hasSuffix("…"))
        #expect(long.hasPrefix(String(body.dropLast())))

        // A character of several scalars (👍🏽: two) is kept whole or left out, never split.
        #expect(InteractiveLimits.cut("Great choice!! 👍🏽👍🏽👍🏽", to: 20) == "Great choice!! 👍🏽👍🏽…")
        #expect(InteractiveLimits.cut("Great choice!!! 👍🏽👍🏽👍🏽", to: 20) == "Great choice!!! 👍🏽…")
        #expect(InteractiveLimits.cut("Fits exactly 👍🏽👍🏽👍🏽", to: 20) == "Fits exactly 👍🏽👍🏽👍🏽")

        // Twelve rows: the first ten, titles cut to 24.
        let rows = (1...12).map { Flow.Option(id: "row\($0)", title: "Row number \($0) with a long 👍🏽 title") }
        let list = try interactive(OutboundDraft(kind: .list, body: "Pick one", options: rows))
        let section = try #require(((list["action"] as? [String: Any])?["sections"] as? [[String: Any]])?.first)
        let listed = try #require(section["rows"] as? [[String: String]])
        #expect(listed.count == 10)
        #expect(listed.first?["title"] == "Row number 1 with a lon…")
        #expect(listed.allSatisfy { ($0["title"] ?? "").unicodeScalars.count <= 24 })

        // Ids Meta would refuse are left out (a cut id would not come back as the option's);
        // with no option left, the body goes as text.
        let badIDs = [Flow.Option(id: "", title: "Empty"), Flow.Option(id: String(repeating: "x", count: 257), title: "Too long")]
        let asText = try JSONSerialization.jsonObject(with: Data(try Self.json(OutboundDraft(kind: .buttons, body: "Hello", options: badIDs)).utf8))
        #expect((asText as? [String: Any])?["type"] as? String == "text")
        let repeated = [Flow.Option(id: "a", title: "One"), Flow.Option(id: "a", title: "Two"), Flow.Option(id: "b", title: "Three")]
        let kept = try interactive(OutboundDraft(kind: .buttons, body: "Hello", options: repeated))
        let keptIDs = ((kept["action"] as? [String: Any])?["buttons"] as? [[String: Any]])?.compactMap { ($0["reply"] as? [String: String])?["id"] }
        #expect(keptIDs == ["a", "b"])
        // Titles a cut made equal get a number, within the limit.
        let alike = (1...3).map { Flow.Option(id: "o\($0)", title: "An option title far too long \($0)") }
        let numbered = try interactive(OutboundDraft(kind: .buttons, body: "Hello", options: alike))
        let titles = ((numbered["action"] as? [String: Any])?["buttons"] as? [[String: Any]])?.compactMap {
            ($0["reply"] as? [String: String])?["title"]
        }
        #expect(titles == ["An option title far…", "An option title f… 2", "An option title f… 3"])
    }

    @Test func theFakeGraphAPIRefusesWhatMetaRefusesAndTakesWhatTheBuilderMakes() async throws {
        let graph = try await FakeGraphServer.start()
        func send(_ interactive: [String: Any]) async throws -> (status: Int, code: Int?, details: String?) {
            let response = try await graph.post([
                "messaging_product": "whatsapp", "recipient_type": "individual", "to": "15551230042", "type": "interactive",
                "interactive": interactive,
            ])
            let error = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? [String: Any]
            #expect(response.status == 200 || error?["type"] as? String == "OAuthException")
            #expect(response.status == 200 || (error?["error_data"] as? [String: Any])?["messaging_product"] as? String == "whatsapp")
            return (response.status, error?["code"] as? Int, (error?["error_data"] as? [String: Any])?["details"] as? String)
        }
        func buttons(_ titles: [String], body: String = "Pick") -> [String: Any] {
            [
                "type": "button", "body": ["text": body],
                "action": ["buttons": titles.enumerated().map { ["type": "reply", "reply": ["id": "b\($0.offset)", "title": $0.element]] }],
            ]
        }
        func list(_ titles: [String], label: String = "Choose") -> [String: Any] {
            [
                "type": "list", "body": ["text": "Pick"],
                "action": [
                    "button": label,
                    "sections": [["title": "Options", "rows": titles.enumerated().map { ["id": "r\($0.offset)", "title": $0.element] }]],
                ],
            ]
        }
        #expect(try await send(buttons(["Yes", "No"])).status == 200)
        #expect(try await send(list((1...10).map { "Row \($0)" })).status == 200)
        let tooMany = try await send(buttons(["A", "B", "C", "D"]))
        #expect(tooMany.status == 400 && tooMany.code == 131_009)
        #expect(try await send(buttons([String(repeating: "t", count: 21)])).code == 131_009)
        #expect(try await send(buttons(["A"], body: String(repeating: "b", count: 1_025))).code == 131_009)
        #expect(try await send(buttons(["Same", "Same"])).code == 131_009)
        #expect(try await send(list((1...11).map { "Row \($0)" })).code == 131_009)
        #expect(try await send(list([String(repeating: "r", count: 25)])).code == 131_009)
        #expect(try await send(list(["Row"], label: String(repeating: "l", count: 21))).code == 131_009)
        let noBody = try await send(["type": "button", "action": ["buttons": [["type": "reply", "reply": ["id": "a", "title": "A"]]]]])
        #expect(noBody.status == 400 && noBody.code == 131_008)
        #expect(noBody.details == "The parameter interactive['body']['text'] is required.")
        #expect(try await send(["type": "button", "body": ["text": "Pick"]]).code == 131_008)
        #expect(try await send(["type": "list", "body": ["text": "Pick"], "action": ["sections": []]]).code == 131_008)
        #expect(try await graph.interactives(to: "15551230042").count == 2, "only the accepted sends are recorded")

        // What the builder makes of over-limit drafts, the fake (as Meta) accepts, quoting included.
        let channel = WhatsAppChannel(
            settings: WhatsAppSettings(verifyToken: "v", appSecret: "s", accessToken: graph.token, graphURL: graph.base), transport: CurlHTTPClient())
        let many = (1...12).map { Flow.Option(id: "o\($0)", title: "An option title far too long \($0)") }
        for kind in [OutboundDraft.Kind.buttons, .list] {
            let draft = OutboundDraft(kind: kind, body: String(repeating: "很长的正文。", count: 300), context: "wamid.Q3", options: many)
            guard case .sent(let id) = await channel.send(Self.item(draft, customer: "15551230043")) else {
                Issue.record("the fake refused the builder's \(kind) message")
                continue
            }
            #expect(id?.hasPrefix("wamid.") == true)
        }
        let sent = try await graph.sent().filter { $0["to"] as? String == "15551230043" }
        #expect(sent.map { $0["type"] as? String } == ["interactive", "interactive"])
        #expect(sent.allSatisfy { ($0["context"] as? [String: Any])?["message_id"] as? String == "wamid.Q3" })
    }

    @Test func aWebhookItemIsNeverSentToMeta() async throws {
        let transport = CountingTransport()
        let channel = WhatsAppChannel(
            settings: WhatsAppSettings(verifyToken: "v", appSecret: "s", accessToken: "t", graphURL: "http://127.0.0.1:9/v21.0"), transport: transport
        )
        let draft = OutboundDraft(kind: .webhook, body: #"{"flow":"order_status"}"#, context: "https://orders.example/lookup")
        guard case .failed(let reason) = await channel.send(Self.item(draft)) else {
            Issue.record("a webhook item must fail on the WhatsApp channel")
            return
        }
        #expect(reason.contains("webhook"))
        #expect(transport.calls.current == 0)
        #expect(GraphAPI(baseURL: "http://x", accessToken: "t").request(for: Self.item(draft)) == nil)
    }
}

/// A transport that counts its calls and answers 500.
final class CountingTransport: HTTPTransport {
    let calls = Locked(0)
    func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseData {
        calls.withLock { $0 += 1 }
        return HTTPResponseData(status: 500)
    }
}

/// A state store whose `markSent` fails while `on` is set, as a full disk's would.
final class FailingOutcomes: Sendable {
    struct DiskFull: Error {}
    let on = Locked(false)
    let attempts = Locked(0)

    func wrapping(_ store: SQLiteStateStore) -> any ConversationStore { Store(base: store, owner: self) }

    struct Store: ConversationStore {
        let base: SQLiteStateStore
        let owner: FailingOutcomes

        func receive(_ messages: [InboundMessage], statuses: [DeliveryStatus], at: Date) async throws -> [InboundMessage] {
            try await base.receive(messages, statuses: statuses, at: at)
        }
        func unprocessed(limit: Int) async throws -> [InboundMessage] { try await base.unprocessed(limit: limit) }
        func process(_ message: InboundMessage, at: Date, plan: @escaping @Sendable (Conversation?) -> ConversationPlan) async throws -> Bool {
            try await base.process(message, at: at, plan: plan)
        }
        func advance(
            customer: String, at: Date, finishing: FinishedItem?, plan: @escaping @Sendable (Conversation) -> ConversationPlan?
        ) async throws -> [Int64]? {
            try await base.advance(customer: customer, at: at, finishing: finishing, plan: plan)
        }
        func dueFlowRuns(now: Date, limit: Int) async throws -> [String] { try await base.dueFlowRuns(now: now, limit: limit) }
        func timeline(customer: String, before: Date?, limit: Int) async throws -> [TimelineItem] {
            try await base.timeline(customer: customer, before: before, limit: limit)
        }
        func offeredQuestion(choiceMessage channelMessageID: String) async throws -> String? {
            try await base.offeredQuestion(choiceMessage: channelMessageID)
        }
        func dueOutbox(now: Date, limit: Int) async throws -> [OutboxItem] { try await base.dueOutbox(now: now, limit: limit) }
        func nextOutboxDue() async throws -> Date? { try await base.nextOutboxDue() }
        func markSent(_ item: Int64, channelMessageID: String?, at: Date) async throws {
            owner.attempts.withLock { $0 += 1 }
            if owner.on.current { throw DiskFull() }
            try await base.markSent(item, channelMessageID: channelMessageID, at: at)
        }
        func retryLater(_ item: Int64, at: Date, error: String) async throws { try await base.retryLater(item, at: at, error: error) }
        func markFailed(_ item: Int64, at: Date, error: String) async throws { try await base.markFailed(item, at: at, error: error) }
        func conversation(customer: String) async throws -> Conversation? { try await base.conversation(customer: customer) }
        func conversations(_ query: ConversationQuery) async throws -> [Conversation] { try await base.conversations(query) }
        func addNote(customer: String, agent: String, text: String, at: Date) async throws -> ConversationNote? {
            try await base.addNote(customer: customer, agent: agent, text: text, at: at)
        }
        func unmute(customer: String) async throws -> Bool { try await base.unmute(customer: customer) }
        func statistics() async throws -> ChannelStatistics { try await base.statistics() }
        func purge(customer: String) async throws -> Int { try await base.purge(customer: customer) }
        func purge(before date: Date) async throws -> Int { try await base.purge(before: date) }
        func identities(contact: String) async throws -> [ContactIdentity] { try await base.identities(contact: contact) }
        func merge(contact: String, into target: String, at: Date) async throws -> Conversation {
            try await base.merge(contact: contact, into: target, at: at)
        }
        func unmerge(contact: String, at: Date) async throws -> (contact: Conversation, target: Conversation) {
            try await base.unmerge(contact: contact, at: at)
        }
        func contactsSharingEvidence(with contact: String) async throws -> [String] { try await base.contactsSharingEvidence(with: contact) }
    }
}

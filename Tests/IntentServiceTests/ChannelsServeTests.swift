import Foundation
import IntentChannels
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `serve` with WhatsApp, Messenger and Telegram on at once, against their fakes: each
/// channel's webhook at its own path with its own check, each customer answered on the channel
/// they wrote on with what `/match` decides, one inbox and one set of figures for all.
@Suite(.serialized) struct ChannelsServeTests {
    static let consoleToken = "console-\(UUID().uuidString.prefix(8))"
    static let telegramToken = "4839574812:AAF\(UUID().uuidString.prefix(8))-x"
    static let telegramSecret = "hook_\(UUID().uuidString.prefix(8))"
    static let messengerSecret = "messenger-app-secret-\(UUID().uuidString.prefix(6))"
    static let messengerToken = "EAAP-\(UUID().uuidString.prefix(10))"
    static let whatsappSecret = "whatsapp-app-secret-\(UUID().uuidString.prefix(6))"
    static let whatsappToken = "EAAG-\(UUID().uuidString.prefix(10))"
    static let pageID = "1029384756"

    func post(_ port: Int, _ path: String, _ body: [UInt8], headers: [String: String]) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as! HTTPURLResponse).statusCode
    }

    static func json(_ object: [String: Any]) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }

    @Test func everyChannelIsAnsweredWhereTheCustomerWrote() async throws {
        let folder = try TemporaryDirectory("channels")
        let telegram = try await FakeTelegramServer.start(token: Self.telegramToken)
        let messenger = try await FakeMessengerServer.start(account: Self.pageID, token: Self.messengerToken)
        let graph = try await FakeGraphServer.start(token: Self.whatsappToken)
        let environment = [
            "INTENT_CONSOLE_TOKEN": Self.consoleToken, "INTENT_STATE": "sqlite:" + folder.file("state.sqlite"),
            "INTENT_TELEGRAM_BOT_TOKEN": Self.telegramToken, "INTENT_TELEGRAM_WEBHOOK_SECRET": Self.telegramSecret,
            "INTENT_TELEGRAM_API_URL": telegram.base,
            "INTENT_MESSENGER_VERIFY_TOKEN": "verify-m", "INTENT_MESSENGER_APP_SECRET": Self.messengerSecret,
            "INTENT_MESSENGER_PAGE_ID": Self.pageID, "INTENT_MESSENGER_PAGE_ACCESS_TOKEN": Self.messengerToken,
            "INTENT_MESSENGER_GRAPH_URL": messenger.base,
            "INTENT_WHATSAPP_VERIFY_TOKEN": "verify-w", "INTENT_WHATSAPP_APP_SECRET": Self.whatsappSecret,
            "INTENT_WHATSAPP_ACCESS_TOKEN": Self.whatsappToken, "INTENT_WHATSAPP_GRAPH_URL": graph.base,
        ]
        let log = LogBuffer()
        try await ServedInProcess.run(
            ["--corpus", MatchCommandTests.root.path + "/corpus", "--embedder", "lexical"], environment: environment, log: log
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let client = ServeCommandTests()
            let ready = try await client.request(port, "/readyz").1
            let channels = try #require(ready["channels"] as? [String: [String: Any]])
            #expect(Set(channels.keys) == ["whatsapp", "messenger", "telegram"])
            #expect(channels.values.allSatisfy { $0["status"] as? String == "ok" })

            let question = "where is my parcel?"
            let answer = try #require(try await client.request(port, "/match", method: "POST", body: ["message": question]).1["answer"] as? String)

            // Telegram: the secret header, then an update.
            let update = Self.json([
                "update_id": 9001,
                "message": [
                    "message_id": 11, "date": Int(Date().timeIntervalSince1970), "text": question,
                    "chat": ["id": 777_001, "type": "private"], "from": ["id": 777_001, "is_bot": false, "first_name": "Kerry"],
                ],
            ])
            #expect(try await post(port, "/webhooks/telegram", update, headers: [:]) == 401)
            #expect(try await post(port, "/webhooks/telegram", update, headers: ["X-Telegram-Bot-Api-Secret-Token": "wrong"]) == 403)
            #expect(try await post(port, "/webhooks/telegram", update, headers: ["X-Telegram-Bot-Api-Secret-Token": Self.telegramSecret]) == 200)

            // Messenger: Meta's signature under the Messenger app's secret (WhatsApp's does not open it).
            let event = Self.json([
                "object": "page",
                "entry": [
                    [
                        "id": Self.pageID, "time": Int(Date().timeIntervalSince1970 * 1000),
                        "messaging": [
                            [
                                "sender": ["id": "6543210987"], "recipient": ["id": Self.pageID],
                                "timestamp": Int(Date().timeIntervalSince1970 * 1000),
                                "message": ["mid": "m_serve_1", "text": question],
                            ]
                        ],
                    ]
                ],
            ])
            let wrong = WebhookSignature(appSecret: Self.whatsappSecret).header(for: event)
            #expect(try await post(port, "/webhooks/messenger", event, headers: ["X-Hub-Signature-256": wrong]) == 403)
            let signed = WebhookSignature(appSecret: Self.messengerSecret).header(for: event)
            #expect(try await post(port, "/webhooks/messenger", event, headers: ["X-Hub-Signature-256": signed]) == 200)

            try await eventually("Telegram and Messenger answered") {
                let telegramTexts = try await telegram.bodies().compactMap { $0["text"] as? String }
                let messengerTexts = try await messenger.sent().compactMap { ($0["message"] as? [String: Any])?["text"] as? String }
                return telegramTexts.contains(answer) && messengerTexts.contains(answer)
            }
            // Nothing went to WhatsApp: nobody wrote there.
            #expect(try await graph.sent().isEmpty)

            // One inbox: both conversations, each with its channel.
            let listed = try await client.request(port, "/v1/conversations", token: Self.consoleToken).1
            let conversations = try #require(listed["conversations"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: conversations.map { ($0["id"] as? String ?? "", $0) })
            #expect((byID["telegram:777001"]?["customer"] as? [String: Any])?["channel"] as? String == "telegram")
            #expect(byID["telegram:777001"]?.keys.contains("window_open_until") == true)
            #expect(byID["telegram:777001"]?["window_open_until"] is NSNull)
            #expect((byID["messenger:6543210987"]?["customer"] as? [String: Any])?["channel"] as? String == "messenger")

            // A person's reply goes back on Telegram.
            let reply = try await client.request(
                port, "/v1/conversations/telegram:777001/messages", method: "POST", body: ["text": "Kerry, it left today."], token: Self.consoleToken)
            #expect(reply.0 == 202)
            try await eventually("the person's reply on Telegram") {
                try await telegram.bodies().contains { $0["text"] as? String == "Kerry, it left today." }
            }

            // Figures per channel.
            // The sample corpus's automation greets first: count what the fakes accepted.
            let telegramSends = try await telegram.bodies().count
            let messengerSends = try await messenger.sent().filter { $0["message"] != nil }.count
            var figures: [String: [String: Int]]?
            try await eventually("figures per channel") {
                let stats = try await client.request(port, "/v1/stats", token: Self.consoleToken).1
                figures = stats["channels"] as? [String: [String: Int]]
                return figures?["telegram"]?["sent"] == telegramSends && figures?["messenger"]?["sent"] == messengerSends
            }
            #expect(figures?["telegram"]?["received"] == 1 && figures?["telegram"]?["customers"] == 1, "\(figures ?? [:])")
            #expect(figures?["messenger"]?["received"] == 1 && figures?["messenger"]?["customers"] == 1)
            #expect(figures?["whatsapp"] == ["received": 0, "sent": 0, "failed": 0, "pending": 0, "customers": 0])
            let metrics = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!).0
            #expect(String(decoding: metrics, as: UTF8.self).contains(#"intent_channel_messages{channel="telegram",kind="received"} 1"#))
            // No secret in the log.
            for secret in [Self.telegramToken, Self.telegramSecret, Self.messengerSecret, Self.messengerToken, Self.whatsappToken] {
                #expect(!log.current.contains(secret))
            }
        }
    }
}

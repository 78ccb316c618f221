import Foundation
import IntentChannels
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One channel as `serve` runs it, for the checks every channel passes alike (kill -9, two
/// replicas): the fake API standing in for its platform (none for the web chat, whose platform
/// is the service itself), the settings pointing `serve` at it, a customer's message delivered as
/// the platform delivers it, and the texts a customer was sent.
final class ServedChannel: Sendable {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case whatsapp, messenger, instagram, telegram, webchat
        var testDescription: String { rawValue }
    }

    /// The platform's side: the fake API the channel sends to.
    private enum Platform: Sendable {
        case graph(FakeGraphServer)
        case messenger(FakeMessengerServer)
        case telegram(FakeTelegramServer)
        /// The web chat: visitors post to the service and read its answers there.
        case webchat
    }

    /// Message `number` of customer `customer`: the same values are the same message (the
    /// platform's id for it), so delivering one again is a redelivery.
    struct Message: Sendable {
        let customer: Int
        let number: Int
        let text: String
    }

    static let consoleToken = "console-\(UUID().uuidString.prefix(8))"
    static let origin = "https://shop.example.com"
    static let greeting = "Welcome to the test shop!"
    /// Questions of the sample corpus with distinct answers, none a flow's or a hand-over's.
    static let questions = ["Where is my parcel?", "How long does shipping take?", "When will I get my refund?"]

    let kind: Kind
    private let platform: Platform
    private let secret = "secret_\(UUID().uuidString.prefix(8))"
    private let account: String
    /// The automation (a greeting, always open) and no flows: each message gets one answer.
    let folder: TemporaryDirectory
    /// The web chat's visitor ids, by customer: the service issues one with a visitor's first message.
    private let visitors = Locked<[Int: String]>([:])

    private init(kind: Kind, platform: Platform, account: String) throws {
        self.kind = kind
        self.platform = platform
        self.account = account
        folder = try TemporaryDirectory("served-\(kind.rawValue)")
        try WhatsAppServeTests.automation.write(toFile: folder.file("automation.yaml"), atomically: true, encoding: .utf8)
        try "flows: {}\n".write(toFile: folder.file("flows.yaml"), atomically: true, encoding: .utf8)
    }

    static func start(_ kind: Kind) async throws -> ServedChannel {
        switch kind {
        case .whatsapp:
            return try ServedChannel(kind: kind, platform: .graph(try await FakeGraphServer.start()), account: "106540352242922")
        case .messenger, .instagram:
            let platform = MessengerSettings.Platform(rawValue: kind.rawValue)!
            let account = platform == .messenger ? "104000000000001" : "17841400000000001"
            let fake = try await FakeMessengerServer.start(platform: platform, account: account)
            return try ServedChannel(kind: kind, platform: .messenger(fake), account: account)
        case .telegram: return try ServedChannel(kind: kind, platform: .telegram(try await FakeTelegramServer.start()), account: "")
        case .webchat: return try ServedChannel(kind: kind, platform: .webchat, account: "shop")
        }
    }

    /// Whether a message is delivered again until acknowledged (and sometimes after): the
    /// platforms' webhooks. A visitor's widget posts once; on a failure the visitor sends again.
    var redelivers: Bool { kind != .webchat }

    /// `serve`'s environment for this channel, its state in `state` (a SQLite file of the folder by default).
    func environment(state: String? = nil) -> [String: String] {
        var environment = [
            "INTENT_AUTOMATION": folder.file("automation.yaml"), "INTENT_FLOWS": folder.file("flows.yaml"),
            "INTENT_CONSOLE_TOKEN": Self.consoleToken, "INTENT_STATE": state ?? "sqlite:" + folder.file("state.sqlite"),
        ]
        switch platform {
        case .graph(let graph):
            environment["INTENT_WHATSAPP_VERIFY_TOKEN"] = "verify"
            environment["INTENT_WHATSAPP_APP_SECRET"] = secret
            environment["INTENT_WHATSAPP_ACCESS_TOKEN"] = graph.token
            environment["INTENT_WHATSAPP_GRAPH_URL"] = graph.base
        case .messenger(let fake) where kind == .messenger:
            environment["INTENT_MESSENGER_VERIFY_TOKEN"] = "verify"
            environment["INTENT_MESSENGER_APP_SECRET"] = secret
            environment["INTENT_MESSENGER_PAGE_ID"] = fake.account
            environment["INTENT_MESSENGER_PAGE_ACCESS_TOKEN"] = fake.token
            environment["INTENT_MESSENGER_GRAPH_URL"] = fake.base
        case .messenger(let fake):
            environment["INTENT_INSTAGRAM_VERIFY_TOKEN"] = "verify"
            environment["INTENT_INSTAGRAM_APP_SECRET"] = secret
            environment["INTENT_INSTAGRAM_ACCOUNT_ID"] = fake.account
            environment["INTENT_INSTAGRAM_ACCESS_TOKEN"] = fake.token
            environment["INTENT_INSTAGRAM_GRAPH_URL"] = fake.base
        case .telegram(let fake):
            environment["INTENT_TELEGRAM_BOT_TOKEN"] = fake.token
            environment["INTENT_TELEGRAM_WEBHOOK_SECRET"] = secret
            environment["INTENT_TELEGRAM_API_URL"] = fake.base
        case .webchat:
            environment["INTENT_WEBCHAT_SITES"] = #"{"shop": {"origins": ["\#(Self.origin)"]}}"#
        }
        return environment
    }

    // MARK: Customers' messages

    /// Customer `customer`'s id on the platform (the web chat's is issued with their first message).
    private func id(of customer: Int) -> String {
        switch kind {
        case .whatsapp: "55119876501\(String(format: "%02d", customer))"
        case .messenger: "61000000000001\(String(format: "%02d", customer))"
        case .instagram: "17800000000001\(String(format: "%02d", customer))"
        case .telegram: "\(7_100_000 + customer)"
        case .webchat: visitors.current[customer] ?? ""
        }
    }

    /// Delivers a message to the service on `port` as the platform does; the status answered.
    /// A web chat visitor's first message gets the visitor's id.
    func deliver(_ message: Message, to port: Int) async throws -> Int {
        let customer = id(of: message.customer)
        let path: String
        var headers = ["Content-Type": "application/json"]
        let body: [UInt8]
        switch platform {
        case .graph:
            path = "/webhooks/whatsapp"
            body = WebhookBody.message(id: "wamid.C\(message.customer)M\(message.number)", from: customer, text: message.text)
            headers["X-Hub-Signature-256"] = WebhookSignature(appSecret: secret).header(for: body)
        case .messenger:
            path = "/webhooks/\(kind.rawValue)"
            body = MessagingBody.message(
                mid: "m_c\(message.customer)m\(message.number)", from: customer, text: message.text,
                platform: MessengerSettings.Platform(rawValue: kind.rawValue)!, account: account)
            headers["X-Hub-Signature-256"] = WebhookSignature(appSecret: secret).header(for: body)
        case .telegram:
            path = "/webhooks/telegram"
            body = TelegramUpdateBody.text(
                update: Int64(900_000 + message.customer * 100 + message.number), chat: Int64(customer)!, messageID: Int64(10 + message.number),
                message.text)
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        case .webchat:
            path = "/v1/webchat/shop/messages"
            var object: [String: Any] = ["text": message.text]
            if !customer.isEmpty { object["visitor"] = customer }
            body = Array(try JSONSerialization.data(withJSONObject: object))
            headers["Origin"] = Self.origin
        }
        let (status, answer) = try await Self.post(port, path, body, headers: headers)
        if kind == .webchat, customer.isEmpty, let visitor = answer["visitor"] as? String {
            visitors.withLock { $0[message.customer] = visitor }
        }
        return status
    }

    private static func post(_ port: Int, _ path: String, _ body: [UInt8], headers: [String: String]) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// The answers the service on `port` gives `questions` (`/match`), after the greeting: what
    /// each customer who asked them all must be sent, once each.
    static func expectedTexts(_ port: Int, for questions: [String]) async throws -> [String] {
        var answers: [String] = []
        for question in questions {
            let decision = try await ServeCommandTests().request(port, "/match", method: "POST", body: ["message": question]).1
            answers.append(try #require(decision["answer"] as? String, "\(question): \(decision)"))
        }
        try #require(Set(answers).count == answers.count, "each question needs an answer of its own: \(answers)")
        return [greeting] + answers
    }

    /// Waits until the service has decided every message it stored and sent everything queued.
    static func settle(_ store: some ConversationStore) async throws {
        try await eventually("every message decided and every reply sent") {
            let decided = try await store.unprocessed(limit: 1).isEmpty
            let sent = try await store.nextOutboxDue() == nil
            return decided && sent
        }
    }

    // MARK: What customers were sent

    /// The texts customer `customer` was sent, in order: what the fake API accepted, or for the
    /// web chat what the service on `port` shows the visitor.
    func texts(to customer: Int, port: Int) async throws -> [String] {
        let id = id(of: customer)
        switch platform {
        case .graph(let graph): return try await graph.texts(to: id)
        case .messenger(let fake): return try await fake.messages(to: id).compactMap { $0["text"] as? String }
        case .telegram(let fake): return try await fake.texts(to: Int64(id)!)
        case .webchat:
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/webchat/shop/messages?visitor=\(id)")!)
            request.setValue(Self.origin, forHTTPHeaderField: "Origin")
            let data = try await URLSession.shared.data(for: request).0
            let messages = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["messages"] as? [[String: Any]] ?? []
            return messages.filter { $0["direction"] as? String == "out" }.compactMap { $0["text"] as? String }
        }
    }

    /// The fake API standing in for the platform; none for the web chat.
    private var api: (any FakeAPI)? {
        switch platform {
        case .graph(let graph): graph
        case .messenger(let fake): fake
        case .telegram(let fake): fake
        case .webchat: nil
        }
    }

    /// The platform's answer when it is down for a moment, which the service retries: Meta's
    /// code 131000 (HTTP 500) and code 2 (HTTP 503), Telegram's 502.
    private var temporaryRefusal: [String: Any] {
        switch kind {
        case .whatsapp: ["mode": "error", "code": 131000]
        case .messenger, .instagram: ["mode": "error", "code": 2]
        case .telegram, .webchat: ["mode": "error", "code": 502]
        }
    }

    /// Makes the platform refuse every send for now; false when the channel has no platform.
    func refuseSends() async throws -> Bool {
        guard let api else { return false }
        try await api.control(["script": Array(repeating: temporaryRefusal, count: 500)])
        return true
    }

    /// The platform takes sends again.
    func acceptSends() async throws { try await api?.control(["script": []]) }

    /// The calls the platform accepted so far (none for the web chat).
    func accepted() async throws -> Int { try await api?.server.sent().count ?? 0 }
}

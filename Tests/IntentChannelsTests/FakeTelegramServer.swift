import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport

/// The fake Telegram Bot API (IntentTestSupport's Fixtures/fake_telegram.py) as a child process.
final class FakeTelegramServer: @unchecked Sendable {
    let process: Process
    let port: Int
    let token: String
    var base: String { "http://127.0.0.1:\(port)" }
    /// The bot's id: the digits of the token before its colon.
    var botID: String { String(token.prefix { $0 != ":" }) }
    private let control = CurlHTTPClient()

    static func start(
        token: String = "7012345678:AAH\(UUID().uuidString.prefix(12).replacingOccurrences(of: "-", with: "x"))"
    ) async throws
        -> FakeTelegramServer
    {
        try await BlockingIO.run { try FakeTelegramServer(token: token) }
    }

    private init(token: String) throws {
        self.token = token
        (process, port) = try FakeProviderProcess.launchTelegram(token: token)
    }

    deinit { process.terminate() }

    func control(_ body: [String: Any]) async throws {
        _ = try await control.send(
            HTTPRequestSpec(
                method: "POST", url: "\(base)/_control", headers: [("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: body)), timeout: .seconds(5)))
    }

    /// The accepted calls, in order: each with `method` and `body` (the JSON the service posted).
    func calls() async throws -> [[String: Any]] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: "\(base)/_sent", timeout: .seconds(5)))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["sent"] as? [[String: Any]] ?? []
    }

    /// The bodies of the accepted calls of one method, in order.
    func bodies(_ method: String = "sendMessage") async throws -> [[String: Any]] {
        try await calls().filter { $0["method"] as? String == method }.compactMap { $0["body"] as? [String: Any] }
    }

    /// The texts sent to one chat, in order.
    func texts(to chat: Int64) async throws -> [String] {
        try await bodies().filter { ($0["chat_id"] as? NSNumber)?.int64Value == chat }.compactMap { $0["text"] as? String }
    }

    /// Calls counted by the fake: `requests`, `rejected` (answered with an error), `limited` (429s).
    func stats() async throws -> [String: Any] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: "\(base)/_stats", timeout: .seconds(5)))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// Waits until `condition` holds for the accepted calls, then returns them; the timeout
    /// guards against a hang (a busy machine may take long), it is no timing.
    func waitForCalls(timeout: Duration = .seconds(180), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let calls = try await calls()
            if condition(calls) || ContinuousClock.now > deadline { return calls }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Webhook bodies as Telegram posts them: one `Update` a delivery.
enum TelegramUpdateBody {
    static let date = Int(Date().timeIntervalSince1970)

    static func user(_ id: Int64, first: String = "Kerry", last: String? = "Lin", language: String? = "en") -> [String: Any] {
        var user: [String: Any] = ["id": id, "is_bot": false, "first_name": first]
        if let last { user["last_name"] = last }
        if let language { user["language_code"] = language }
        return user
    }

    static func chat(_ id: Int64, type: String = "private") -> [String: Any] {
        ["id": id, "type": type, "first_name": "Kerry"]
    }

    /// A customer's message: `fields` are its content (`["text": "hi"]`, `["photo": [...], "caption": "..."]`).
    static func message(
        update: Int64, chat: Int64, messageID: Int64 = 10, fields: [String: Any], kind: String = "message", chatType: String = "private",
        language: String? = "en", date: Int = TelegramUpdateBody.date
    ) -> [UInt8] {
        var message: [String: Any] = [
            "message_id": messageID, "from": user(chat, language: language), "chat": Self.chat(chat, type: chatType), "date": date,
        ]
        if kind == "edited_message" { message["edit_date"] = date + 5 }
        message.merge(fields) { $1 }
        return encode(["update_id": update, kind: message])
    }

    static func text(update: Int64, chat: Int64, messageID: Int64 = 10, _ text: String, language: String? = "en") -> [UInt8] {
        message(update: update, chat: chat, messageID: messageID, fields: ["text": text], language: language)
    }

    /// A press of `data` on the bot's message `messageID` whose keyboard is `buttons` (title, data).
    static func callback(
        update: Int64, chat: Int64, query: String, data: String, messageID: Int64, buttons: [(String, String)]
    ) -> [UInt8] {
        let keyboard = buttons.map { [["text": $0.0, "callback_data": $0.1]] }
        let message: [String: Any] = [
            "message_id": messageID, "from": ["id": 7_012_345_678, "is_bot": true, "first_name": "Shop"], "chat": Self.chat(chat), "date": date,
            "text": "Pick one", "reply_markup": ["inline_keyboard": keyboard],
        ]
        return encode([
            "update_id": update,
            "callback_query": ["id": query, "from": user(chat), "message": message, "chat_instance": "-1234", "data": data],
        ])
    }

    static func encode(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }
}

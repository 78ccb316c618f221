import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport

@testable import IntentChannels

/// The fake Messenger Platform Send API (IntentTestSupport's Fixtures/fake_messenger.py) as a
/// child process, Messenger's or Instagram's.
final class FakeMessengerServer: @unchecked Sendable {
    let process: Process
    let port: Int
    let token: String
    let account: String
    var base: String { "http://127.0.0.1:\(port)/v21.0" }
    private let control = CurlHTTPClient()

    static func start(
        platform: MessengerSettings.Platform = .messenger, account: String = "104000000000001", token: String = "EAAG-\(UUID().uuidString.prefix(12))"
    ) async throws -> FakeMessengerServer {
        try await BlockingIO.run { try FakeMessengerServer(platform: platform, account: account, token: token) }
    }

    private init(platform: MessengerSettings.Platform, account: String, token: String) throws {
        self.token = token
        self.account = account
        (process, port) = try FakeProviderProcess.launchMessenger(token: token, account: account, platform: platform.rawValue)
    }

    deinit { process.terminate() }

    func control(_ body: [String: Any]) async throws {
        _ = try await control.send(
            HTTPRequestSpec(
                method: "POST", url: "http://127.0.0.1:\(port)/_control", headers: [("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: body)), timeout: .seconds(5)))
    }

    /// The accepted calls, in order: each `body` is the JSON the service posted.
    func sent() async throws -> [[String: Any]] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:\(port)/_sent", timeout: .seconds(5)))
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (object?["sent"] as? [[String: Any]] ?? []).compactMap { $0["body"] as? [String: Any] }
    }

    /// Requests counted by the fake: `requests`, and `rejected` (answered with an error).
    func stats() async throws -> [String: Any] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:\(port)/_stats", timeout: .seconds(5)))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// The messages (not sender actions) sent to one customer, in order: each `message` object.
    func messages(to customer: String) async throws -> [[String: Any]] {
        try await sent().filter { ($0["recipient"] as? [String: Any])?["id"] as? String == customer }.compactMap { $0["message"] as? [String: Any] }
    }

    /// Waits until `condition` holds for the sends, then returns them; the timeout guards against
    /// a hang (a busy machine may take long), it is no timing.
    func waitForSends(timeout: Duration = .seconds(180), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let sends = try await sent()
            if condition(sends) || ContinuousClock.now > deadline { return sends }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Messenger Platform webhook bodies as Meta sends them (`object: "page"` or `"instagram"`,
/// `entry[].messaging[]`, times in milliseconds), JSON with non-ASCII escaped as \uXXXX.
enum MessagingBody {
    static func millis(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1_000) }

    /// A typed message; `quickReply` makes it a tap on a quick reply with that payload.
    static func message(
        mid: String, from sender: String, text: String?, quickReply: String? = nil, attachments: [String] = [], storyReply: Bool = false,
        echo: Bool = false, platform: MessengerSettings.Platform = .messenger, account: String = "104000000000001", at: Date = Date()
    ) -> [UInt8] {
        var message: [String: Any] = ["mid": mid]
        if let text { message["text"] = text }
        if let quickReply { message["quick_reply"] = ["payload": quickReply] }
        if !attachments.isEmpty {
            message["attachments"] = attachments.map { ["type": $0, "payload": ["url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"]] }
        }
        if storyReply { message["reply_to"] = ["story": ["url": "https://lookaside.fbsbx.com/story", "id": "17900000000000001"]] }
        if echo {
            message["is_echo"] = true
            message["app_id"] = 1_517_000_000
            return envelope(
                [["sender": ["id": account], "recipient": ["id": sender], "timestamp": millis(at), "message": message]], platform, account)
        }
        return event(["message": message], from: sender, platform: platform, account: account, at: at)
    }

    static func postback(
        mid: String?, from sender: String, title: String, payload: String, platform: MessengerSettings.Platform = .messenger,
        account: String = "104000000000001", at: Date = Date()
    ) -> [UInt8] {
        var postback: [String: Any] = ["title": title, "payload": payload]
        if let mid { postback["mid"] = mid }
        return event(["postback": postback], from: sender, platform: platform, account: account, at: at)
    }

    static func reaction(
        to mid: String, from sender: String, emoji: String, action: String = "react", platform: MessengerSettings.Platform = .messenger,
        account: String = "104000000000001", at: Date = Date()
    ) -> [UInt8] {
        event(
            ["reaction": ["mid": mid, "action": action, "reaction": "love", "emoji": emoji]], from: sender, platform: platform, account: account,
            at: at)
    }

    static func delivery(_ mids: [String]?, from sender: String, account: String = "104000000000001", at: Date = Date()) -> [UInt8] {
        var delivery: [String: Any] = ["watermark": millis(at)]
        if let mids { delivery["mids"] = mids }
        return event(["delivery": delivery], from: sender, platform: .messenger, account: account, at: at)
    }

    /// Messenger's read (a watermark), or Instagram's (`messaging_seen`: the message's `mid`).
    static func read(
        mid: String?, from sender: String, platform: MessengerSettings.Platform = .messenger, account: String = "104000000000001", at: Date = Date()
    )
        -> [UInt8]
    {
        let read: [String: Any] = mid.map { ["mid": $0] } ?? ["watermark": millis(at)]
        return event(["read": read], from: sender, platform: platform, account: account, at: at)
    }

    static func event(_ fields: [String: Any], from sender: String, platform: MessengerSettings.Platform, account: String, at: Date) -> [UInt8] {
        var event = fields
        event["sender"] = ["id": sender]
        event["recipient"] = ["id": account]
        event["timestamp"] = millis(at)
        return envelope([event], platform, account)
    }

    static func envelope(_ events: [[String: Any]], _ platform: MessengerSettings.Platform, _ account: String) -> [UInt8] {
        let root: [String: Any] = [
            "object": platform == .messenger ? "page" : "instagram",
            "entry": [["id": account, "time": millis(Date()), "messaging": events]],
        ]
        let data = try! JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
        return WebhookBody.asciiEscaped(String(decoding: data, as: UTF8.self))
    }
}

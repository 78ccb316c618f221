import Foundation

/// The fake Telegram Bot API (Fixtures/fake_telegram.py), accepting the bot `token`.
package struct FakeTelegramServer: FakeAPI {
    package let server: FakeHTTPServer
    package let token: String
    package var base: String { server.root }
    /// The bot's id: the digits of the token before its colon.
    package var botID: String { String(token.prefix { $0 != ":" }) }

    package static func start(
        token: String = "7012345678:AAH\(UUID().uuidString.prefix(12).replacingOccurrences(of: "-", with: "x"))"
    ) async throws -> FakeTelegramServer {
        FakeTelegramServer(server: try await .start("fake_telegram", arguments: ["--token", token]), token: token)
    }

    /// The accepted calls, in order: each with `method` and `body` (the JSON the service posted).
    package func calls() async throws -> [[String: Any]] { try await server.sent() }

    /// The bodies of the accepted calls of one method, in order.
    package func bodies(_ method: String = "sendMessage") async throws -> [[String: Any]] {
        try await calls().filter { $0["method"] as? String == method }.compactMap { $0["body"] as? [String: Any] }
    }

    /// The texts sent to one chat, in order.
    package func texts(to chat: Int64) async throws -> [String] {
        try await bodies().filter { ($0["chat_id"] as? NSNumber)?.int64Value == chat }.compactMap { $0["text"] as? String }
    }

    /// Waits until `condition` holds for the accepted calls, then returns them.
    package func waitForCalls(timeout: Duration = .seconds(180), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        try await server.wait(timeout: timeout, for: calls, until: condition)
    }
}

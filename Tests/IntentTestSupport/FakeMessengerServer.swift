import Foundation
package import IntentChannels

/// The fake Messenger Platform Send API (Fixtures/fake_messenger.py), Messenger's or
/// Instagram's (`platform`, which sets the longest text), accepting `token` for sends from `account`.
package struct FakeMessengerServer: FakeAPI {
    package let server: FakeHTTPServer
    package let token: String
    package let account: String
    package var base: String { server.root + "/v21.0" }

    package static func start(
        platform: MessengerSettings.Platform = .messenger, account: String = "104000000000001", token: String = "EAAG-\(UUID().uuidString.prefix(12))"
    ) async throws -> FakeMessengerServer {
        let server = try await FakeHTTPServer.start(
            "fake_messenger", arguments: ["--token", token, "--account", account, "--platform", platform.rawValue])
        return FakeMessengerServer(server: server, token: token, account: account)
    }

    /// The accepted calls, in order: each `body` is the JSON the service posted.
    package func sent() async throws -> [[String: Any]] {
        try await server.sent().compactMap { $0["body"] as? [String: Any] }
    }

    /// The message ids the fake gave, in order.
    package func ids() async throws -> [String] {
        try await server.sent().compactMap { $0["id"] as? String }
    }

    /// The messages (not sender actions) sent to one customer, in order: each `message` object.
    package func messages(to customer: String) async throws -> [[String: Any]] {
        try await sent().filter { ($0["recipient"] as? [String: Any])?["id"] as? String == customer }.compactMap { $0["message"] as? [String: Any] }
    }

    /// Waits until `condition` holds for the sends, then returns them.
    package func waitForSends(timeout: Duration = .seconds(180), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        try await server.wait(timeout: timeout, for: sent, until: condition)
    }
}

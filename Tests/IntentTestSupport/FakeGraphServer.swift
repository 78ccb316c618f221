import Foundation
package import IntentHTTP

/// The fake WhatsApp Graph API (Fixtures/fake_graph.py), accepting `token`.
package struct FakeGraphServer: FakeAPI {
    package let server: FakeHTTPServer
    package let token: String
    package var base: String { server.root + "/v21.0" }

    package static func start(token: String = "EAAG-\(UUID().uuidString.prefix(12))") async throws -> FakeGraphServer {
        FakeGraphServer(server: try await .start("fake_graph", arguments: ["--token", token]), token: token)
    }

    /// The accepted sends, in order: each `body` is the JSON the service posted.
    package func sent() async throws -> [[String: Any]] {
        try await server.sent().compactMap { $0["body"] as? [String: Any] }
    }

    /// The ids Meta (the fake) gave accepted messages, in order.
    package func ids() async throws -> [String] {
        try await server.sent().compactMap { $0["id"] as? String }
    }

    /// Text bodies sent to one customer, in order.
    package func texts(to customer: String) async throws -> [String] {
        try await sent().filter { $0["to"] as? String == customer }.compactMap { ($0["text"] as? [String: Any])?["body"] as? String }
    }

    /// The interactive messages (reply buttons, lists) sent to one customer, in order: each
    /// message's `interactive` object.
    package func interactives(to customer: String) async throws -> [[String: Any]] {
        try await sent().filter { $0["to"] as? String == customer && $0["type"] as? String == "interactive" }
            .compactMap { $0["interactive"] as? [String: Any] }
    }

    /// Posts a body to the fake's send endpoint as the service would, with its token, and
    /// returns the answer: for sends built by hand, valid or not.
    package func post(_ object: [String: Any], phoneNumberID: String = "106540352242922") async throws -> HTTPResponseData {
        try await server.post("/v21.0/\(phoneNumberID)/messages", object, headers: [("Authorization", "Bearer \(token)")])
    }

    /// Waits until `condition` holds for the sends, then returns them.
    package func waitForSends(timeout: Duration = .seconds(180), until condition: ([[String: Any]]) -> Bool) async throws -> [[String: Any]] {
        try await server.wait(timeout: timeout, for: sent, until: condition)
    }
}

/// A fake API's wrapper: the fake server, and what that API's tests read from it.
package protocol FakeAPI: Sendable {
    var server: FakeHTTPServer { get }
}

extension FakeAPI {
    package var port: Int { server.port }

    /// POST /_control (the fake's own keys: a script of answers, a reset, ...).
    package func control(_ body: [String: Any]) async throws { try await server.control(body) }

    /// Requests counted by the fake: `requests`, `rejected` (answered with an error), and its own.
    package func stats() async throws -> [String: Any] { try await server.stats() }
}

/// The fake shop system that flow webhook steps call (Fixtures/fake_crm.py); with `secret`, it
/// refuses unsigned or wrongly signed calls.
package struct FakeCRMServer: FakeAPI {
    package let server: FakeHTTPServer

    package static func start(secret: String?) async throws -> FakeCRMServer {
        FakeCRMServer(server: try await .start("fake_crm", arguments: secret.map { ["--secret", $0] } ?? []))
    }

    /// Every call, in order: `path`, `headers`, `body` and the `status` answered.
    package func calls() async throws -> [[String: Any]] { try await server.json("/_calls")["calls"] as? [[String: Any]] ?? [] }

    /// The leads stored, in order.
    package func leads() async throws -> [[String: Any]] { try await server.json("/_leads")["leads"] as? [[String: Any]] ?? [] }

    /// Scripts the next calls' answers (then "ok" again).
    package func script(_ behaviours: [[String: Any]]) async throws { try await control(["script": behaviours]) }
}

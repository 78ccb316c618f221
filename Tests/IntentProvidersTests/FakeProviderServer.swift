import Foundation
import IntentCore
import IntentHTTP
import IntentTestSupport

@testable import IntentProviders

/// The fake provider server (IntentTestSupport's Fixtures/fake_providers.py) as a child process on 127.0.0.1,
/// with its control routes and a `ProviderEndpoint` pointed at it.
final class FakeProviderServer {
    let process: Process
    let port: Int
    let key: String
    let base: String
    private let control = CurlHTTPClient()

    /// Starts a server; the wait for its first line runs off the cooperative threads.
    static func start(
        key: String = "sk-test-\(UUID().uuidString.prefix(12))", dim: Int = 64, maxBatch: Int = 2048
    ) async throws
        -> FakeProviderServer
    {
        let box = try await BlockingIO.run { UncheckedBox(try FakeProviderServer(key: key, dim: dim, maxBatch: maxBatch)) }
        return box.value
    }

    private init(key: String, dim: Int, maxBatch: Int) throws {
        self.key = key
        (process, port) = try FakeProviderProcess.launch(key: key, dim: dim, maxBatch: maxBatch)
        base = "http://127.0.0.1:\(port)"
    }

    deinit {
        // No waitUntilExit here: it would park a cooperative thread; Foundation reaps the child.
        process.terminate()
    }

    /// The next provider requests behave like this, in order.
    func script(_ behaviours: [[String: Any]]) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["script": behaviours])
        _ = try await control.send(
            HTTPRequestSpec(
                method: "POST", url: base + "/_control", headers: [("Content-Type", "application/json")], body: Array(body), timeout: .seconds(5)))
    }

    func stats() async throws -> [String: Any] {
        let response = try await control.send(HTTPRequestSpec(method: "GET", url: base + "/_stats", timeout: .seconds(5)))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    func requests(_ path: String) async throws -> Int {
        (try await stats()["requests"] as? [String: Int])?[path] ?? 0
    }

    func endpoint(
        prefix: String = "/v1", transport: any HTTPTransport = CurlHTTPClient(), timeout: Duration = .seconds(5),
        retry: RetryPolicy = .fast, breaker: CircuitBreaker = CircuitBreaker(), key: String? = nil,
        observe: @escaping @Sendable (ProviderEvent) -> Void = { _ in }
    ) -> ProviderEndpoint {
        ProviderEndpoint(
            name: "fake", baseURL: base + prefix, key: Secret(key ?? self.key), timeout: timeout, retry: retry, breaker: breaker,
            transport: transport, observe: observe)
    }
}

extension RetryPolicy {
    /// The default policy with short waits, so retry tests run in milliseconds.
    static var fast: RetryPolicy {
        var policy = RetryPolicy()
        policy.initialBackoff = .milliseconds(10)
        policy.maxBackoff = .milliseconds(40)
        return policy
    }
}

/// Carries a non-Sendable value across the hop back from `BlockingIO` (used once, by one owner).
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

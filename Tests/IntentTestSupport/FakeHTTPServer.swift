package import Foundation
import IntentCore
package import IntentHTTP

/// One of the fake APIs of Fixtures (fake_graph.py, fake_messenger.py, fake_telegram.py,
/// fake_crm.py, all on fake_http.py) as a child process on 127.0.0.1, with the routes every fake
/// has for its tests: POST /_control scripts it, GET /_sent (or another record) lists what it
/// accepted, GET /_stats counts. The process stops when the value goes.
package final class FakeHTTPServer: @unchecked Sendable {
    package let process: Process
    package let port: Int
    package var root: String { "http://127.0.0.1:\(port)" }
    private let client = CurlHTTPClient()

    /// Starts Fixtures/`script`.py with `arguments` and waits for it to listen.
    package static func start(_ script: String, arguments: [String]) async throws -> FakeHTTPServer {
        let url = Bundle.module.url(forResource: script, withExtension: "py", subdirectory: "Fixtures")!
        return try await BlockingIO.run { FakeHTTPServer(try FakeProviderProcess.launch(script: url, arguments: arguments)) }
    }

    private init(_ launched: (process: Process, port: Int)) {
        (process, port) = launched
    }

    deinit { process.terminate() }

    /// POST /_control: scripts the fake's next answers, or changes its state (each fake's own keys).
    package func control(_ body: [String: Any]) async throws {
        _ = try await post("/_control", body)
    }

    /// A JSON body posted to the fake, with `headers`; its answer, whatever the status.
    package func post(_ path: String, _ object: [String: Any], headers: [(name: String, value: String)] = []) async throws -> HTTPResponseData {
        try await client.send(
            HTTPRequestSpec(
                method: "POST", url: root + path, headers: headers + [("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: object)), timeout: .seconds(5)))
    }

    /// GET `path`, read as a JSON object.
    package func json(_ path: String) async throws -> [String: Any] {
        let response = try await client.send(HTTPRequestSpec(method: "GET", url: root + path, timeout: .seconds(5)))
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// What the fake accepted, in order: GET /_sent's `sent` (each with the `body` posted and
    /// what the fake recorded beside it).
    package func sent() async throws -> [[String: Any]] {
        try await json("/_sent")["sent"] as? [[String: Any]] ?? []
    }

    /// GET /_stats: requests counted by the fake (`requests`, `rejected`, and the fake's own).
    package func stats() async throws -> [String: Any] { try await json("/_stats") }

    /// Reads with `read` until `condition` holds, then returns what it read; the timeout guards
    /// against a hang (a busy machine may take long), it is no timing.
    package func wait<Value>(
        timeout: Duration = .seconds(180), for read: () async throws -> Value, until condition: (Value) -> Bool
    ) async throws -> Value {
        let deadline = ContinuousClock.now + timeout
        while true {
            let value = try await read()
            if condition(value) || ContinuousClock.now > deadline { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

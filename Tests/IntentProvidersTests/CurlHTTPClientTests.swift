import Foundation
import IntentTestSupport
import Testing

@testable import IntentHTTP
@testable import IntentProviders

@Suite struct CurlHTTPClientTests {
    @Test func sequentialCallsReuseOneConnection() async throws {
        let server = try await FakeProviderServer.start()
        let client = CurlHTTPClient()
        // The server's count of accepted connections, read through the client under test: its
        // first call opens its one connection, every later one (the last read too) reuses it.
        func connections() async throws -> Int {
            let response = try await client.send(HTTPRequestSpec(method: "GET", url: server.base + "/_stats", timeout: .seconds(30)))
            #expect(response.status == 200)
            return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["connections"] as? Int ?? -1
        }
        let before = try await connections()
        for _ in 0..<100 { _ = try await connections() }
        #expect(client.connectionsOpened == 1)
        #expect(try await connections() == before, "the server saw no new connection for the 101 calls after the first")
    }

    @Test func aHangingServerTimesOut() async throws {
        let server = try await FakeProviderServer.start()
        try await server.script([["mode": "hang", "seconds": 30]])
        let client = CurlHTTPClient()
        let started = Date()
        await #expect(throws: HTTPClientError.timedOut(after: .milliseconds(300))) {
            _ = try await client.send(
                HTTPRequestSpec(
                    method: "POST", url: server.base + "/v1/embeddings", headers: [("Authorization", "Bearer \(server.key)")],
                    body: Array("{}".utf8), timeout: .milliseconds(300)))
        }
        // The error proves the timeout ended it; the time only shows it was not the 30 s hang
        // (with room for a loaded machine running every suite at once).
        #expect(Date().timeIntervalSince(started) < 20, "the 300 ms timeout, not the 30 s hang, ended it")
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let server = try await FakeProviderServer.start()
        try await server.script([["mode": "hang", "seconds": 30]])
        let client = CurlHTTPClient()
        let (url, key) = (server.base + "/v1/embeddings", server.key)
        let task = Task {
            try await client.send(
                HTTPRequestSpec(
                    method: "POST", url: url, headers: [("Authorization", "Bearer \(key)")], body: Array("{}".utf8), timeout: .seconds(30)))
        }
        // Cancelled mid-transfer: once the fake holds the request.
        try await eventually("the request reaching the fake") {
            (try await server.stats()["requests"] as? [String: Int])?["/v1/embeddings"] ?? 0 >= 1
        }
        let started = Date()
        task.cancel()
        await #expect(throws: HTTPClientError.cancelled) { _ = try await task.value }
        #expect(Date().timeIntervalSince(started) < 20, "libcurl's progress callback notices within about a second; the hang is 30 s")
    }

    @Test func responsesOverTheCapAreRefused() async throws {
        let server = try await FakeProviderServer.start()
        var configuration = CurlHTTPClient.Configuration()
        configuration.maxResponseBytes = 64
        let client = CurlHTTPClient(configuration: configuration)
        await #expect(throws: HTTPClientError.responseTooLarge(limit: 64)) {
            _ = try await client.send(HTTPRequestSpec(method: "GET", url: server.base + "/_stats", timeout: .seconds(5)))
        }
    }

    @Test func aDroppedConnectionIsReported() async throws {
        let server = try await FakeProviderServer.start()
        try await server.script([["mode": "drop"]])
        let client = CurlHTTPClient()
        do {
            _ = try await client.send(
                HTTPRequestSpec(
                    method: "POST", url: server.base + "/v1/embeddings", headers: [("Authorization", "Bearer \(server.key)")],
                    body: Array(#"{"input": ["a"]}"#.utf8), timeout: .seconds(5)))
            Issue.record("expected a dropped connection")
        } catch let error as HTTPClientError {
            guard case .connectionDropped = error else {
                Issue.record("unexpected \(error)")
                return
            }
        }
    }

    @Test func nothingListeningIsAConnectionFailure() async throws {
        let client = CurlHTTPClient()
        do {
            _ = try await client.send(HTTPRequestSpec(method: "GET", url: "http://127.0.0.1:9/", timeout: .seconds(2)))
            Issue.record("expected a connection failure")
        } catch let error as HTTPClientError {
            guard case .connectionFailed = error else {
                Issue.record("unexpected \(error)")
                return
            }
        }
    }
}

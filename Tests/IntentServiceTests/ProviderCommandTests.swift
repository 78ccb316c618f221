import Foundation
import IntentCore
import IntentTestSupport
import Testing

/// `match` and `serve` with a remote provider, end to end against the fake provider server.
@Suite(.serialized) struct ProviderCommandTests {
    let cli = MatchCommandTests()
    static let key = "sk-cli-\(UUID().uuidString.prefix(10))-secret"

    /// Starts the fake provider server and returns its process and port.
    func fakeServer() throws -> (Process, Int) {  // also used by ImportCommandTests
        try FakeProviderProcess.launch(key: Self.key)
    }

    @Test func matchUsesTheProviderInSingleAndBatchMode() async throws {
        let (server, port) = try fakeServer()
        defer { server.terminate() }
        let env = ["OPENAI_API_KEY": Self.key]
        let base = "http://127.0.0.1:\(port)/v1"
        let single = try await cli.run(
            ["match", "--provider", "openai", "--base-url", base, "--model", "fake-embed", "--json", "where is my parcel"], environment: env)
        #expect(single.status == 0, "\(single.stderr)")
        let decision = try #require(try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])
        #expect(decision["degraded"] as? Bool == false)
        #expect(decision.keys.contains("degraded_reason"))
        #expect(decision["id"] as? String == "track_order")

        let batch = try await cli.run(
            ["match", "--provider", "openai", "--base-url", base, "--model", "fake-embed"], stdin: "refund please\nwhere is my parcel\n",
            environment: env)
        #expect(batch.status == 0, "\(batch.stderr)")
        #expect(batch.stdout.split(separator: "\n").count == 2)
        for output in [single.stdout, single.stderr, batch.stdout, batch.stderr] { #expect(!output.contains(Self.key)) }
    }

    @Test func aBadKeyDegradesWithAReasonAndNeverShowsTheKey() async throws {
        let (server, port) = try fakeServer()
        defer { server.terminate() }
        let wrong = "sk-wrong-\(UUID().uuidString.prefix(8))"
        let r = try await cli.run(
            ["match", "--provider", "openai", "--base-url", "http://127.0.0.1:\(port)/v1", "--model", "fake-embed", "--json", "我想把钱要回来"],
            environment: ["OPENAI_API_KEY": wrong])
        #expect(r.status == 0, "\(r.stderr)")
        let decision = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(decision["degraded"] as? Bool == true)
        let reason = try #require(decision["degraded_reason"] as? String)
        #expect(reason.contains("HTTP 401"))
        // The provider's own words (which echo the key masked) stay out of what a client reads.
        #expect(!reason.contains("Incorrect API key"), "\(reason)")
        #expect(decision["id"] as? String == "refund_request", "the local embedder answered")
        #expect(!r.stdout.contains(wrong) && !r.stderr.contains(wrong))
        #expect(!r.stdout.contains(String(wrong.suffix(4))) && !r.stderr.contains(String(wrong.suffix(4))), "no part of the masked key")
    }

    @Test func deepSeekEmbeddingsAreAConfigurationError() async throws {
        let r = try await cli.run(["match", "--provider", "deepseek", "hello"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("DeepSeek's API has no embeddings endpoint"))
        #expect(r.stderr.contains("--llm deepseek"))
    }

    @Test func serveStartsWithTheProviderDownAndAnswersDegraded() async throws {
        let log = LogBuffer()
        try await ServedInProcess.run(
            [
                "--corpus", MatchCommandTests.root.path + "/corpus", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1",
                "--model", "fake-embed", "--log-level", "trace",
            ],
            environment: ["OPENAI_API_KEY": Self.key, "INTENT_PROVIDER_TIMEOUT_MS": "300"], log: log
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let (status, decision) = try await ServeCommandTests().request(port, "/match", method: "POST", body: ["message": "我想把钱要回来"])
            #expect(status == 200)
            #expect(decision["degraded"] as? Bool == true)
            #expect(decision["id"] as? String == "refund_request")
            let (_, ready) = try await ServeCommandTests().request(port, "/readyz")
            #expect((ready["degraded_reason"] as? String)?.contains("unavailable") == true)
        }
        #expect(log.current.contains("request received"), "the log is at trace level")
        #expect(!log.current.contains(Self.key))
    }

    /// A key becomes a header: a CR/LF in it (a pasted key with a line break, or an attempt to
    /// smuggle a header) is refused before any request, without echoing the key.
    @Test func keysWithControlCharactersAreRefused() async throws {
        let smuggled = "sk-abc123\r\nX-Injected: yes"
        let r = try await cli.run(
            ["match", "--provider", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "hello"],
            environment: ["OPENAI_API_KEY": smuggled])
        #expect(r.status == 2)
        #expect(r.stderr.contains("OPENAI_API_KEY: the key contains a control character"), "\(r.stderr)")
        #expect(!r.stderr.contains("sk-abc123"))
    }

    /// Plain http:// carries the key in the clear: allowed to this machine, refused to any other
    /// host unless allow_insecure_http says so.
    @Test func plainHTTPToAnotherHostIsRefusedUnlessAllowed() async throws {
        let remote = ["match", "--provider", "openai", "--base-url", "http://embeddings.example.com/v1", "--model", "m", "hello"]
        let refused = try await cli.run(remote, environment: ["OPENAI_API_KEY": Self.key])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--base-url: 'http://embeddings.example.com/v1' is plain http to another host"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(Self.key))
        let chat = try await cli.run(
            ["match", "--llm", "deepseek", "--llm-base-url", "http://10.1.2.3:8000", "hello"], environment: ["DEEPSEEK_API_KEY": Self.key])
        #expect(chat.status == 2)
        #expect(chat.stderr.contains("--llm-base-url"), "\(chat.stderr)")
        // Allowed, the provider settings pass and the next setting is read (a bad threshold here,
        // so that nothing ever contacts the other host).
        let allowed = try await cli.run(
            remote, environment: ["OPENAI_API_KEY": Self.key, "INTENT_ALLOW_INSECURE_HTTP": "true", "INTENT_THRESHOLD": "high"])
        #expect(allowed.status == 2)
        #expect(!allowed.stderr.contains("plain http"), "\(allowed.stderr)")
        #expect(allowed.stderr.contains("INTENT_THRESHOLD: 'high' is not a number"), "\(allowed.stderr)")
    }

    @Test func theChatModelCapIsASettingWithItsBounds() async throws {
        let r = try await cli.run(["match", "hi"], environment: ["INTENT_LLM_MAX_CALLS": "500"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("INTENT_LLM_MAX_CALLS: '500' is not a whole number in 0...100"), "\(r.stderr)")
    }
}

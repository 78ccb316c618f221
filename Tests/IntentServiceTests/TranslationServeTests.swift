import Foundation
import IntentCore
import IntentTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `translate`: the chat model (the fake OpenAI-style server) translates a default answer into a
/// customer's language in the background; applied at once (`auto`) or kept for review.
@Suite(.serialized) struct TranslationServeTests {
    let client = ServeCommandTests()
    let corpus = MatchCommandTests.root.path + "/corpus"
    static let key = "sk-translate-\(UUID().uuidString.prefix(10))-secret"

    func script(_ port: Int, _ behaviours: [[String: Any]]) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/_control")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: ["script": behaviours])
        _ = try await URLSession.shared.data(for: request)
    }

    func chatRequests(_ port: Int) async throws -> Int {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/_stats")!)
        let stats = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return ((stats?["requests"] as? [String: Int]) ?? [:]).filter { $0.key.hasSuffix("chat/completions") }.values.reduce(0, +)
    }

    func environment(_ mode: String, provider port: Int, state: String) -> [String: String] {
        [
            "INTENT_LLM": "openai", "INTENT_LLM_BASE_URL": "http://127.0.0.1:\(port)/v1", "INTENT_LLM_MODEL": "fake-chat",
            "OPENAI_API_KEY": Self.key, "INTENT_TRANSLATE": mode, "INTENT_STATE": state, "INTENT_ADMIN_TOKEN": "translate-admin",
        ]
    }

    @Test func autoAppliesTheTranslationAsAnAnswerEdit() async throws {
        let (provider, port) = try FakeProviderProcess.launch(key: Self.key)
        defer { provider.terminate() }
        let folder = try TemporaryDirectory("translate-auto")
        defer { withExtendedLifetime(folder) {} }
        try await script(port, [["mode": "reply", "content": #"{"translation": "Nous livrons dans plus de 50 pays."}"#]])
        try await ServedInProcess.run(
            ["--corpus", corpus, "--embedder", "lexical"],
            environment: environment("auto", provider: port, state: "sqlite:" + folder.file("state.sqlite"))
        ) { port, log in
            try await log.waitFor("corpus loaded")
            let ask = ["message": "which countries do you ship to", "language": "fr"]
            let (_, first) = try await client.request(port, "/match", method: "POST", body: ask)
            #expect(first["id"] as? String == "shipping_countries" && first["answer_language"] as? String == "en", "the default, meanwhile")
            try await eventually("the French answer is served") {
                try await client.request(port, "/match", method: "POST", body: ask).1["answer"] as? String == "Nous livrons dans plus de 50 pays."
            }
            let (_, edits) = try await client.request(port, "/v1/edits", token: "translate-admin")
            let edit = try #require((edits["edits"] as? [[String: Any]])?.first)
            #expect(edit["kind"] as? String == "translation" && edit["language"] as? String == "fr")
            #expect((edit["basis"] as? String)?.hasPrefix("We ship to") == true, "\(edit)")
            #expect(edit["by"] as? String == "translator (openai/fake-chat)", "\(edit)")
            #expect(!log.current.contains(Self.key), "the key is never logged")
        }
        #expect(try await chatRequests(port) == 1, "one translation, however many customers asked")
    }

    /// Anyone may send `/match` a language: the model is asked at most `translate_per_hour` times an hour.
    @Test func translationsAreCappedPerHour() async throws {
        let (provider, port) = try FakeProviderProcess.launch(key: Self.key)
        defer { provider.terminate() }
        let folder = try TemporaryDirectory("translate-cap")
        defer { withExtendedLifetime(folder) {} }
        try await script(port, [["mode": "reply", "content": #"{"translation": "Nous livrons dans plus de 50 pays."}"#]])
        var environment = environment("review", provider: port, state: "sqlite:" + folder.file("state.sqlite"))
        environment["INTENT_TRANSLATE_PER_HOUR"] = "1"
        try await ServedInProcess.run(["--corpus", corpus, "--embedder", "lexical"], environment: environment) { port, log in
            try await log.waitFor("corpus loaded")
            for language in ["fr", "de", "it"] {
                _ = try await client.request(
                    port, "/match", method: "POST", body: ["message": "which countries do you ship to", "language": language])
            }
            try await log.waitFor("translations paused")
            // A language the detector never tells (Afar) is not translated at all, however often asked.
            _ = try await client.request(port, "/match", method: "POST", body: ["message": "which countries do you ship to", "language": "aa"])
            #expect(log.current.components(separatedBy: "translations paused").count == 2, "logged once")
        }
        #expect(try await chatRequests(port) == 1)
    }

    @Test func reviewKeepsItForAPersonAndAFailingModelIsNotAskedAgainAtOnce() async throws {
        let (provider, port) = try FakeProviderProcess.launch(key: Self.key)
        defer { provider.terminate() }
        let folder = try TemporaryDirectory("translate-review")
        defer { withExtendedLifetime(folder) {} }
        try await script(
            port,
            [
                // Not retried by the client (a 5xx would be, and the retry would take the next behaviour).
                ["mode": "status", "status": 400, "error": ["message": "Invalid request", "type": "invalid_request_error"]],
                ["mode": "reply", "content": #"{"translation": "Wir liefern in über 50 Länder."}"#],
            ])
        try await ServedInProcess.run(
            ["--corpus", corpus, "--embedder", "lexical"],
            environment: environment("review", provider: port, state: "sqlite:" + folder.file("state.sqlite"))
        ) { port, log in
            try await log.waitFor("corpus loaded")
            // The model fails: logged once, counted, and not asked again for that answer however often it comes.
            for _ in 0..<5 {
                _ = try await client.request(port, "/match", method: "POST", body: ["message": "which countries do you ship to", "language": "fr"])
            }
            try await log.waitFor("translation failed")
            // Another language is another translation: this one succeeds and waits for review.
            let ask = ["message": "which countries do you ship to", "language": "de"]
            #expect(try await client.request(port, "/match", method: "POST", body: ask).1["answer_language"] as? String == "en")
            var waiting: [[String: Any]] = []
            try await eventually("the translation waits for review") {
                waiting = try await client.request(port, "/v1/translations", token: "translate-admin").1["translations"] as? [[String: Any]] ?? []
                return !waiting.isEmpty
            }
            #expect(waiting.first?["entry"] as? String == "shipping_countries" && waiting.first?["language"] as? String == "de")
            #expect(waiting.first?["text"] as? String == "Wir liefern in über 50 Länder.")
            #expect(
                try await client.request(port, "/match", method: "POST", body: ask).1["answer_language"] as? String == "en",
                "not served before review")
            #expect(log.current.components(separatedBy: "translation failed").count == 2, "one log line for the failing state")
            #expect(log.current.contains("translations work again"))
            let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            let metrics = String(decoding: data, as: UTF8.self)
            #expect(metrics.contains(#"intent_translations_total{outcome="failed"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"intent_translations_total{outcome="suggested"} 1"#))

            // Accepted (corrected) by a person: an answer edit, and the suggestion is gone.
            let (accepted, _) = try await client.request(
                port, "/v1/entries/shipping_countries/answers/de", method: "PUT", body: ["answer": "Wir liefern in mehr als 50 Länder."],
                token: "translate-admin")
            #expect(accepted == 200)
            #expect(
                try await client.request(port, "/match", method: "POST", body: ask).1["answer"] as? String == "Wir liefern in mehr als 50 Länder.")
            let (_, after) = try await client.request(port, "/v1/translations", token: "translate-admin")
            #expect((after["translations"] as? [[String: Any]])?.isEmpty == true && after["mode"] as? String == "review")
            #expect(try await client.request(port, "/v1/translations/shipping_countries/de", method: "DELETE", token: "translate-admin").0 == 404)
        }
        #expect(try await chatRequests(port) == 2, "fr failed once and was not asked again; de once")
    }
}

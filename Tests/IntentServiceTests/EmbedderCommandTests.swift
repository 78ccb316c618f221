import Foundation
import IntentTestSupport
import Testing

/// Choosing the built-in embedder (`--embedder`, `--model`, `neural_fallback`) end to end.
@Suite struct EmbedderCommandTests {
    let cli = MatchCommandTests()

    /// The models scripts/model fetches, when present (CI fetches them; see .ci/run).
    static var modelPresent: Bool {
        (FileManager.default.fileExists(atPath: MatchCommandTests.root.path + "/models/all-MiniLM-L6-v2/model.safetensors")
            && FileManager.default.fileExists(atPath: MatchCommandTests.root.path + "/models/multilingual-e5-small/e5-small-q4.bin"))
            || ProcessInfo.processInfo.environment["CI"] != nil
    }

    /// A model folder whose config names an architecture the encoder does not run.
    func brokenModel() throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory("model")
        defer { withExtendedLifetime(folder) {} }
        try #"{"model_type": "gpt2"}"#.write(toFile: folder.file("config.json"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func aNamedNeuralEmbedderWithABrokenModelIsAnError() async throws {
        let brokenFolder = try brokenModel()
        defer { withExtendedLifetime(brokenFolder) {} }
        let model = brokenFolder.path
        let r = try await cli.run(["match", "--embedder", "neural", "--model", model, "refund"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("model: \(model)/config.json: unsupported model: model_type gpt2"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func theLexicalFallbackAnswersWhenConfigured() async throws {
        let brokenFolder = try brokenModel()
        defer { withExtendedLifetime(brokenFolder) {} }
        let model = brokenFolder.path
        let r = try await cli.run(
            ["match", "--embedder", "hybrid", "--model", model, "--json", "我想把钱要回来"], environment: ["INTENT_NEURAL_FALLBACK": "lexical"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("answering with the lexical embedder"))
        #expect(r.stdout.contains("\"refund_request\""))
    }

    @Test func withoutAModelTheDefaultIsLexical() async throws {
        let r = try await cli.run([
            "evaluate", "--questions", "corpus/eval/questions.jsonl", "--model", "/nonexistent/model", "--multilingual-model", "/nonexistent/e5",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("embedder lexical-v1"))
    }

    @Test(.enabled(if: EmbedderCommandTests.modelPresent, "model absent: run scripts/model"))
    func withTheModelsTheDefaultIsMultilingualAndUnderstandsParaphrases() async throws {
        let evaluated = try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.stdout.contains("embedder multilingual-v2/lexical-v1"))
        #expect(evaluated.stdout.contains("known-words-v1"), "the English model gives way on text it cannot read")
        func decide(_ question: String, _ arguments: [String]) async throws -> [String: Any]? {
            let r = try await cli.run(["match", "--json"] + arguments + [question])
            #expect(r.status == 0, "\(r.stderr)")
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        }
        func answer(_ question: String, _ arguments: [String] = []) async throws -> String? {
            try await decide(question, arguments)?["id"] as? String
        }
        func bestCandidate(_ question: String, _ arguments: [String] = []) async throws -> String? {
            (try await decide(question, arguments)?["candidates"] as? [[String: Any]])?.first?["id"] as? String
        }
        // Shares no content word with business_hours' paraphrases: the lexical embedder finds
        // nothing, the models read the meaning.
        #expect(try await answer("is anyone there on saturday") == "business_hours")
        #expect(try await answer("is anyone there on saturday", ["--embedder", "lexical"]) != "business_hours")
        // Another language than the corpus's: only the multilingual model reads it.
        #expect(try await answer("donde esta mi paquete") == "track_order")
        #expect(try await answer("donde esta mi paquete", ["--embedder", "hybrid"]) != "track_order")
        // Close to order_status too: offered as the best candidate (an ambiguous decision lists them).
        #expect(try await bestCandidate("¿dónde está mi pedido?") == "track_order")
    }

    @Test func anUnknownNeuralKernelIsAnErrorNamingTheChoices() async throws {
        let r = try await cli.run(["match", "--neural-kernel", "fast", "refund"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("'fast' is not one of auto, int8, float32"), "\(r.stderr)")
        let fromEnvironment = try await cli.run(["match", "refund"], environment: ["INTENT_NEURAL_KERNEL": "fp16"])
        #expect(fromEnvironment.status == 2)
        #expect(fromEnvironment.stderr.contains("INTENT_NEURAL_KERNEL"), "\(fromEnvironment.stderr)")
    }

    /// Float32 and the default arithmetic (8-bit where the CPU has VNNI) read meaning alike.
    @Test(.enabled(if: EmbedderCommandTests.modelPresent, "model absent: run scripts/model"))
    func bothArithmeticsAnswerByMeaning() async throws {
        for kernel in ["auto", "float32"] {
            for (question, expected) in [("is anyone there on saturday", "business_hours"), ("donde esta mi paquete", "track_order")] {
                let r = try await cli.run(["match", "--json", "--neural-kernel", kernel, question])
                #expect(r.status == 0, "\(r.stderr)")
                let decision = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                #expect(decision?["id"] as? String == expected, "\(kernel): \(question)")
            }
        }
    }

    @Test(.enabled(if: EmbedderCommandTests.modelPresent, "model absent: run scripts/model"))
    func evaluateReportsFiguresPerLanguage() async throws {
        let r = try await cli.run(["evaluate", "--questions", "corpus/eval/multilingual.jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        for language in ["ar", "de", "es", "fr", "id", "pt", "ru", "tr", "vi"] {
            #expect(r.stdout.contains("\n  \(language) "), "\(language) row missing")
        }
    }

    @Test(.enabled(if: EmbedderCommandTests.modelPresent, "model absent: run scripts/model"))
    func aStoreIsServedWithTheEmbedderThatFilledItUnlessAnotherIsNamed() async throws {
        let folder = try TemporaryDirectory("embedder-store")
        defer { withExtendedLifetime(folder) {} }
        let store = "sqlite:" + folder.file("index.sqlite")
        #expect(try await cli.run(["import", "corpus", "--store", store, "--embedder", "lexical"]).status == 0)
        let implicit = try await cli.run(["match", "--store", store, "--json", "我想把钱要回来"])
        #expect(implicit.status == 0, "\(implicit.stderr)")
        let named = try await cli.run(["match", "--store", store, "--embedder", "hybrid", "hi"])
        #expect(named.status == 2)
        #expect(named.stderr.contains("holds vectors of embedder lexical-v1"), "\(named.stderr)")
        #expect(named.stderr.contains("re-import"))
    }
}

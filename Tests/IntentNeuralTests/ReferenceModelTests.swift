import Foundation
import IntentCore
import Testing

@testable import IntentNeural

/// all-MiniLM-L6-v2 against reference vectors made by scripts/neural_reference.py (Hugging Face
/// `tokenizers` + numpy in float64; see Fixtures/minilm-reference.json). Needs the model
/// (`scripts/model`); CI fetches it, so there these tests always run.
@Suite(.enabled(if: ReferenceModel.available, "model absent: run scripts/model")) struct ReferenceModelTests {
    @Test func tokensMatchTheReferenceTokenizer() throws {
        let model = try ReferenceModel.shared()
        for reference in try ReferenceModel.cases() {
            #expect(model.tokenizer.encode(reference.text) == reference.ids, "\(reference.text)")
        }
    }

    @Test(arguments: LinearKernel.allCases.filter(\.isAvailable))
    func vectorsMatchTheReference(kernel: LinearKernel) async throws {
        let model = try ReferenceModel.shared(kernel: kernel)
        let cases = try ReferenceModel.cases()
        let batch = try await model.embed(cases.map(\.text))
        var worst = 1.0
        defer { print("reference check (\(kernel) kernel): \(cases.count) sentences, lowest cosine \(worst)") }
        for (i, reference) in cases.enumerated() {
            // The reference reads raw text; the embedder folds NFKC first. Compare on the model's own input.
            let single = model.encoderVectors([reference.ids])
            var cosine: Double = 0
            for (a, b) in zip(single.row(0), reference.vector) { cosine += Double(a) * b }
            // Float32 kernels compute what the reference computes; int8 rounds the Float32
            // weights and activations to 8-bit blocks (not the service's choice for this model).
            #expect(cosine >= (kernel.isInt8 ? 0.997 : 1 - 1e-4), "\(reference.text): cosine \(cosine)")
            worst = min(worst, cosine)
            // The embedder's vector points the same way, scaled by the share of known word pieces.
            if model.cacheKey(reference.text) == reference.text {
                let scale = NeuralEmbedder.readable(reference.ids, unknown: model.tokenizer.unknownID)
                for (a, b) in zip(batch.row(i), single.row(0)) { #expect(abs(a - b * scale) < 1e-5) }
            }
        }
    }

    /// A worker's workspace holds the last pass's values when the next one starts; no kernel
    /// may read them. Each pass here runs in the reused workspace filled with 0xFF bytes (every
    /// Float a NaN, so any read of what the pass has not written shows) and in a fresh one
    /// filled with zeros: the same vectors, bit for bit, as batches shrink and grow.
    @Test(arguments: LinearKernel.allCases.filter(\.isAvailable))
    func aReusedWorkspaceGivesAFreshOnesVectors(kernel: LinearKernel) throws {
        let model = try ReferenceModel.shared(kernel: kernel)
        let texts = try ReferenceModel.cases().map(\.ids)
        let batches = [texts, [texts[0]], Array(texts.prefix(3)), texts.reversed(), [texts[1]]]
        let workspace = EncoderWorkspace()
        for (n, batch) in batches.enumerated() {
            let (tokens, longest) = (batch.reduce(0) { $0 + $1.count }, batch.map(\.count).max()!)
            _ = workspace.reserve(model.configuration, kernel: kernel, tokens: tokens, longest: longest)
            workspace.fill(0xFF)
            let reused = model.encoder.encode(batch, in: workspace)
            let zeroed = EncoderWorkspace()
            _ = zeroed.reserve(model.configuration, kernel: kernel, tokens: tokens, longest: longest)
            zeroed.fill(0)
            let fresh = model.encoder.encode(batch, in: zeroed)
            let same = reused.storage == fresh.storage  // a Bool: the vectors would fill the log
            #expect(same, "batch \(n) (\(batch.count) sequences, \(kernel) kernel)")
            #expect(!reused.storage.contains { $0.isNaN })
            #expect(workspace.capacity > 0, "the workspace keeps its block")
        }
        // A long pass (4,096 tokens: about 70 MB here) takes a larger block, given back after.
        _ = workspace.reserve(model.configuration, kernel: kernel, tokens: 4096, longest: 64)
        #expect(workspace.capacity > EncoderWorkspace.retainedBytes)
        workspace.endPass()
        #expect(workspace.capacity == 0, "a block over \(EncoderWorkspace.retainedBytes) bytes is not kept")
    }

    @Test func paraphrasesAreCloserThanUnrelatedQuestions() async throws {
        let model = try ReferenceModel.shared()
        let v = try await model.embed(["my card got eaten by the ATM", "the machine kept my card", "what are your opening hours"])
        func cosine(_ i: Int, _ j: Int) -> Float { zip(v.row(i), v.row(j)).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(0, 1) > cosine(0, 2) + 0.2)
    }
}

enum ReferenceModel {
    struct Case: Decodable {
        let text: String
        let ids: [Int32]
        let vector: [Double]
    }

    static let directory: String = {
        if let path = ProcessInfo.processInfo.environment["INTENT_TEST_MODEL"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(NeuralEmbedder.defaultDirectory).path
    }()

    /// Present, or required: under CI a missing model is a failure, not a skip.
    static var available: Bool {
        FileManager.default.fileExists(atPath: directory + "/model.safetensors") || ProcessInfo.processInfo.environment["CI"] != nil
    }

    private static let models = Locked<[LinearKernel?: NeuralEmbedder]>([:])

    static func shared(kernel: LinearKernel? = nil) throws -> NeuralEmbedder {
        try models.withLock { cached in
            if let model = cached[kernel] { return model }
            let loaded = try NeuralEmbedder(directory: directory, kernel: kernel)
            cached[kernel] = loaded
            return loaded
        }
    }

    static func cases() throws -> [Case] {
        struct File: Decodable { let cases: [Case] }
        let url = Bundle.module.url(forResource: "minilm-reference", withExtension: "json", subdirectory: "Fixtures")!
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }
}

@Suite(.enabled(if: ReferenceModel.available, "model absent: run scripts/model")) struct KnownWordsTests {
    @Test func englishIsReadOtherLanguagesAreNot() throws {
        let model = try ReferenceModel.shared()
        let reader = try #require(KnownWordsEmbedder(model, model: model))
        for english in ["where is my parcel??", "I was charged twice for one order", "what time do you open on sundays", "SF1234567890 ??"] {
            #expect(reader.confidence(english) == 1, "\(english)")
        }
        for other in [
            "hola, donde esta mi pedido? ya pasaron 10 dias", "cadê meu pedido? o rastreio não atualiza", "siparişimi iptal etmek istiyorum",
            "Meine Zahlung wurde abgelehnt, warum?", "أين طلبي؟", "Где моя посылка?", "kak, paket saya sudah sampai mana ya?",
            "我想把钱要回来", "退款 please",
        ] {
            #expect(reader.confidence(other) < 0.2, "\(other)")
        }
        #expect(reader.confidence("12345 😀") == 1)  // no words: the model's own [UNK] share decides
    }
}

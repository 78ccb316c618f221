import Foundation
import IntentCore
import Testing

@testable import IntentNeural

/// The encoder's invariants and the loader's errors, on a tiny generated model.
@Suite struct NeuralEmbedderTests {
    @Test func packedBatchEqualsOneAtATime() async throws {
        let scratch = try Scratch()
        let model = try NeuralEmbedder(directory: try TinyModel.write(into: scratch))
        let texts = ["hello world", "refund my order?", "退款", "", "hello hello hello world world my order"]
        let batch = try await model.embed(texts)
        #expect(batch.count == texts.count && batch.dimension == 8)
        for (i, text) in texts.enumerated() {
            let single = try await model.embed([text])
            for (a, b) in zip(single.row(0), batch.row(i)) { #expect(abs(a - b) < 1e-5, "\(text)") }
            // Norm: the share of word pieces the model knows ("" has none; the tiny vocabulary knows every word used).
            let norm = batch.row(i).reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - (text.isEmpty ? 0 : 1)) < 1e-5, "\(text)")
        }
        // Different texts, different vectors; the tokenizer reads the model's own vocabulary.
        #expect(batch.row(0) != batch.row(1))
        #expect(model.tokens("Refund") == [2, 6, 7, 3])
        let partly = try await model.embed(["hello unknownword"])
        #expect(abs(partly.row(0).reduce(0) { $0 + $1 * $1 }.squareRoot() - 0.5) < 1e-5)
    }

    @Test func largeBatchesSplitAcrossThreadsGiveTheSameVectors() async throws {
        let scratch = try Scratch()
        let model = try NeuralEmbedder(directory: try TinyModel.write(into: scratch))
        let texts = (0..<200).map { ["hello", "world", "refund", "my order", "退款"][$0 % 5] + String(repeating: " world", count: $0 % 7) }
        let all = try await model.embed(texts)
        async let a = model.embed(Array(texts[0..<100]))
        async let b = model.embed(Array(texts[100...]))
        let halves = try await [a, b]
        // Equal up to float rounding (matrix products of other sizes sum in another order).
        let split = halves[0].storage + halves[1].storage
        #expect(all.storage.count == split.count)
        #expect(zip(all.storage, split).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test func idDependsOnTheWeights() throws {
        let one = try Scratch(), two = try Scratch()
        let first = try NeuralEmbedder(directory: try TinyModel.write(into: one))
        var tensors = TinyModel.tensors()
        tensors[0].values[0] += 1
        tensors[0].values.removeLast()
        tensors[0].values.append(0.5)
        let second = try NeuralEmbedder(directory: try TinyModel.write(into: two, weights: safetensorsBytes(tensors)))
        let again = try NeuralEmbedder(directory: one.path)
        #expect(first.id == again.id)
        #expect(first.id.hasPrefix("neural-v1/d8/"))
        _ = second
    }

    @Test func brokenModelDirectoriesNameTheFileAndTheProblem() throws {
        func failure(_ prepare: (Scratch) throws -> Void) throws -> String {
            let scratch = try Scratch()
            try TinyModel.write(into: scratch)
            try prepare(scratch)
            do {
                _ = try NeuralEmbedder(directory: scratch.path)
                return "loaded"
            } catch {
                return error.description.replacingOccurrences(of: scratch.path, with: "MODEL")
            }
        }
        #expect(try failure { _ in }.contains("loaded"))
        #expect(
            try failure { try FileManager.default.removeItem(atPath: $0.file("config.json")) }
                == "MODEL/config.json: missing; is this a sentence-transformers model directory? (scripts/model fetches the default one)")
        #expect(
            try failure { try $0.write("config.json", TinyModel.config.replacingOccurrences(of: "\"bert\"", with: "\"gpt2\"")) }.contains(
                "MODEL/config.json: unsupported model: model_type gpt2"))
        #expect(try failure { try $0.write("config.json", "{not json") }.contains("MODEL/config.json: invalid"))
        #expect(
            try failure { try $0.write("config.json", TinyModel.config.replacingOccurrences(of: "\"hidden_size\": 8", with: "\"hidden_size\": 6")) }
                .contains("MODEL/model.safetensors: tensor embeddings.word_embeddings.weight has shape [13, 8], expected [13, 6]"))
        #expect(
            try failure { try FileManager.default.removeItem(atPath: $0.file("vocab.txt")) }.contains(
                "MODEL/tokenizer.json: missing; a model directory needs tokenizer.json or vocab.txt"))
        #expect(try failure { try FileManager.default.removeItem(atPath: $0.file("model.safetensors")) }.contains("MODEL/model.safetensors: missing"))
        #expect(
            try failure { s in
                let bytes = try Data(contentsOf: URL(fileURLWithPath: s.file("model.safetensors")))
                try s.write("model.safetensors", bytes: Array(bytes.prefix(bytes.count / 2)))
            }.contains("MODEL/model.safetensors: corrupt safetensors file: tensor"))
        #expect(try failure { try $0.write("model.safetensors", bytes: []) }.contains("MODEL/model.safetensors: corrupt safetensors file: 0 bytes"))
        #expect(
            try failure { s in
                var tensors = TinyModel.tensors()
                tensors.removeLast()
                try s.write("model.safetensors", bytes: safetensorsBytes(tensors))
            } == "MODEL/model.safetensors: tensor encoder.layer.1.output.LayerNorm.bias is missing")
        let missing = "/nonexistent/model-dir"
        #expect(
            throws: NeuralModelError.missingFile(
                path: missing, hint: "fetch the default models with scripts/model, or give a sentence-transformers BERT model directory")
        ) {
            try NeuralEmbedder(directory: missing)
        }
    }

    @Test func gpt2StyleActivationIsRefused() throws {
        let scratch = try Scratch()
        try TinyModel.write(into: scratch, config: TinyModel.config.replacingOccurrences(of: "\"gelu\"", with: "\"relu\""))
        #expect(throws: NeuralModelError.self) { try NeuralEmbedder(directory: scratch.path) }
    }

    /// GELU's rational erf against libm's, over every value the layers produce and past ±4
    /// (where erf is ±1 in Float32), in the CPU's path (AVX-512 or plain C) and through a tail
    /// shorter than a vector: within a millionth up to ±4; beyond, GELU is x/2 · (1 + erf), so
    /// the rational erf's own absolute error (below 5e-7) comes times |x|/2, up to 1.4e-6 where
    /// GELU is itself about 1e-6; there the bound is the erf's. (The plain path, without fused
    /// multiply-adds, reaches 1.06e-6 at x = -5.6: a flat millionth failed on CPUs without
    /// AVX-512, though its erf stays within 4.5e-7.)
    @Test func geluIsWithinItsErfsErrorOfTheExactOne() {
        let inputs = stride(from: Float(-9), through: 9, by: 0.0005).map { $0 } + [0.25, -0.5, 3]
        var values = inputs
        Kernels.gelu(&values, count: values.count)
        var worst: Double = 0
        var worstErf: Double = 0
        for (x, y) in zip(inputs, values) {
            let exact = 0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            let error = abs(Double(y) - exact)
            if abs(x) <= 4 {
                worst = max(worst, error / max(1, abs(exact)))
            } else {
                worstErf = max(worstErf, error / (0.5 * Double(abs(x))))
            }
        }
        #expect(worst < 1e-6)
        #expect(worstErf < 5e-7)
    }
}

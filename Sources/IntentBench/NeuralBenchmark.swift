import Foundation
import IntentCore
import IntentNeural
import COpenBLAS

/// The neural embedder's speed and memory figures: one 16-token message, batches of 64,
/// model load time and resident memory against the weights file. Pin it to one core for
/// the "one core" figures (`taskset -c 0`); `scripts/bench-neural` runs it beside the same
/// model in Python (numpy) so the ratio comes from one run on one machine.
enum NeuralBenchmark {
    static func run(directory: String) throws {
        let residentBefore = SpeedBenchmark.residentMegabytes()
        let loadStart = DispatchTime.now().uptimeNanoseconds
        let model = try NeuralEmbedder(directory: directory)
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
        print("embedder: \(model.id) (\(directory)), OpenBLAS kernels \(String(cString: openblas_get_corename()))")
        print(String(format: "model load: %.3f s", loadSeconds))

        let message = "where is my parcel it was supposed to arrive yesterday but it did not"
        print("message tokens ([CLS] and [SEP] included): \(model.tokens(message).count)")
        for _ in 0..<5 { _ = model.embedBlocking([message]) }
        SpeedBenchmark.report("neural embed one message", SpeedBenchmark.measure(repetitions: 300) { _ = model.embedBlocking([message]) })

        // A repeated question: the service's embedding cache answers without the model.
        let cached = CachingEmbedder(model)
        let lexical = LexicalEmbedder()
        let embedCached = { () -> Void in
            let done = DispatchSemaphore(value: 0)
            Task {
                _ = try? await cached.embed([message])
                done.signal()
            }
            done.wait()
        }
        embedCached()
        SpeedBenchmark.report("neural embed, repeated message (cache hit)", SpeedBenchmark.measure(repetitions: 20_000) { embedCached() })
        SpeedBenchmark.report("lexical embed, same message", SpeedBenchmark.measure(repetitions: 20_000) { _ = lexical.vector(for: message) })

        let batch = (0..<64).map { "question number \($0) about my order status and refund" }
        _ = model.embedBlocking(batch)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model.embedBlocking(batch)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "neural batch of 64: %.0f messages/s (best of 5, %.1f ms per batch)", 64 / best, best * 1e3))

        let resident = SpeedBenchmark.residentMegabytes()
        let weightsMB = Double(model.weightsBytes) / 1_048_576
        print(
            String(
                format: "resident memory: %d MB (%d MB before the model), weights file %.0f MB, ratio %.2f",
                resident, residentBefore, weightsMB, Double(resident) / weightsMB))
    }
}

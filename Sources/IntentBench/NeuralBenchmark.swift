import Foundation
import IntentCore
import IntentNeural
import COpenBLAS

/// The neural embedder's speed and memory figures: one 16-token message, batches of 64,
/// model load time and resident memory against the weights file. Pin it to one core for
/// the "one core" figures (`taskset -c 0`); `scripts/bench-neural` runs it beside the same
/// model in Python (numpy) so the ratio comes from one run on one machine.
enum NeuralBenchmark {
    static func run(directory: String, only: LinearKernel? = nil) throws {
        let residentBefore = SpeedBenchmark.residentMegabytes()
        print("OpenBLAS kernels \(String(cString: openblas_get_corename())); linear layers side by side:")
        // The service's kernel last, so the memory figure is the service's (one model loaded).
        let preferred = try NeuralEmbedder(directory: directory).kernel
        let kernels = only.map { [$0] } ?? LinearKernel.allCases.filter { $0.isAvailable && $0 != preferred } + [preferred]
        var model: NeuralEmbedder?
        var single: [LinearKernel: Double] = [:]
        var batched: [LinearKernel: Double] = [:]
        for kernel in kernels {
            model = nil
            let loadStart = DispatchTime.now().uptimeNanoseconds
            let loaded = try NeuralEmbedder(directory: directory, kernel: kernel)
            model = loaded
            let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
            let role = kernel == preferred ? ", the service's" : ""
            print("--- \(kernel) kernel\(role): \(loaded.id) (\(directory)), load \(String(format: "%.3f", loadSeconds)) s")
            (single[kernel], batched[kernel]) = measure(loaded)
        }
        for kernel in kernels where kernel != .blas {
            guard let one = single[kernel], let blas = single[.blas], let batch = batched[kernel], let blasBatch = batched[.blas] else { continue }
            print(String(format: "\(kernel) vs blas: one message %.2fx faster, batch of 64 %.2fx", blas / one, batch / blasBatch))
        }
        guard let model else { return }

        // A repeated question: the service's embedding cache answers without the model.
        let message = Self.message
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

        let resident = SpeedBenchmark.residentMegabytes()
        let weightsMB = Double(model.weightsBytes) / 1_048_576
        print(
            String(
                format: "resident memory: %d MB (%d MB before the model), weights file %.0f MB, ratio %.2f",
                resident, residentBefore, weightsMB, Double(resident) / weightsMB))
    }

    static let message = "where is my parcel it was supposed to arrive yesterday but it did not"

    /// The longest start of `message` the model reads as at most 16 tokens, its markers and
    /// prompt included (all-MiniLM-L6-v2: all of it; multilingual-e5 spends 3 on "query: ").
    static func sixteenTokens(_ model: NeuralEmbedder) -> String {
        let words = message.split(separator: " ")
        return (1...words.count).reversed().map { words.prefix($0).joined(separator: " ") }.first { model.tokens($0).count <= 16 } ?? message
    }

    /// One message's median microseconds and a batch of 64's messages per second.
    static func measure(_ model: NeuralEmbedder) -> (single: Double, batch: Double) {
        let message = sixteenTokens(model)
        print("message: \"\(message)\", \(model.tokens(message).count) tokens (markers and prompt included)")
        for _ in 0..<5 { _ = model.embedBlocking([message]) }
        let one = SpeedBenchmark.measure(repetitions: 300) { _ = model.embedBlocking([message]) }
        SpeedBenchmark.report("neural embed one message", one)
        let batch = (0..<64).map { "question number \($0) about my order status and refund" }
        _ = model.embedBlocking(batch)
        var best = Double.infinity
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model.embedBlocking(batch)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "neural batch of 64: %.0f messages/s (best of 5, %.1f ms per batch)", 64 / best, best * 1e3))
        return (one.sorted()[one.count / 2], 64 / best)
    }
}

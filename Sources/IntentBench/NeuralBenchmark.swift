import COpenBLAS
import Foundation
import IntentCore
import IntentNeural

/// The neural embedder's speed and memory figures: one 16-token message, batches of 64,
/// model load time and resident memory against the weights file. Pin it to one core for
/// the "one core" figures (`taskset -c 0`); `scripts/bench-neural` runs it beside the same
/// model in Python (numpy) so the ratio comes from one run on one machine.
enum NeuralBenchmark {
    static func run(directory: String, only: LinearKernel? = nil) throws {
        let residentBefore = SpeedBenchmark.residentMegabytes()
        print("OpenBLAS kernels \(String(cString: openblas_get_corename())); linear layers side by side:")
        // The service's kernel (or `only`) first, so the memory figure is one model's.
        var single: [LinearKernel: Double] = [:]
        var batched: [LinearKernel: Double] = [:]
        var kernels: [LinearKernel] = []
        var next: LinearKernel? = only
        repeat {
            let loadStart = DispatchTime.now().uptimeNanoseconds
            let model = try NeuralEmbedder(directory: directory, kernel: next)
            let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
            let kernel = model.kernel
            kernels.append(kernel)
            let role = kernels.count == 1 && only == nil ? ", the service's" : ""
            print("--- \(kernel) kernel\(role): \(model.id) (\(directory)), load \(String(format: "%.3f", loadSeconds)) s")
            (single[kernel], batched[kernel]) = measure(model)
            if kernels.count == 1 { caches(model, residentBefore: residentBefore) }
            next = only == nil ? LinearKernel.allCases.first { $0.isAvailable && !kernels.contains($0) } : nil
        } while next != nil
        for kernel in kernels where kernel != .blas {
            guard let one = single[kernel], let blas = single[.blas], let batch = batched[kernel], let blasBatch = batched[.blas] else { continue }
            print(String(format: "\(kernel) vs blas: one message %.2fx faster, batch of 64 %.2fx", blas / one, batch / blasBatch))
        }
        if let vnni = single[.int8], let avx2 = single[.int8AVX2], let vnniBatch = batched[.int8], let avx2Batch = batched[.int8AVX2] {
            print(
                String(format: "int8AVX2 vs int8 (VNNI): one message %.2fx the time, batch of 64 %.2fx the rate", avx2 / vnni, avx2Batch / vnniBatch))
        }
    }

    /// The embedding cache and the lexical embedder on the same message, and resident memory
    /// with the one model loaded.
    static func caches(_ model: NeuralEmbedder, residentBefore: Int) {
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

    /// One message's median microseconds and a batch of 64's messages per second, both in a
    /// workspace kept from pass to pass as the service's encoder threads keep theirs; the batch
    /// also with fresh buffers per pass, side by side.
    static func measure(_ model: NeuralEmbedder) -> (single: Double, batch: Double) {
        let message = sixteenTokens(model)
        print("message: \"\(message)\", \(model.tokens(message).count) tokens (markers and prompt included)")
        let workspace = EncoderWorkspace()
        for _ in 0..<5 { _ = model.embedBlocking([message], in: workspace) }
        let one = SpeedBenchmark.measure(repetitions: 300) { _ = model.embedBlocking([message], in: workspace) }
        SpeedBenchmark.report("neural embed one message", one)
        let batch = (0..<64).map { "question number \($0) about my order status and refund" }
        func best(_ pass: () -> Void) -> Double {
            pass()
            var best = Double.infinity
            for _ in 0..<5 {
                let start = DispatchTime.now().uptimeNanoseconds
                pass()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return best
        }
        let kept = best { _ = model.embedBlocking(batch, in: workspace) }
        let fresh = best { _ = model.embedBlocking(batch) }
        print(
            String(
                format: "neural batch of 64: %.0f messages/s (best of 5, %.1f ms per batch); with fresh buffers per batch %.0f messages/s",
                64 / kept, kept * 1e3, 64 / fresh))
        return (one.sorted()[one.count / 2], 64 / kept)
    }
}

import Foundation
import IntentCore
import IntentNeural

/// The built-in embedders by name, and the neural model they share: loaded once per
/// process (weights memory-mapped), reused across corpus reloads.
enum EmbedderFactory {
    static let names = [LexicalEmbedder.name, NeuralEmbedder.name, HybridEmbedder.name]
    /// The default when the model directory exists (chosen by measurement: see README, "Embedders").
    static let defaultWithModel = HybridEmbedder.name
    /// Share of the neural cosine in a hybrid score (chosen by measurement: see README, "Embedders").
    static let defaultNeuralWeight: Float = 0.8

    /// The built-in embedder `name` (the configured one unless a store says otherwise). A
    /// model that cannot load is an error, unless the configuration allows the lexical
    /// fallback or the neural embedder was only the implicit default: then the lexical
    /// embedder answers and `model` records why.
    static func make(_ name: String, _ configuration: ServiceConfiguration, model: NeuralModelCache, cacheEntries: Int) throws
        -> any Embedder
    {
        switch name {
        case NeuralEmbedder.name, HybridEmbedder.name:
            let neural: CachingEmbedder
            do {
                neural = try model.load(configuration.modelPath, cacheEntries: cacheEntries)
            } catch {
                guard configuration.neuralFallback || !configuration.embedderIsExplicit else { throw error }
                model.recordFallback("neural model unusable, answering with the lexical embedder: \(error.description)")
                return LexicalEmbedder()
            }
            if name == NeuralEmbedder.name { return neural }
            return HybridEmbedder(lexical: LexicalEmbedder(), semantic: neural, semanticShare: configuration.neuralWeight)
        default:
            return LexicalEmbedder()
        }
    }

    /// The default threshold: neural cosines of unrelated questions run higher than lexical
    /// ones (0.2-0.3 between any two customer questions), so the neural and hybrid embedders
    /// need a higher bar to keep out-of-scope questions out. Chosen by measurement (README,
    /// "Embedders"): on corpus/eval, hybrid at 0.35 keeps accuracy (85.8%) and cuts false
    /// accepts from 26.7% (at 0.25) to 6.7%.
    static func defaultThreshold(_ name: String) -> Float {
        name == LexicalEmbedder.name ? MatchPolicy.defaultThreshold : 0.35
    }

    /// The built-in embedder that made a stored vector set, from its id (`lexical-v1/…`, `hybrid-v1/…`).
    static func name(ofStored id: String) -> String? {
        names.first { id.hasPrefix($0 + "-") }
    }

    /// What the service's start-up log says about the neural model when it is not in use.
    static func modelAdvice(_ configuration: ServiceConfiguration) -> String? {
        guard configuration.embedder == LexicalEmbedder.name, !configuration.embedderIsExplicit, !configuration.providers.isRemote else {
            return nil
        }
        return "embedder lexical: no neural model at \(configuration.modelPath); scripts/model fetches all-MiniLM-L6-v2 there (then the default is \(defaultWithModel))"
    }
}

/// One loaded neural model per directory, shared by every matcher the process builds, with
/// the embedding cache in front of it (repeated questions skip the model).
final class NeuralModelCache: Sendable {
    private let loaded = Locked<[String: CachingEmbedder]>([:])

    func load(_ directory: String, cacheEntries: Int) throws(NeuralModelError) -> CachingEmbedder {
        if let model = loaded.current[directory] { return model }
        let model = CachingEmbedder(try NeuralEmbedder(directory: directory), capacity: cacheEntries)
        loaded.withLock { $0[directory] = model }
        return model
    }

    /// The cache in front of the loaded model, for metrics.
    var caches: [CachingEmbedder] { Array(loaded.current.values) }

    private let fallback = Locked<String?>(nil)

    func recordFallback(_ reason: String) { fallback.withLock { $0 = reason } }

    /// Why the lexical embedder answers instead of the neural one, if it does.
    var fallbackReason: String? { fallback.current }
}

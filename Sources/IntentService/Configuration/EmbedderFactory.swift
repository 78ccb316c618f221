import Foundation
import IntentCore
import IntentNeural

/// The built-in embedders, by the name the `embedder` setting takes.
enum BuiltInEmbedder: String, CaseIterable, Sendable {
    case lexical, neural, hybrid, multilingual
}

/// The built-in embedders by name, and the neural models they share: loaded once per
/// process (weights memory-mapped), reused across corpus reloads.
enum EmbedderFactory {
    /// Share of the neural cosines in a hybrid or multilingual score (chosen by measurement: see docs/embedders.md).
    static let defaultNeuralWeight: Float = 0.8
    /// The multilingual model's part of that share when the English model blends in too (docs/embedders.md).
    static let defaultMultilingualWeight: Float = 0.5

    /// The default embedder for the models on disk: `multilingual` with the multilingual
    /// model, else `hybrid` with the English one, else `lexical` (chosen by measurement: docs/embedders.md).
    static func defaultEmbedder(model: String, multilingual path: String) -> BuiltInEmbedder {
        if NeuralEmbedder.e5File(at: path) != nil || FileManager.default.fileExists(atPath: path + "/model.safetensors") {
            return .multilingual
        }
        return FileManager.default.fileExists(atPath: model + "/model.safetensors") ? .hybrid : .lexical
    }

    /// The built-in embedder `name` (the configured one unless a store says otherwise). A
    /// model that cannot load is an error, unless the configuration allows the lexical
    /// fallback or the neural embedder was only the implicit default: then the lexical
    /// embedder answers and `model` records why.
    static func make(
        _ name: BuiltInEmbedder, _ configuration: ServiceConfiguration, model: NeuralModelCache, cacheEntries: Int
    ) throws
        -> any Embedder
    {
        guard name != .lexical else { return LexicalEmbedder() }
        do {
            return try neural(name, configuration, model: model, cacheEntries: cacheEntries)
        } catch {
            guard configuration.neuralFallback || !configuration.embedderIsExplicit else { throw error }
            model.recordFallback("neural model unusable, answering with the lexical embedder: \(error.description)")
            return LexicalEmbedder()
        }
    }

    private static func neural(
        _ name: BuiltInEmbedder, _ configuration: ServiceConfiguration, model: NeuralModelCache, cacheEntries: Int
    )
        throws(NeuralModelError) -> any Embedder
    {
        switch name {
        case .lexical:
            return LexicalEmbedder()
        case .multilingual:
            let multilingualModel = try model.loadModel(configuration.multilingualModelPath, cacheEntries: cacheEntries)
            // The English model blends in when present: it reads English better than the multilingual one.
            let english = try? model.loadModel(configuration.modelPath, cacheEntries: cacheEntries)
            let share = configuration.neuralWeight
            var parts = [HybridEmbedder.Part]()
            let multilingualShare = english == nil ? share : share * configuration.multilingualWeight
            if let english, multilingualShare < share {
                // Scaled by the share of words it knows whole: it gives way on other languages.
                let reader: any Embedder = KnownWordsEmbedder(english.cached, model: english.model) ?? english.cached
                parts.append(.init(reader, share: share - multilingualShare, baseline: english.model.unrelatedCosine))
            }
            parts.append(.init(multilingualModel.cached, share: multilingualShare, baseline: multilingualModel.model.unrelatedCosine))
            return HybridEmbedder(lexical: LexicalEmbedder(), parts: parts, label: BuiltInEmbedder.multilingual.rawValue)
        case .neural:
            return try model.load(configuration.modelPath, cacheEntries: cacheEntries)
        case .hybrid:
            let neural = try model.load(configuration.modelPath, cacheEntries: cacheEntries)
            return HybridEmbedder(lexical: LexicalEmbedder(), semantic: neural, semanticShare: configuration.neuralWeight)
        }
    }

    /// The default threshold: neural cosines of unrelated questions run higher than lexical
    /// ones (0.2-0.3 between any two customer questions), so the neural and hybrid embedders
    /// need a higher bar to keep out-of-scope questions out. Chosen by measurement (docs/embedders.md,
    /// "Where the defaults come from"): on corpus/eval, hybrid at 0.35 keeps accuracy (85.8%) and cuts false
    /// accepts from 26.7% (at 0.25) to 6.7%.
    static func defaultThreshold(_ name: BuiltInEmbedder) -> Float {
        switch name {
        case .lexical: MatchPolicy.defaultThreshold
        case .multilingual: multilingualThreshold
        case .neural, .hybrid: 0.35
        }
    }

    /// Chosen by measurement (docs/embedders.md): the best accuracy on corpus/eval and the
    /// multilingual file together that accepts no more out-of-scope questions than the
    /// hybrid did (6.7% on corpus/eval); the margin is wider because cross-lingual scores run
    /// lower and closer together, and a close call is better offered as candidates.
    static let multilingualThreshold: Float = 0.325

    /// The default margin: wider for the multilingual blend (see `multilingualThreshold`).
    static func defaultMargin(_ name: BuiltInEmbedder) -> Float {
        name == .multilingual ? 0.05 : MatchPolicy.defaultMargin
    }

    /// The built-in embedder that made a stored vector set, from its id (`lexical-v1/…`, `hybrid-v1/…`).
    static func name(ofStored id: String) -> BuiltInEmbedder? {
        BuiltInEmbedder.allCases.first { id.hasPrefix($0.rawValue + "-") }
    }

    /// What the service's start-up log says about the neural models when they are not in use.
    static func modelAdvice(_ configuration: ServiceConfiguration) -> String? {
        guard configuration.embedder != .multilingual, !configuration.embedderIsExplicit, !configuration.providers.isRemote else {
            return nil
        }
        return
            "embedder \(configuration.embedder.rawValue): no multilingual model at \(configuration.multilingualModelPath); scripts/model fetches multilingual-e5-small and all-MiniLM-L6-v2 into models/ (then the default is multilingual)"
    }
}

/// One loaded neural model per path, shared by every matcher the process builds, with the
/// embedding cache in front of it (repeated questions skip the model).
final class NeuralModelCache: Sendable {
    private let loaded = Locked<[String: LoadedModel]>([:])
    /// The linear layers' kernel (`neural_kernel`); nil: `LinearKernel.automatic`.
    private let kernel: LinearKernel?

    init(kernel: LinearKernel? = nil) { self.kernel = kernel }

    /// A model and its embedding cache.
    struct LoadedModel: Sendable {
        let model: NeuralEmbedder
        let cached: CachingEmbedder
    }

    func load(_ path: String, cacheEntries: Int) throws(NeuralModelError) -> CachingEmbedder {
        try loadModel(path, cacheEntries: cacheEntries).cached
    }

    /// Held across check, load and insert, so two reloads asking at once load a model once.
    private let building = NSLock()

    func loadModel(_ path: String, cacheEntries: Int) throws(NeuralModelError) -> LoadedModel {
        building.lock()
        defer { building.unlock() }
        if let model = loaded.current[path] { return model }
        let neural = try NeuralEmbedder(directory: path, kernel: kernel)
        let model = LoadedModel(model: neural, cached: CachingEmbedder(neural, capacity: cacheEntries))
        loaded.withLock { $0[path] = model }
        return model
    }

    /// The caches in front of the loaded models, for metrics.
    var caches: [CachingEmbedder] { loaded.current.values.map(\.cached) }

    private let fallback = Locked<String?>(nil)

    func recordFallback(_ reason: String) { fallback.withLock { $0 = reason } }

    /// Why the lexical embedder answers instead of the neural one, if it does.
    var fallbackReason: String? { fallback.current }
}

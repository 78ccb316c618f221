import Hummingbird
import IntentChannels
import IntentCore

/// `GET /healthz` (alive), `GET /readyz` (a corpus is in service) and `GET /metrics`; `GET /`
/// sends a browser to the console.
struct OperationsRoutes {
    let holder: ServiceHolder
    let metrics: ServiceMetrics
    let channel: ChannelRuntime?
    let stats: StatsRecorder
    let storeHealth: StoreHealth

    func register(on router: Router<IntentRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .seeOther, headers: [.location: "/console"])
        }
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            guard let service = holder.service else {
                return try JSONResponse.make(["status": "loading"], status: .serviceUnavailable)
            }
            var ready = ReadyResponse(service: service)
            if let channel {
                for configured in channel.channels { ready.channels[configured.name] = ChannelReadiness(channel, name: configured.name) }
            }
            ready.whatsapp = ready.channels[ChannelIdentity.whatsapp]
            ready.storeProblem = stats.storeProblem
            // The state store is the channel's when there is one (it reports its loops' writes).
            ready.stateStore = (channel?.storeHealth ?? storeHealth).problem
            if ready.stateStore != nil { ready.status = "degraded" }
            return try JSONResponse.make(ready)
        }
        router.get("/metrics") { _, _ in
            metrics.collect()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
    }
}

/// What `/readyz` says about the corpus in service.
struct ReadyResponse: Encodable {
    var status = "ready"
    var corpusVersion: String
    var corpusSource: String
    var entries: Int
    var paraphrases: Int
    var embedder: String
    /// Set when the configured embedder is not serving and a fallback answers.
    var degradedReason: String?
    /// Every configured channel's state, by name (`whatsapp` repeats WhatsApp's, as before other channels).
    var channels: [String: ChannelReadiness] = [:]
    var whatsapp: ChannelReadiness?
    /// Set while statistics cannot be written to the store (they are kept, bounded, and retried).
    var storeProblem: String?
    /// Set while the state store (conversations, outbox, edits) cannot be written or its file is gone.
    var stateStore: StoreHealth.Problem?

    init(service: MatchService) {
        let matcher = service.matcher
        corpusVersion = matcher.corpus.version
        corpusSource = matcher.corpus.source
        entries = matcher.corpus.entries.count
        paraphrases = matcher.corpus.paraphraseCount
        embedder = matcher.embedder.id
        degradedReason = service.primary == nil ? service.primaryUnavailable : nil
    }

    enum CodingKeys: String, CodingKey {
        case status
        case corpusVersion = "corpus_version"
        case corpusSource = "corpus_source"
        case entries, paraphrases, embedder
        case degradedReason = "degraded_reason"
        case whatsapp, channels
        case store
        case stateStore = "state_store"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(corpusVersion, forKey: .corpusVersion)
        try c.encode(corpusSource, forKey: .corpusSource)
        try c.encode(entries, forKey: .entries)
        try c.encode(paraphrases, forKey: .paraphrases)
        try c.encode(embedder, forKey: .embedder)
        try c.encode(degradedReason, forKey: .degradedReason)
        try c.encodeIfPresent(whatsapp, forKey: .whatsapp)
        if !channels.isEmpty { try c.encode(channels, forKey: .channels) }
        if storeProblem != nil {
            // The error itself is in the log: it may name hosts and paths.
            try c.encode(
                ["status": "degraded", "reason": "statistics are not reaching the store; kept in memory (bounded) and retried every 2 s"],
                forKey: .store)
        }
        if let stateStore {
            try c.encode(["status": "degraded", "reason": stateStore.reason], forKey: .stateStore)
        }
    }
}

/// `/readyz`'s word on one channel: whether its sends can succeed, and what waits to go out.
struct ChannelReadiness: Encodable {
    var enabled = true
    /// ok, or token_invalid when the platform rejected the channel's credentials (Meta's code 190,
    /// Telegram's 401).
    var status: String
    var reason: String?
    var pending: Int

    init(_ runtime: ChannelRuntime, name: String) {
        reason = runtime.unhealthyReason(of: name)
        status = reason == nil ? "ok" : "token_invalid"
        pending = runtime.statistics.channels[name]?.pending ?? 0
    }
}

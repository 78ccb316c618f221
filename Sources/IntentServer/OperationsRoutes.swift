import Hummingbird
import IntentCore

/// `GET /healthz` (alive), `GET /readyz` (a corpus is in service) and `GET /metrics`.
struct OperationsRoutes {
    let holder: MatcherHolder
    let metrics: ServiceMetrics

    func register(on router: Router<IntentRequestContext>) {
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok"])
        }
        router.get("/readyz") { _, _ in
            guard let matcher = holder.matcher else {
                return try JSONResponse.make(["status": "loading"], status: .serviceUnavailable)
            }
            return try JSONResponse.make(ReadyResponse(matcher: matcher))
        }
        router.get("/metrics") { _, _ in
            Response(
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

    init(matcher: Matcher) {
        corpusVersion = matcher.corpus.version
        corpusSource = matcher.corpus.source
        entries = matcher.corpus.entries.count
        paraphrases = matcher.corpus.paraphraseCount
        embedder = matcher.embedder.id
    }

    enum CodingKeys: String, CodingKey {
        case status
        case corpusVersion = "corpus_version"
        case corpusSource = "corpus_source"
        case entries, paraphrases, embedder
    }
}

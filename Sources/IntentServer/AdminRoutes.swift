import Hummingbird
import IntentCore

/// `POST /admin/reload`, behind a bearer token. Registered only when a token is
/// configured: without one, admin routes do not exist (404).
struct AdminRoutes {
    let token: String
    let reloader: CorpusReloader

    func register(on router: Router<IntentRequestContext>) {
        router.post("/admin/reload") { request, _ in
            try authorize(request)
            do {
                let service = try await reloader.reload()
                return try JSONResponse.make(
                    ReloadResponse(service: service, warnings: service.corpus.warnings.map(\.description)))
            } catch let error as CorpusValidationError {
                throw APIError(
                    .unprocessableContent, "invalid_corpus",
                    "the corpus has \(error.errors.count) error(s); the previous corpus stays in service",
                    issues: error.issues.map(\.description))
            }
        }
    }

    private func authorize(_ request: Request) throws {
        try BearerToken(token: token, name: "the admin token").authorize(request)
    }
}

struct ReloadResponse: Encodable {
    var status = "reloaded"
    var ready: ReadyResponse
    var warnings: [String]

    init(service: MatchService, warnings: [String]) {
        ready = ReadyResponse(service: service)
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey { case status, corpusVersion = "corpus_version", entries, warnings }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(ready.corpusVersion, forKey: .corpusVersion)
        try c.encode(ready.entries, forKey: .entries)
        try c.encode(warnings, forKey: .warnings)
    }
}

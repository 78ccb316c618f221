import Hummingbird
import IntentCore

/// `POST /admin/reload`. Registered only when an admin token is configured (without one,
/// admin routes do not exist: 404), on a group guarded by `RequireRole(.admin)`.
struct AdminRoutes {
    let reloader: CorpusReloader

    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.post("/admin/reload") { _, _ in
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

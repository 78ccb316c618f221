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
        let header = request.headers[.authorization] ?? ""
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), Self.constantTimeEqual(Array(header.dropFirst(prefix.count).utf8), Array(token.utf8))
        else {
            var error = APIError(.unauthorized, "unauthorized", "send the admin token as 'Authorization: Bearer <token>'")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
    }

    /// Compares without an early exit, so response time does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
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

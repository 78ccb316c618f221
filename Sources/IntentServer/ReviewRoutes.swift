import Foundation
import Hummingbird
import IntentCore

/// The review queue and the edits it leads to:
///
/// - `GET /v1/review`: recent unmatched and ambiguous messages no edit dealt with yet,
///   clustered by the service's own embedder (`ReviewClusters`), largest first;
/// - `POST /v1/review/{id}/assign` `{"entry"}`: the cluster's wordings become paraphrases of `entry`;
/// - `POST /v1/review/{id}/dismiss`: the cluster's wordings become examples of the out-of-scope
///   entry (`not_ours` when the corpus has none), so that they and their neighbours go unanswered;
/// - `POST /v1/entries` `{"id", "questions", "answer"}`: a new entry;
/// - `PUT /v1/entries/{id}/answers/{language}` `{"answer"}`: an entry's answer in a language (admins);
/// - `GET /v1/edits`: every edit, with who made it and when.
///
/// An edit is signed by the agent whose token made it; with a configured token, by the body's
/// `by` (else the token's name).
///
/// Every edit goes through `CorpusEditor` (validated, stored, reloaded) before the reply.
struct ReviewRoutes {
    let holder: ServiceHolder
    let stats: StatsRecorder
    let editor: CorpusEditor
    let reader: JSONBodyReader
    /// The last clusters and what they were built from: embedding hundreds of messages again
    /// on every poll would cost seconds with a sentence model.
    let cache = Locked<(key: String, clusters: [ReviewClusters.Cluster], messages: Int)?>(nil)

    /// Messages clustered per request: the newest of the queue.
    static let clusteredMessages = 500

    /// The review queue and its actions on `group` (viewers read, agents act); an entry's answers
    /// on `answers` (viewers read, admins write: the answers are the corpus's).
    func register(on group: some RouterMethods<IntentRequestContext>, answers: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/review") { _, _ in
            let (clusters, messages) = try await currentClusters()
            var response = ReviewResponse(clusters: clusters, messages: messages)
            for (i, cluster) in clusters.enumerated() {
                // What customers picked when offered "did you mean" for these very questions.
                let picks = stats.confirmations(of: cluster.distinctTexts)
                if let best = picks.max(by: { $0.value == $1.value ? $0.key > $1.key : $0.value < $1.value }) {
                    response.clusters[i].confirmed = ReviewResponse.Confirmed(entry: best.key, picks: best.value)
                }
            }
            return try JSONResponse.make(response)
        }
        group.post("/v1/review/:id/assign") { request, context in
            let body = try await reader.decode(AssignRequest.self, from: request)
            let cluster = try await cluster(context.parameters.get("id") ?? "")
            let edit = CorpusEdit(kind: .paraphrases, entry: body.entry, questions: cluster.distinctTexts, by: context.signature(naming: body.by))
            return try await applied(edit)
        }
        group.post("/v1/review/:id/dismiss") { request, context in
            let body = try await optionalBody(DismissRequest.self, request)
            let cluster = try await cluster(context.parameters.get("id") ?? "")
            let edit = CorpusEdit(kind: .outOfScope, entry: nil, questions: cluster.distinctTexts, by: context.signature(naming: body?.by))
            return try await applied(edit)
        }
        group.post("/v1/entries") { request, context in
            let body = try await reader.decode(NewEntryRequest.self, from: request)
            for (i, question) in body.questions.enumerated() { try reader.validate(message: question, field: "questions[\(i)]") }
            let edit = CorpusEdit(
                kind: .entry, entry: body.id, questions: body.questions, answer: body.answer, by: context.signature(naming: body.by))
            return try await applied(edit, status: .created)
        }
        answers.put("/v1/entries/:id/answers/:language") { request, context in
            let body = try await reader.decode(AnswerRequest.self, from: request)
            let language = context.parameters.get("language") ?? ""
            let id = context.parameters.get("id") ?? ""
            // The entry is the resource named by the path: a missing one is 404, not a conflict.
            if let corpus = holder.service?.corpus, corpus.entry(id: id) == nil {
                throw APIError(.notFound, "unknown_entry", "'\(id)' is not an entry of the corpus; GET /v1/corpus lists them")
            }
            let edit = CorpusEdit(
                kind: .answer, entry: id, questions: [], answer: body.answer,
                language: language == "default" ? nil : language, by: context.signature(naming: body.by))
            return try await applied(edit)
        }
        group.get("/v1/edits") { _, _ in
            return try JSONResponse.make(EditList(edits: try await editor.history().reversed().map(EditJSON.init)))
        }
    }

    private func currentClusters() async throws -> ([ReviewClusters.Cluster], Int) {
        guard let service = holder.service else {
            throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly")
        }
        let handled = try await editor.handledTexts()
        let snapshot = stats.snapshot
        let queue = (snapshot.recentUnmatched + snapshot.recentAmbiguous).sorted { $0.at > $1.at }
        let messages = Array(queue.lazy.filter { !handled.contains(TextNormalizer.normalize($0.message)) }.prefix(Self.clusteredMessages))
        let key = "\(service.corpus.version)|\(snapshot.total)|\(handled.count)|\(messages.count)"
        if let cached = cache.current, cached.key == key { return (cached.clusters, cached.messages) }
        let clusters = try await ReviewClusters.build(messages, embedder: service.matcher.embedder)
        cache.withLock { $0 = (key, clusters, messages.count) }
        return (clusters, messages.count)
    }

    private func cluster(_ id: String) async throws -> ReviewClusters.Cluster {
        guard let cluster = try await currentClusters().0.first(where: { $0.id == id }) else {
            throw APIError(
                .notFound, "no_cluster", "no cluster '\(id)' in the review queue (it was dealt with, or the queue moved on): GET /v1/review again")
        }
        return cluster
    }

    private func applied(_ edit: CorpusEdit, status: HTTPResponse.Status = .ok) async throws -> Response {
        let result = try await editor.apply(edit)
        return try JSONResponse.make(
            EditResult(edit: EditJSON(result.edit), corpusVersion: result.service.corpus.version, entries: result.service.corpus.entries.count),
            status: status)
    }

    /// A body that may be absent (dismiss needs none).
    private func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        guard request.headers[.contentType] != nil || (request.headers[.contentLength].flatMap(Int.init) ?? 0) > 0 else { return nil }
        return try await reader.decode(type, from: request)
    }
}

struct AssignRequest: Decodable {
    var entry: String
    var by: String?
}

struct DismissRequest: Decodable {
    var by: String?
}

struct NewEntryRequest: Decodable {
    var id: String
    var questions: [String]
    var answer: String
    var by: String?
}

/// `PUT /v1/entries/{id}/answers/{language}`: the entry's answer in a language (`default`: for every other).
struct AnswerRequest: Decodable {
    var answer: String
    var by: String?
}

/// `GET /v1/review`: the review queue's clusters, largest first.
struct ReviewResponse: Encodable, Sendable {
    struct Cluster: Encodable, Sendable {
        var id: String
        var size: Int
        var customers: Int
        var unmatched: Int
        var ambiguous: Int
        var lastAt: String
        /// The most frequent distinct wordings (at most ten).
        var examples: [String]
        var suggestion: MatchDecision.Candidate?
        /// The entry customers picked most often when these questions were offered as "did you mean".
        var confirmed: Confirmed?

        enum CodingKeys: String, CodingKey {
            case id, size, customers, unmatched, ambiguous
            case lastAt = "last_at"
            case examples, suggestion, confirmed
        }
    }

    struct Confirmed: Encodable, Sendable {
        var entry: String
        var picks: Int
    }

    var messages: Int
    var clusters: [Cluster]

    init(clusters: [ReviewClusters.Cluster], messages: Int) {
        self.messages = messages
        let format = ISO8601DateFormatter()
        self.clusters = clusters.map { c in
            Cluster(
                id: c.id, size: c.messages.count, customers: c.customers, unmatched: c.messages.filter { $0.status == .unmatched }.count,
                ambiguous: c.messages.filter { $0.status == .ambiguous }.count, lastAt: format.string(from: c.messages.first?.at ?? Date()),
                examples: Array(c.distinctTexts.prefix(10)), suggestion: c.suggested)
        }
    }
}

struct EditJSON: Encodable {
    var number: Int
    var kind: String
    var entry: String?
    var questions: [String]
    var answer: String?
    var language: String?
    /// What an answer edit replaced, or the answer a translation translates.
    var basis: String?
    var by: String
    var at: String

    init(_ edit: CorpusEdit) {
        number = edit.number
        kind = edit.kind.rawValue
        entry = edit.entry
        questions = edit.questions
        answer = edit.answer
        language = edit.language
        basis = edit.basis
        by = edit.by
        at = ISO8601DateFormatter().string(from: edit.at)
    }
}

struct EditResult: Encodable {
    var edit: EditJSON
    var corpusVersion: String
    var entries: Int

    enum CodingKeys: String, CodingKey {
        case edit
        case corpusVersion = "corpus_version"
        case entries
    }
}

struct EditList: Encodable {
    var edits: [EditJSON]
}

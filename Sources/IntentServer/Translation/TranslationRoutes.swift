import Foundation
import Hummingbird
import IntentCore

/// The translations a chat model wrote for review (`translate: review`):
///
/// - `GET /v1/translations`: those still waiting, each with the default answer it translates;
///   accepting one is setting the entry's answer in its language
///   (`PUT /v1/entries/{id}/answers/{language}`, the text as it is or corrected);
/// - `DELETE /v1/translations/{entry}/{language}`: rejected; the same answer is not sent to
///   the model again (a changed default answer is).
struct TranslationRoutes {
    let holder: ServiceHolder
    let editor: CorpusEditor
    let mode: TranslateMode

    /// The list on `group` (viewers read it); rejecting on `reviewers` (admins, who also accept
    /// one by setting the answer: the answers are the corpus's).
    func register(on group: some RouterMethods<IntentRequestContext>, reviewers: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/translations") { _, _ in
            let corpus = holder.service?.corpus
            // Only what still applies: the entry there, without an answer in the language, and
            // its default answer the one translated.
            let waiting = try await Self.readingStore { try await editor.suggestions() }.filter { suggestion in
                guard !suggestion.rejected, let entry = corpus?.entry(id: suggestion.entry) else { return false }
                return entry.answers[suggestion.language] == nil && entry.answer == suggestion.source
            }
            return try JSONResponse.make(TranslationList(mode: mode.rawValue, translations: waiting.map(TranslationJSON.init)))
        }
        reviewers.delete("/v1/translations/:entry/:language") { _, context in
            let entry = context.parameters.get("entry") ?? ""
            let language = context.parameters.get("language") ?? ""
            guard
                var suggestion = try await Self.readingStore({ try await editor.suggestions() }).first(where: {
                    $0.entry == entry && $0.language == language && !$0.rejected
                })
            else {
                throw APIError(.notFound, "no_translation", "no translation of '\(entry)' into '\(language)' is waiting for review")
            }
            suggestion.rejected = true
            try await Self.readingStore { try await editor.suggest(suggestion) }
            return try JSONResponse.make(TranslationJSON(suggestion))
        }
    }
}

extension TranslationRoutes {
    /// A state store that fails is the service's trouble, said as such: 503, never a 500.
    static func readingStore<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.serviceUnavailable, "store_unavailable", "the state store cannot be read or written; retry when /readyz reports it ok")
        }
    }
}

struct TranslationJSON: Encodable {
    var entry: String
    var language: String
    /// The default answer translated.
    var source: String
    var text: String
    var by: String
    var at: String
    var rejected: Bool

    init(_ suggestion: AnswerSuggestion) {
        entry = suggestion.entry
        language = suggestion.language
        source = suggestion.source
        text = suggestion.text
        by = suggestion.by
        at = ISO8601DateFormatter().string(from: suggestion.at)
        rejected = suggestion.rejected
    }
}

struct TranslationList: Encodable {
    var mode: String
    var translations: [TranslationJSON]
}

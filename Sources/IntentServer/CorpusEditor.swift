import Foundation
import HTTPTypes
package import IntentChannels
package import IntentCore

/// Applies the console's corpus edits: each is validated against the corpus in service (as
/// an import would check it), stored, and then served by a reload, before the caller hears
/// back, so `/match` answers with it as soon as the request returns.
///
/// Invariant: edits apply one at a time, in the order asked (like `CorpusReloader`'s loads),
/// so an edit is always validated against the corpus that includes every edit before it.
package actor CorpusEditor {
    /// Opens the edit store; without `creating`, nil while none exists (nothing was edited).
    package typealias OpenStore = @Sendable (_ creating: Bool) async throws -> (any CorpusEditStore)?

    private let open: OpenStore
    private let holder: ServiceHolder
    private let reloader: CorpusReloader
    private let health: StoreHealth?
    private var tail: Task<Applied, Error>?

    package struct Applied: Sendable {
        package var edit: CorpusEdit
        package var service: MatchService
    }

    package init(open: @escaping OpenStore, holder: ServiceHolder, reloader: CorpusReloader, health: StoreHealth? = nil) {
        self.open = open
        self.holder = holder
        self.reloader = reloader
        self.health = health
    }

    package func apply(_ edit: CorpusEdit) async throws -> Applied {
        let previous = tail
        let next = Task { () async throws -> Applied in
            _ = await previous?.result
            return try await self.validateStoreAndReload(edit)
        }
        tail = next
        return try await next.value
    }

    package func history() async throws -> [CorpusEdit] {
        try await open(false)?.edits() ?? []
    }

    /// The messages' normalised texts that an edit already took care of, read afresh: on a
    /// shared store, another replica's console may have dealt with some since.
    package func handledTexts() async throws -> Set<String> {
        Set(try await history().flatMap(\.questions).map(TextNormalizer.normalize))
    }

    /// Translations waiting for review (and rejected ones); none while nothing was ever stored.
    package func suggestions() async throws -> [AnswerSuggestion] {
        try await open(false)?.suggestions() ?? []
    }

    package func suggest(_ suggestion: AnswerSuggestion) async throws {
        guard let store = try await open(true) else {
            throw APIError(.serviceUnavailable, "no_state_store", "no state store to keep the translation in")
        }
        try await store.suggest(suggestion)
    }

    package func removeSuggestion(entry: String, language: String) async throws {
        try await open(false)?.removeSuggestion(entry: entry, language: language)
    }

    private func validateStoreAndReload(_ edit: CorpusEdit) async throws -> Applied {
        guard let service = holder.service else {
            throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly")
        }
        let valid: CorpusEdit
        do {
            valid = try service.corpus.validate(edit)
        } catch {
            throw APIError(error.conflicts ? .conflict : .badRequest, error.conflicts ? "edit_conflict" : "invalid_edit", error.description)
        }
        if let problem = health?.problem, health?.refusesWork == true {
            throw APIError(.serviceUnavailable, "store_unavailable", "\(problem.reason); the edit was not stored")
        }
        let open = self.open
        let stored: CorpusEdit
        do {
            guard let store = try await open(true) else {
                throw APIError(.serviceUnavailable, "no_state_store", "no state store to keep the edit in")
            }
            // A state file deleted or replaced while serving would take the edit with it.
            if let lost = try await (store as? any ConversationStore)?.lostReason() {
                health?.lost(lost)
                throw APIError(.serviceUnavailable, "store_unavailable", "\(lost); the edit was not stored")
            }
            stored = try await store.append(valid)
            health?.succeeded()
            // The answer is set: a translation waiting for review has nothing left to do. Leaving
            // it behind would be harmless (the list shows only what still applies).
            if stored.kind == .answer, let entry = stored.entry, let language = stored.language {
                try? await store.removeSuggestion(entry: entry, language: language)
            }
        } catch let error as APIError {
            throw error
        } catch {
            // Nothing was stored (the append is one transaction): the client may send it again.
            health?.failed("storing a console edit", error: error)
            throw APIError(
                .serviceUnavailable, "store_unavailable",
                "the state store cannot be written, so the edit was not stored; retry when /readyz reports the store ok")
        }
        do {
            return Applied(edit: stored, service: try await reloader.reload())
        } catch {
            throw APIError(
                .serviceUnavailable, "reload_failed",
                "edit \(stored.number) is stored and applies at the next successful reload; this reload failed: \(clientDescription(of: error))")
        }
    }
}

import Foundation
package import IntentCore
package import Logging
import ServiceLifecycle

/// What happens to a chat model's translation of an answer (the `translate` setting).
package enum TranslateMode: String, Sendable, CaseIterable {
    /// Customers without an answer in their language get the default one.
    case off
    /// Translations wait in the console for a person to accept (an `answer` edit) or reject them.
    case review
    /// Translations are applied as `answer` edits by the translator, and served at once.
    case auto
}

/// Translates entries' default answers into the languages customers write in, once per entry,
/// language and answer text: a decision that answered with the default answer although the
/// message's language is known asks for one (`want`, cheap: a yield); this service asks the chat
/// model one translation at a time, in the background, and applies it or keeps it for review.
///
/// Never a retry storm: a failed translation is asked again only after `retryAfter`, whatever
/// the traffic, and a provider that keeps failing logs once when it starts and once when it
/// recovers (every failure is counted in `intent_translations_total{outcome="failed"}`).
package final class AnswerTranslations: Service, Sendable {
    package let mode: TranslateMode
    private let translator: AnswerTranslator
    private let editor: CorpusEditor
    private let holder: ServiceHolder
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let retryAfter: Duration
    /// The most translations asked of the model in an hour: `/match` takes a caller's language,
    /// so without a cap anyone could have every entry translated into every language at the
    /// shop's expense.
    private let perHour: Int
    private let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation
    /// When each (entry, language, source) was last asked for, whether the model is failing, and
    /// this hour's count (the hour starting at `hour`).
    private let state = Locked<State>(State())

    private struct State {
        var asked: [String: ContinuousClock.Instant] = [:]
        var failing = false
        var hour = ContinuousClock.now
        var thisHour = 0
        var capped = false
    }

    private struct Request: Sendable {
        var entry: String
        var language: String
    }

    package init(
        mode: TranslateMode, translator: AnswerTranslator, editor: CorpusEditor, holder: ServiceHolder, metrics: ServiceMetrics,
        logger: Logger, retryAfter: Duration = .seconds(600), perHour: Int = 100
    ) {
        self.mode = mode
        self.translator = translator
        self.editor = editor
        self.holder = holder
        self.metrics = metrics
        self.logger = logger
        self.retryAfter = retryAfter
        self.perHour = perHour
        // A burst of traffic keeps the newest requests; dropped ones come back with their customers.
        (requests, continuation) = AsyncStream.makeStream(of: Request.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Called for every decision: asks for a translation when the answer is not in the message's language.
    package func want(_ decision: MatchDecision) {
        guard mode != .off, let entry = decision.answeredID, let language = decision.language, decision.answerLanguage != language
        else { return }
        continuation.yield(Request(entry: entry, language: language))
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            for await request in self.requests { await self.handle(request) }
        }
    }

    private func handle(_ request: Request) async {
        guard LanguageDetector.detectable.contains(request.language),
            let entry = holder.service?.corpus.entry(id: request.entry), !entry.isOutOfScope, entry.answers[request.language] == nil,
            // The default answer's language must be known (its code, else what it reads as) and another one.
            let source = entry.answer(in: nil).language ?? LanguageDetector.language(of: entry.answer), source != request.language
        else { return }
        let key = "\(entry.id)\u{1}\(request.language)\u{1}\(entry.answer)"
        let now = ContinuousClock.now
        let (due, capped) = state.withLock { state -> (Bool, Bool) in
            if let asked = state.asked[key], now < asked + retryAfter { return (false, false) }
            if now >= state.hour + .seconds(3_600) { (state.hour, state.thisHour, state.capped) = (now, 0, false) }
            guard state.thisHour < perHour else {
                defer { state.capped = true }
                return (false, !state.capped)
            }
            state.thisHour += 1
            state.asked[key] = now
            return (true, false)
        }
        if capped {
            logger.warning("translations paused: \(perHour) asked this hour (translate_per_hour); more are asked in the next hour")
        }
        guard due else { return }
        do {
            if mode == .review {
                // One suggestion per entry and language: pending or rejected, the same answer is not asked again.
                let known = try await editor.suggestions().contains {
                    $0.entry == entry.id && $0.language == request.language && $0.source == entry.answer
                }
                if known { return }
            }
            let text = try await translator.translate(entry.answer, into: request.language)
            let by = "translator (\(translator.model.name))"
            if mode == .auto {
                _ = try await editor.apply(
                    CorpusEdit(
                        kind: .translation, entry: entry.id, questions: [], answer: text, language: request.language, basis: entry.answer, by: by))
            } else {
                try await editor.suggest(AnswerSuggestion(entry: entry.id, language: request.language, source: entry.answer, text: text, by: by))
            }
            metrics.translation(outcome: mode == .auto ? "applied" : "suggested")
            if state.withLock({ state in
                defer { state.failing = false }
                return state.failing
            }) {
                logger.notice("translations work again", metadata: ["model": "\(translator.model.name)"])
            }
        } catch is CancellationError {
            return  // shutting down: not the model's failure
        } catch {
            metrics.translation(outcome: "failed")
            if !state.withLock({ state in
                defer { state.failing = true }
                return state.failing
            }) {
                logger.warning(
                    "translation failed; customers get the default answer, and each translation is asked again after \(retryAfter)",
                    metadata: ["entry": "\(entry.id)", "language": "\(request.language)", "error": "\(Self.loggable(error))"])
            }
        }
    }

    /// A provider's error in its redacted form (its body may echo part of a key); the service's own errors as they are.
    private static func loggable(_ error: any Error) -> String {
        (error as? any ClientSafeError)?.clientDescription ?? "\(error)"
    }
}

import Dispatch
import Foundation

/// One labeled question, decided exactly as `/match` decides it.
public struct QuestionResult: Sendable {
    public var question: LabeledQuestion
    public var decision: MatchDecision
    /// The rules and entry ranking behind the decision (entries scored even when a
    /// `before` rule answered), for ranking metrics and calibration.
    package var trace: DecisionTrace
    /// 1-based rank of the expected entry among the scored entries (nil: out of
    /// scope, or not among the first `Evaluator.rankDepth`).
    public var rankOfExpected: Int?
    public var latencyMilliseconds: Double

    public var answered: String? { decision.answeredID }
    public var isCorrect: Bool { answered == question.expected }
}

/// Runs labeled questions through a matcher.
///
/// Each question takes the decision path of `/match` (normalise, `before` rules,
/// embed, score, policy, `fallback` rules) and is timed on its own; questions
/// run on as many concurrent tasks as there are cores.
public enum Evaluator {
    /// How deep entries are ranked for top-k recall and MRR.
    public static let rankDepth = 20

    public static func run(
        _ matcher: Matcher, questions: [LabeledQuestion], progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> [QuestionResult] {
        try await run(MatchService(matcher), questions: questions, progress: progress)
    }

    /// Runs the questions through a service: decisions come from `MatchService.match`, the
    /// very call `/match` makes (fallbacks and LLM disambiguation included); the entry
    /// ranking for top-k metrics and calibration comes from the service's matcher.
    public static func run(
        _ service: MatchService, questions: [LabeledQuestion], progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> [QuestionResult] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, questions.count))
        let chunk = (questions.count + workers - 1) / workers
        let done = Locked(0)
        return try await withThrowingTaskGroup(of: (Int, [QuestionResult]).self) { group in
            for w in 0..<workers {
                let slice = Array(questions[min(w * chunk, questions.count)..<min((w + 1) * chunk, questions.count)])
                group.addTask {
                    var results: [QuestionResult] = []
                    results.reserveCapacity(slice.count)
                    for question in slice {
                        results.append(try await evaluate(question, with: service))
                        let count = done.withLock { count in
                            count += 1
                            return count
                        }
                        progress?(count)
                    }
                    return (w, results)
                }
            }
            var parts = [[QuestionResult]](repeating: [], count: workers)
            for try await (w, results) in group { parts[w] = results }
            return parts.flatMap { $0 }
        }
    }

    static func evaluate(_ question: LabeledQuestion, with service: MatchService) async throws -> QuestionResult {
        let started = DispatchTime.now().uptimeNanoseconds
        let decision = await service.match(question.question).decision
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let matcher = service.matcher
        let normalized = TextNormalizer.normalize(question.question)
        let vectors = try await matcher.embedder.embed([question.question])
        let trace = matcher.trace(normalized: normalized, vector: vectors.row(0), limit: rankDepth, alwaysScore: true)
        let rank = question.expected.flatMap { id in
            (trace.hits ?? []).firstIndex { matcher.corpus.entries[$0.entry].id == id }.map { $0 + 1 }
        }
        return QuestionResult(question: question, decision: decision, trace: trace, rankOfExpected: rank, latencyMilliseconds: elapsed)
    }
}

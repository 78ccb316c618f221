/// One policy of the calibration sweep and how the questions fare under it.
public struct CalibrationPoint: Codable, Sendable, Equatable {
    public var threshold: Double
    public var margin: Double
    /// The policy's `ownScoreFloor` (nil: none).
    public var ownScoreFloor: Double?
    /// Share of all questions decided correctly (out-of-scope ones by no answer).
    public var accuracy: Double
    /// Share of questions answered with an FAQ entry.
    public var coverage: Double
    /// Share of answered questions answered with the right entry.
    public var precision: Double
    /// Share of out-of-scope questions that got an answer (0 when there are none).
    public var falseAcceptRate: Double
}

/// The recommended policy for two goals, and a snippet to paste into the configuration.
public struct Recommendation: Codable, Sendable {
    public var bestAccuracy: CalibrationPoint
    /// The most coverage at a precision of at least 95%, if any policy reaches it.
    public var bestCoverageAtPrecision95: CalibrationPoint?
    public var configSnippet: String
}

/// Sweeps threshold and margin over recorded decision traces: each question's
/// decision is replayed under every policy with `MatchPolicy.outcome`, the very
/// cascade `/match` runs, so the figures are what the service would have answered.
public enum Calibration {
    public static let thresholds: [Float] = stride(from: 0, through: 100, by: 2.5).map { Float($0) / 100 }
    public static let margins: [Float] = [0, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1]
    /// Own-score floors swept when the matcher has measured its `ownScoreSpread` (nil: none).
    public static let ownScoreFloors: [Float?] = [nil, 3, 2.5, 2, 1.5, 1, 0.5]

    public struct Result: Sendable {
        public var points: [CalibrationPoint]
        public var recommendation: Recommendation
    }

    /// `points` replay every policy as served. The recommendation is chosen on a second replay
    /// without the out-of-scope examples (their entries taken out of every ranking), then given
    /// with its served figures: an example turns away the messages near it whatever the
    /// threshold, so choosing with them would lower the threshold for the off-topic messages the
    /// examples happen to cover and lose the ones unlike any example. The threshold has to hold
    /// on its own; the examples only add to it when serving.
    public static func sweep(_ results: [QuestionResult], matcher: Matcher) -> Result {
        let examples = matcher.outOfScope
        let points = replay(results, matcher: matcher, outOfScope: examples)
        let held = examples.contains(true) ? replay(results.map { withoutExamples($0, examples) }, matcher: matcher, outOfScope: []) : points
        // Ties go to the higher threshold, then the larger margin: the more cautious policy; then
        // to no own-score floor, or the loosest: a floor is recommended only where it gains.
        func key(_ p: CalibrationPoint) -> (Double, Double, Double, Double) {
            (p.accuracy, p.threshold, p.margin, p.ownScoreFloor ?? .infinity)
        }
        let best = held.indices.max { key(held[$0]) < key(held[$1]) }!
        let precise = held.indices.filter { held[$0].precision >= 0.95 && held[$0].coverage > 0 }
            .max { a, b in (held[a].coverage, held[a].accuracy, held[a].threshold) < (held[b].coverage, held[b].accuracy, held[b].threshold) }
        let snippet =
            "threshold: \(points[best].threshold)\nmargin: \(points[best].margin)\n"
            + (points[best].ownScoreFloor.map { "own_score_floor: \($0)\n" } ?? "")
        return Result(
            points: points,
            recommendation: Recommendation(bestAccuracy: points[best], bestCoverageAtPrecision95: precise.map { points[$0] }, configSnippet: snippet))
    }

    /// Every policy of the grid, in the same order whatever the results.
    private static func replay(_ results: [QuestionResult], matcher: Matcher, outOfScope: [Bool]) -> [CalibrationPoint] {
        let entryThresholds = matcher.entryThresholds
        let ids = matcher.corpus.entries.map(\.id)
        var points: [CalibrationPoint] = []
        for policy in grid(matcher) {
            points.append(
                point(
                    results, policy: policy, entryThresholds: entryThresholds, outOfScope: outOfScope,
                    floors: matcher.floors(for: policy), ids: ids))
        }
        return points
    }

    /// Every policy of the grid: the matcher's, with each threshold, margin and (when the matcher
    /// has measured its `ownScoreSpread`) own-score floor.
    static func grid(_ matcher: Matcher) -> [MatchPolicy] {
        var policies: [MatchPolicy] = []
        for threshold in thresholds {
            for margin in margins {
                for floor in matcher.ownScoreSpread == nil ? [nil] : ownScoreFloors {
                    var policy = matcher.policy
                    policy.threshold = threshold
                    policy.margin = margin
                    policy.ownScoreFloor = floor
                    policies.append(policy)
                }
            }
        }
        return policies
    }

    package static func point(
        _ results: [QuestionResult], policy: MatchPolicy, entryThresholds: [Float?], outOfScope: [Bool] = [], floors: [Float] = [],
        ids: [String]
    )
        -> CalibrationPoint
    {
        var correct = 0
        var answered = 0
        var answeredRight = 0
        var outOfScopeQuestions = 0
        var falseAccepts = 0
        for r in results {
            let got = answeredID(
                policy.outcome(of: r.trace, entryThresholds: entryThresholds, outOfScope: outOfScope, floors: floors), ids: ids)
            if got == r.question.expected { correct += 1 }
            if got != nil {
                answered += 1
                if got == r.question.expected { answeredRight += 1 }
            }
            if r.question.expected == nil {
                outOfScopeQuestions += 1
                if got != nil { falseAccepts += 1 }
            }
        }
        let n = Double(max(results.count, 1))
        return CalibrationPoint(
            threshold: Double(rounding: policy.threshold), margin: Double(rounding: policy.margin),
            ownScoreFloor: policy.ownScoreFloor.map { Double(rounding: $0) }, accuracy: EvaluationReport.round(Double(correct) / n),
            coverage: EvaluationReport.round(Double(answered) / n),
            precision: answered == 0 ? 0 : EvaluationReport.round(Double(answeredRight) / Double(answered)),
            falseAcceptRate: outOfScopeQuestions == 0 ? 0 : EvaluationReport.round(Double(falseAccepts) / Double(outOfScopeQuestions)))
    }

    /// Every policy of the grid as served (examples included), and the served policy, as
    /// answered right and answered wrong: the curve `evaluate` reports.
    public static func answerCurve(_ results: [QuestionResult], matcher: Matcher) -> AnswerCurve {
        let entryThresholds = matcher.entryThresholds
        let ids = matcher.corpus.entries.map(\.id)
        func tally(_ policy: MatchPolicy) -> AnswerCurve.Tally {
            let floors = matcher.floors(for: policy)
            var right = 0
            var wrong = 0
            for r in results {
                guard
                    let got = answeredID(
                        policy.outcome(of: r.trace, entryThresholds: entryThresholds, outOfScope: matcher.outOfScope, floors: floors),
                        ids: ids)
                else { continue }
                if got == r.question.expected { right += 1 } else { wrong += 1 }
            }
            return AnswerCurve.Tally(policy: policy, right: right, wrong: wrong)
        }
        return AnswerCurve(grid(matcher).map(tally), served: tally(matcher.policy), questions: results.count)
    }

    /// The result with the out-of-scope entries left out of its ranking.
    static func withoutExamples(_ result: QuestionResult, _ outOfScope: [Bool]) -> QuestionResult {
        var result = result
        result.trace.hits = result.trace.hits?.filter { !outOfScope[$0.entry] }
        return result
    }

    /// The FAQ id an outcome answers with, as `MatchDecision.answeredID` would give it.
    package static func answeredID(_ outcome: DecisionOutcome, ids: [String]) -> String? {
        switch outcome {
        case .beforeRule(let rule), .fallbackRule(let rule, _, _, _, _):
            if case .faq(let id) = rule.reply { return id }
            return nil
        case .matched(let hit, _, _): return ids[hit.entry]
        case .ambiguous, .unmatched: return nil
        }
    }
}

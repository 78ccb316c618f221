/// Everything a decision depends on except the policy's numbers: which rules
/// match the message and how the entries scored. `MatchPolicy.outcome` turns it
/// into an outcome; evaluation replays traces under many policies to calibrate
/// the threshold and margin without scoring every question again.
package struct DecisionTrace: Sendable {
    /// The `before` rule that fires, if any: it wins over everything.
    public var beforeRule: KeywordRule?
    /// The best entries, best first; nil when no embedding was available.
    package var hits: [EntryHit]?
    /// The `fallback` rule that would answer if semantic matching is not confident.
    public var fallbackRule: KeywordRule?

    package init(beforeRule: KeywordRule?, hits: [EntryHit]?, fallbackRule: KeywordRule?) {
        self.beforeRule = beforeRule
        self.hits = hits
        self.fallbackRule = fallbackRule
    }
}

/// What the policy made of a trace.
package enum DecisionOutcome: Sendable {
    case beforeRule(KeywordRule)
    case matched(EntryHit, margin: Float, threshold: Float)
    case ambiguous(EntryHit, runnerUp: EntryHit, margin: Float, threshold: Float)
    /// Semantic matching was not confident (`best` is nil when nothing scored) and a fallback rule
    /// answered. `outOfScope`: the out-of-scope entry that turned the message away, if one did;
    /// `floor`: the best entry's own-score floor, when the message cleared the threshold but not it.
    case fallbackRule(KeywordRule, best: EntryHit?, threshold: Float, outOfScope: EntryHit?, floor: Float?)
    case unmatched(best: EntryHit?, threshold: Float, outOfScope: EntryHit?, floor: Float?)
}

extension MatchPolicy {
    /// The decision cascade: before rule, then threshold and margin, then fallback rule.
    /// `entryThresholds[e]` overrides `threshold` for entry `e`. An entry with `outOfScope[e]`
    /// (empty: none) is never answered: a message it is closest to, or too close to call
    /// against the best entry, goes on to the fallback rules like one below the threshold.
    /// `floors[e]` (empty: none) is entry `e`'s own-score floor (`ownScoreFloor`): a best entry
    /// scored below it is not answered either.
    package func outcome(
        of trace: DecisionTrace, entryThresholds: [Float?], outOfScope: [Bool] = [], floors: [Float] = []
    ) -> DecisionOutcome {
        if let rule = trace.beforeRule { return .beforeRule(rule) }
        let best = trace.hits?.first
        let threshold = best.flatMap { entryThresholds[$0.entry] } ?? self.threshold
        func notAnswered(outOfScope: EntryHit? = nil, floor: Float? = nil) -> DecisionOutcome {
            if let rule = trace.fallbackRule {
                return .fallbackRule(rule, best: best, threshold: threshold, outOfScope: outOfScope, floor: floor)
            }
            return .unmatched(best: best, threshold: threshold, outOfScope: outOfScope, floor: floor)
        }
        func isOutOfScope(_ hit: EntryHit) -> Bool { !outOfScope.isEmpty && outOfScope[hit.entry] }
        if let best, best.score > 0, isOutOfScope(best) { return notAnswered(outOfScope: best) }
        guard let best, best.score > 0, best.score >= threshold else { return notAnswered() }
        if !floors.isEmpty, best.score < floors[best.entry] { return notAnswered(floor: floors[best.entry]) }
        let hits = trace.hits ?? []
        let runnerUp = hits.count > 1 ? hits[1] : nil
        let margin = best.score - (runnerUp?.score ?? 0)
        if let runnerUp, margin < self.margin {
            if isOutOfScope(runnerUp) { return notAnswered(outOfScope: runnerUp) }
            return .ambiguous(best, runnerUp: runnerUp, margin: margin, threshold: threshold)
        }
        return .matched(best, margin: margin, threshold: threshold)
    }
}

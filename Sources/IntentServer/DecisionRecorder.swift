package import IntentCore

/// Counts a decision wherever it was asked for (`/match`, a channel's customer): in `/v1/stats`
/// and in the metrics, the same way for every front end.
package struct DecisionRecorder: Sendable {
    package let stats: StatsRecorder
    package let metrics: ServiceMetrics
    package let translations: AnswerTranslations?

    package init(stats: StatsRecorder, metrics: ServiceMetrics, translations: AnswerTranslations? = nil) {
        self.stats = stats
        self.metrics = metrics
        self.translations = translations
    }

    package func record(_ message: String, customer: String?, _ served: ServiceDecision) {
        stats.record(message: message, customer: customer, decision: served.decision, degraded: served.degraded)
        metrics.decision(served.decision, degraded: served.degraded)
        translations?.want(served.decision)
    }
}

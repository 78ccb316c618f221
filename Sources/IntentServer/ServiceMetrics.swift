import Foundation
import IntentCore
import Metrics
package import Prometheus

/// The service's metrics, recorded through swift-metrics into a Prometheus
/// registry of its own (no process-wide bootstrap, so several servers, e.g. in
/// tests, keep separate counts). `GET /metrics` renders `registry`.
package final class ServiceMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    package init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2),
        ]
        self.factory = factory
        matchTimer = Metrics.Timer(label: "intent_match_duration_seconds", factory: factory)
    }

    private let matchTimer: Metrics.Timer

    /// Handles of the per-request metrics by their dimensions: creating a swift-metrics handle
    /// looks it up in the registry under the registry's lock, which on the /match path costs
    /// more than the increment itself.
    private struct Handles {
        var requests: [RequestKey: (Metrics.Counter, Metrics.Timer)] = [:]
        var outcomes: [OutcomeKey: Metrics.Counter] = [:]
    }

    private struct RequestKey: Hashable {
        var route: String
        var status: Int
    }

    private struct OutcomeKey: Hashable {
        var status: MatchDecision.Status
        var method: MatchDecision.Method
    }

    private let handles = Locked(Handles())

    /// One HTTP request: counted by route and status, timed by route.
    func request(route: String, status: Int, nanoseconds: Int64) {
        let key = RequestKey(route: route, status: status)
        let (counter, timer) =
            handles.withLock { $0.requests[key] }
            ?? {
                let made = (
                    Counter(label: "intent_http_requests_total", dimensions: [("route", route), ("status", "\(status)")], factory: factory),
                    Metrics.Timer(label: "intent_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
                )
                handles.withLock { $0.requests[key] = made }
                return made
            }()
        counter.increment()
        timer.recordNanoseconds(nanoseconds)
    }

    /// One decision of /match or /match/batch.
    func decision(_ decision: MatchDecision, degraded: Bool = false) {
        let key = OutcomeKey(status: decision.status, method: decision.method)
        let counter =
            handles.withLock { $0.outcomes[key] }
            ?? {
                let made = Counter(
                    label: "intent_match_outcomes_total",
                    dimensions: [("status", decision.status.rawValue), ("method", decision.method.rawValue)], factory: factory)
                handles.withLock { $0.outcomes[key] = made }
                return made
            }()
        counter.increment()
        if degraded { Counter(label: "intent_match_degraded_total", factory: factory).increment() }
    }

    /// One call to an embedding or chat provider (success, retry, failure or rejected by an open circuit).
    package func providerCall(provider: String, outcome: String, status: Int?, seconds: Double) {
        Counter(
            label: "intent_provider_calls_total",
            dimensions: [("provider", provider), ("outcome", outcome), ("status", status.map(String.init) ?? "none")],
            factory: factory
        ).increment()
        if outcome != "circuit_open" {
            Metrics.Timer(label: "intent_provider_call_duration_seconds", dimensions: [("provider", provider)], factory: factory)
                .recordNanoseconds(Int64(seconds * 1e9))
        }
    }

    /// A gauge with a value computed when `/metrics` is read (cache sizes, breaker states).
    package func gauge(_ label: String, dimensions: [(String, String)] = [], value: Double) {
        Gauge(label: label, dimensions: dimensions, factory: factory).record(value)
    }

    private let collectors = Locked<[@Sendable (ServiceMetrics) -> Void]>([])

    /// Runs `collector` each time the metrics are read.
    package func onCollect(_ collector: @escaping @Sendable (ServiceMetrics) -> Void) {
        collectors.withLock { $0.append(collector) }
    }

    func collect() {
        for collector in collectors.current { collector(self) }
    }

    func matchDuration(nanoseconds: Int64) {
        matchTimer.recordNanoseconds(nanoseconds)
    }

    func corpusLoaded(_ corpus: Corpus) {
        Gauge(label: "intent_corpus_entries", factory: factory).record(corpus.entries.count)
        Gauge(label: "intent_corpus_paraphrases", factory: factory).record(corpus.paraphraseCount)
    }

    /// A translation asked of the chat model: `applied` (served), `suggested` (for review) or `failed`.
    func translation(outcome: String) {
        Counter(label: "intent_translations_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    func reload(succeeded: Bool) {
        Counter(label: "intent_reloads_total", dimensions: [("result", succeeded ? "ok" : "failed")], factory: factory)
            .increment()
    }

    /// The Prometheus text exposition of every metric.
    package func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

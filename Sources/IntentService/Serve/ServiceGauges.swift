import IntentChannels
import IntentCore
import IntentHTTP
import IntentPostgres
import IntentServer

/// The gauges `/metrics` reads at each scrape: caches, the channel's figures, the state store's
/// health, the consoles' event streams and the providers' circuit breakers.
struct ServiceGauges {
    let factory: ServiceFactory
    let holder: ServiceHolder
    let channel: ChannelRuntime?
    let storeHealth: StoreHealth
    let events: EventHub
    /// The replicas' event relay, with a PostgreSQL state store.
    let relay: PostgresEventRelay?

    func register(on metrics: ServiceMetrics) {
        metrics.onCollect { [factory, holder, channel, storeHealth, events, relay] metrics in
            if let cache = factory.embeddingCache {
                metrics.gauge("intent_embedding_cache_hits", value: Double(cache.hits))
                metrics.gauge("intent_embedding_cache_misses", value: Double(cache.misses))
                metrics.gauge("intent_embedding_cache_entries", value: Double(cache.count))
            }
            if let decisions = holder.service?.matcher.recentDecisions {
                metrics.gauge("intent_decision_cache_hits", value: Double(decisions.hits))
                metrics.gauge("intent_decision_cache_misses", value: Double(decisions.misses))
                metrics.gauge("intent_decision_cache_entries", value: Double(decisions.count))
            }
            if let channel {
                let figures = channel.statistics
                for (kind, value) in [
                    ("received", figures.received), ("duplicates", figures.duplicates), ("sent", figures.sent),
                    ("failed", figures.failed), ("pending", figures.pending),
                ] {
                    metrics.gauge("intent_whatsapp_messages", dimensions: [("kind", kind)], value: Double(value))
                }
                for name in ["greeting", "away", "handover", "fallback"] {
                    let usage = figures.triggers["automation:" + name] ?? ChannelStatistics.Usage()
                    metrics.gauge("intent_automation_triggers", dimensions: [("trigger", name)], value: Double(usage.count))
                    metrics.gauge("intent_automation_customers", dimensions: [("trigger", name)], value: Double(usage.customers))
                }
                metrics.gauge("intent_whatsapp_token_invalid", value: channel.unhealthyReason == nil ? 0 : 1)
                for configured in channel.channels {
                    let own = figures.channels[configured.name] ?? ChannelStatistics.ChannelFigures()
                    for (kind, value) in [
                        ("received", own.received), ("sent", own.sent), ("failed", own.failed), ("pending", own.pending),
                        ("customers", own.customers),
                    ] {
                        metrics.gauge("intent_channel_messages", dimensions: [("channel", configured.name), ("kind", kind)], value: Double(value))
                    }
                    let invalid = channel.unhealthyReason(of: configured.name) == nil ? 0.0 : 1.0
                    metrics.gauge("intent_channel_credentials_rejected", dimensions: [("channel", configured.name)], value: invalid)
                }
                for flow in FlowFigures.of(channel.flows.current.set.flows, in: figures) {
                    for (figure, value) in [
                        ("triggered", flow.triggered), ("engaged", flow.engaged), ("completed", flow.completed),
                        ("abandoned", flow.abandoned), ("handed_over", flow.handedOver),
                    ] {
                        metrics.gauge("intent_flow_runs", dimensions: [("flow", flow.id), ("figure", figure)], value: Double(value))
                    }
                }
            }
            // 0 takes writes, 1 writes fail (retried), 2 the state file is gone.
            let state: Double
            switch storeHealth.problem {
            case nil: state = 0
            case .unwritable: state = 1
            case .lost: state = 2
            }
            metrics.gauge("intent_state_store_degraded", value: state)
            let visitors = events.conversationSubscriberCount
            metrics.gauge("intent_events_consoles", value: Double(events.subscriberCount - visitors))
            metrics.gauge("intent_webchat_streams", value: Double(visitors))
            metrics.gauge("intent_events_consoles_dropped", value: Double(events.droppedCount))
            // 1 while other replicas' events reach this one's consoles.
            if let relay { metrics.gauge("intent_events_relay_up", value: relay.isListening ? 1 : 0) }
            for (name, breaker) in factory.breakers {
                // 0 closed, 1 half open, 2 open.
                let value: Double = breaker.current == .closed ? 0 : breaker.current == .halfOpen ? 1 : 2
                metrics.gauge("intent_provider_circuit_state", dimensions: [("provider", name)], value: value)
            }
        }
    }
}

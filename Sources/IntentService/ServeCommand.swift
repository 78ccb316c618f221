import ArgumentParser
import Dispatch
import Foundation
import Hummingbird
import IntentChannels
import IntentCore
import IntentProviders
import IntentServer
import IntentStore
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service on the corpus.",
        discussion: """
            Routes: POST /match, POST /match/batch, GET /healthz, GET /readyz, GET /metrics, \
            GET /v1/stats, the console (GET /console; its API, GET /v1/review, POST \
            /v1/review/ID/assign and /dismiss, POST /v1/entries, GET /v1/edits, GET /v1/corpus, \
            GET /v1/conversations and POST /v1/conversations/ID/unmute, needs \
            INTENT_CONSOLE_TOKEN or the admin token), and POST /admin/reload when an admin token is configured \
            (INTENT_ADMIN_TOKEN). See openapi.yaml for the contract.

            The listener opens at once; /readyz answers 503 until the corpus is loaded and \
            embedded. SIGHUP reloads the corpus like POST /admin/reload (an invalid corpus \
            is logged and the previous one keeps serving). SIGTERM or SIGINT stop the \
            server gracefully: it stops accepting, finishes requests in flight and exits 0.

            The console's corpus edits are kept in the state store (INTENT_STATE) and laid over the \
            corpus at every start and reload; intent-service export writes them out as files.

            Serving from an index store (--store, or the default store), /v1/stats continues \
            the store's analytics: decisions are written to it in batches every 2 seconds and \
            at shutdown, never on the request path.

            With INTENT_WHATSAPP_VERIFY_TOKEN, INTENT_WHATSAPP_APP_SECRET and \
            INTENT_WHATSAPP_ACCESS_TOKEN set, the WhatsApp channel is on: GET and POST \
            /webhooks/whatsapp receive the Cloud API's webhooks, replies go out through the \
            Graph API from a durable outbox in the state store (--state), with the greeting, \
            away message and hand-over of the automation file (automation.yaml beside the corpus).
            """
    )

    @OptionGroup(title: "Corpus and policy") var options: MatcherOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on (default: 127.0.0.1).", valueName: "host"))
    var host: String?

    @Option(name: .long, help: ArgumentHelp("Port to listen on, 0 for any free one (default: 8080).", valueName: "port"))
    var port: Int?

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp("\(ServiceConfiguration.logLevels.joined(separator: ", ")) (default: info).", valueName: "level"))
    var logLevel: String?

    /// Recent unmatched and ambiguous messages kept (each), in memory and in a store.
    static let recentLimit = 1_000

    func run() async throws {
        var extra: [Setting: String] = [:]
        extra[.host] = host
        extra[.port] = port.map(String.init)
        extra[.logLevel] = logLevel
        let configuration = try options.configuration(extra: extra)
        var configuredLogger = Logger(label: "intent-service")
        configuredLogger.logLevel = configuration.logLevel
        let logger = configuredLogger

        let metricsBox = Locked<ServiceMetrics?>(nil)
        let factory = ServiceFactory(configuration, logger: logger) { event in
            metricsBox.current?.providerCall(provider: event.provider, outcome: event.kind.rawValue, status: event.status, seconds: event.seconds)
        }
        // Serving from a store: /v1/stats continues the store's analytics and is written back to it.
        var statsStore: (any AnalyticsIndexStore)?
        var stats = StatsRecorder()
        if let url = factory.storeURL {
            do {
                let store = try await factory.openStore()
                let restored = try await store?.loadStatistics(recentLimit: Self.recentLimit)
                statsStore = store
                stats = StatsRecorder(restored ?? MatchStatistics(), persisted: true)
            } catch {
                throw loadFailure(StoreError("\(url): \(error)"))
            }
        }
        var configuredApp = IntentServerApp(
            settings: configuration.server, logger: logger, stats: stats, edits: { creating in try await factory.openState(creating: creating) }
        ) {
            // Repeated questions are answered from memory; each reload starts an empty one.
            try await factory.loadService().remembering(decisions: configuration.providers.cacheEntries)
        }
        if let whatsapp = configuration.channel.whatsapp {
            configuredApp.channel = try await Self.whatsAppChannel(
                whatsapp, configuration: configuration, factory: factory, app: configuredApp, logger: logger)
        }
        let app = configuredApp
        let channel = app.channel
        var writer: Task<Void, Never>?
        if let store = statsStore {
            // Replicas sharing a PostgreSQL store show every replica's figures: the totals are read back.
            let shared = factory.storeURL.map(StateStores.isPostgres) ?? false
            let totals: (@Sendable () async throws -> MatchStatistics?)? =
                shared ? { @Sendable in try await store.loadStatistics(recentLimit: Self.recentLimit) } : nil
            let statisticsWriter = StatisticsWriter(recorder: stats, logger: logger, totals: totals) { batch in
                try await store.append(batch, recentLimit: Self.recentLimit)
            }
            writer = Task { await statisticsWriter.run() }
        }
        metricsBox.withLock { $0 = app.metrics }
        app.metrics.onCollect { metrics in
            if let cache = factory.embeddingCache {
                metrics.gauge("intent_embedding_cache_hits", value: Double(cache.hits))
                metrics.gauge("intent_embedding_cache_misses", value: Double(cache.misses))
                metrics.gauge("intent_embedding_cache_entries", value: Double(cache.count))
            }
            if let decisions = app.holder.service?.matcher.recentDecisions {
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
            }
            for (name, breaker) in factory.breakers {
                // 0 closed, 1 half open, 2 open.
                let value: Double = breaker.current == .closed ? 0 : breaker.current == .halfOpen ? 1 : 2
                metrics.gauge("intent_provider_circuit_state", dimensions: [("provider", name)], value: value)
            }
        }
        if let advice = EmbedderFactory.modelAdvice(configuration) { logger.notice("\(advice)") }
        if configuration.server.adminToken == nil {
            logger.info("admin routes disabled: set INTENT_ADMIN_TOKEN to enable POST /admin/reload")
        }
        let reloadOnHangup = SignalReloader(reloader: app.reloader, logger: logger)
        // Messages received before the corpus is ready wait in the store; the channel picks up
        // whatever a previous run left unprocessed or unsent.
        let channelTask = channel.map { channel in Task { await channel.run() } }
        // Replicas on one PostgreSQL pick up each other's imports and console edits.
        let shared = [factory.storeURL, configuration.channel.state].contains { $0.map(StateStores.isPostgres) ?? false }
        let watcher = shared ? Task { await ReplicaWatcher(factory: factory, reloader: app.reloader, logger: logger).run() } : nil
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await app.application { port in
                    logger.info("listening", metadata: ["address": "\(configuration.host):\(port)"])
                }.runService()
            }
            group.addTask {
                // Load after the listener is up: /healthz answers meanwhile, /readyz says 503.
                do {
                    try await app.reloader.reload()
                } catch {
                    throw loadFailure(error)
                }
            }
            try await group.next()  // the server returns on SIGTERM/SIGINT; the loader returns first
            try await group.next()
        }
        withExtendedLifetime(reloadOnHangup) {}
        watcher?.cancel()
        channelTask?.cancel()
        await channelTask?.value
        writer?.cancel()
        await writer?.value  // the last batch is written before exit
        logger.info("stopped")
    }
}

extension ServeCommand {
    /// The WhatsApp channel: its automation file, its state store and a libcurl client of its
    /// own (replies never queue behind a provider's embedding batches).
    static func whatsAppChannel(
        _ settings: WhatsAppSettings, configuration: ServiceConfiguration, factory: ServiceFactory, app: IntentServerApp, logger: Logger
    ) async throws -> WhatsAppChannel {
        var automation = Automation.none
        if let path = configuration.channel.automationPath {
            do {
                automation = try AutomationFile.load(path: path)
            } catch {
                printError("automation: \(error)")
                throw ExitCode(2)
            }
        }
        let stateURL = configuration.channel.state
        let store: any StateStore
        do {
            store = try await factory.openState()!
        } catch {
            printError("state: \(stateURL): \(error)")
            throw ExitCode(2)
        }
        var http = CurlHTTPClient.Configuration()
        http.caBundle = configuration.providers.caBundle
        let policy = ConversationPolicy(automation: automation, fallbackReply: configuration.policy.fallbackReply)
        logger.info(
            "whatsapp channel on",
            metadata: [
                "graph": "\(settings.graphURL)", "automation": "\(configuration.channel.automationPath ?? "none")", "state": "\(stateURL)",
            ])
        return WhatsAppChannel(
            settings: settings, store: store, policy: policy, transport: CurlHTTPClient(configuration: http), logger: logger,
            storeHealth: app.storeHealth
        ) { text, customer in
            await app.channelAnswer(to: text, from: customer)
        }
    }
}

/// Reloads the corpus on SIGHUP, the Unix convention for "re-read your configuration".
final class SignalReloader {
    private let source: any DispatchSourceSignal

    init(reloader: CorpusReloader, logger: Logger) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler {
            logger.info("SIGHUP: reloading the corpus")
            Task { try? await reloader.reload() }
        }
        source.resume()
    }

    deinit { source.cancel() }
}

import ArgumentParser
import Foundation
import Hummingbird
import IntentChannels
import IntentCore
import IntentHTTP
import IntentPostgres
import IntentProviders
import IntentSQLite
import IntentServer
import Logging
import ServiceLifecycle

/// Recent unmatched and ambiguous messages kept (each), in memory and in a store.
let recentMessagesKept = 1_000

/// The `serve` application the configuration describes: the HTTP routes, and beside the server
/// in its service group the loops that run until a graceful shutdown (SIGTERM, SIGINT):
/// the first corpus load, SIGHUP reloads, the statistics writer, the WhatsApp channel and the
/// replica watcher. The group starts them before the listener and stops them after it, in
/// reverse order: requests in flight finish, then the channel, then the last statistics batch.
func buildApplication(_ configuration: ServiceConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let metricsBox = Locked<ServiceMetrics?>(nil)
    // Flows run on a channel: without one, their warnings (a webhook URL not set) are noise.
    let factory = ServiceFactory(configuration, logger: logger, runsFlows: configuration.channel.anyChannel) { event in
        metricsBox.current?.providerCall(provider: event.provider, outcome: event.kind.rawValue, status: event.status, seconds: event.seconds)
    }
    // Serving from a store: /v1/stats continues the store's analytics and is written back to it.
    var statsStore: (any AnalyticsIndexStore)?
    var stats = StatsRecorder()
    if let url = factory.storeURL {
        do {
            let store = try await factory.openStore()
            let restored = try await store?.loadStatistics(recentLimit: recentMessagesKept)
            statsStore = store
            stats = StatsRecorder(restored ?? MatchStatistics(), persisted: true)
        } catch {
            throw loadFailure(StoreError("\(url): \(error)"))
        }
    }
    let translate = factory.chatModel().map {
        (mode: configuration.providers.translate, translator: AnswerTranslator(model: $0), perHour: configuration.providers.translatePerHour)
    }
    let app = IntentServerApp(
        settings: configuration.server, logger: logger, stats: stats, edits: { creating in try await factory.openState(creating: creating) },
        translate: translate,
        flows: FlowDocuments(
            inService: { factory.flowDocument }, check: { text in try factory.checkFlows(text) },
            open: { creating in try await factory.openState(creating: creating) }),
        agents: { creating in try await factory.openState(creating: creating) }
    ) {
        // Repeated questions are answered from memory; each reload starts an empty one.
        try await factory.loadService().remembering(decisions: configuration.providers.cacheEntries)
    }
    metricsBox.withLock { $0 = app.metrics }

    var services: [any Service] = [InitialLoad(reloader: app.reloader), HangupReload(reloader: app.reloader, logger: logger)]
    if let translations = app.translations { services.append(translations) }
    if let store = statsStore {
        // Replicas sharing a PostgreSQL store show every replica's figures: the totals are read back.
        let shared = factory.storeURL?.isShared ?? false
        let totals: (@Sendable () async throws -> MatchStatistics?)? =
            shared ? { @Sendable in try await store.loadStatistics(recentLimit: recentMessagesKept) } : nil
        services.append(
            StatisticsWriter(recorder: stats, logger: logger, totals: totals) { batch in
                try await store.append(batch, recentLimit: recentMessagesKept)
            })
    }
    // The channel picks up whatever a previous run left unprocessed or unsent; messages received
    // before the corpus is ready wait in the store.
    let channels =
        configuration.channel.anyChannel
        ? try await channelRuntime(configuration: configuration, factory: factory, app: app, logger: logger) : nil
    // Stopped after the channel: the events of its last sends still reach the other replicas.
    if let relay = channels?.relay { services.append(relay) }
    let channel = channels?.runtime
    if let channel { services.append(channel) }
    // Replicas on one PostgreSQL pick up each other's imports and console edits.
    if factory.storeURL?.isShared == true || configuration.channel.state.isShared {
        services.append(ReplicaWatcher(factory: factory, reloader: app.reloader, logger: logger))
    }
    ServiceGauges(
        factory: factory, holder: app.holder, channel: channel, storeHealth: app.storeHealth, events: app.events, relay: channels?.relay
    ).register(on: app.metrics)

    if let advice = EmbedderFactory.modelAdvice(configuration) { logger.notice("\(advice)") }
    if configuration.server.adminToken == nil {
        logger.info("admin routes disabled: set INTENT_ADMIN_TOKEN to enable POST /admin/reload")
    }
    return app.application(channel: channel, services: services) { port in
        logger.info("listening", metadata: ["address": "\(configuration.host):\(port)"])
    }
}

/// The configured channels in one runtime: the automation file, the state store and a libcurl
/// client of the channels' own (replies never queue behind a provider's embedding batches).
/// Its events go to this process's consoles, and on a PostgreSQL state store through the relay
/// to every replica's.
private func channelRuntime(
    configuration: ServiceConfiguration, factory: ServiceFactory, app: IntentServerApp, logger: Logger
) async throws -> (runtime: ChannelRuntime, relay: PostgresEventRelay?) {
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
    let transport = CurlHTTPClient(configuration: http)
    let settings = configuration.channel
    var channels: [any ChatChannel] = []
    var endpoints: [String: String] = [:]
    if let whatsapp = settings.whatsapp {
        channels.append(WhatsAppChannel(settings: whatsapp, transport: transport))
        endpoints["whatsapp"] = whatsapp.graphURL
    }
    for meta in [settings.messenger, settings.instagram].compactMap({ $0 }) {
        let channel = MessengerChannel(settings: meta, transport: transport)
        channels.append(channel)
        endpoints[channel.name] = meta.graphURL
    }
    if let telegram = settings.telegram {
        channels.append(TelegramChannel(settings: telegram, transport: transport))
        endpoints["telegram"] = telegram.apiURL
    }
    if let webchat = settings.webchat {
        channels.append(WebChatChannel(settings: webchat))
        endpoints[WebChatChannel.channelName] = "/v1/webchat/{\(webchat.sites.keys.sorted().joined(separator: ","))}"
    }
    for channel in channels {
        logger.info(
            "\(channel.name) channel on",
            metadata: [
                "api": "\(endpoints[channel.name] ?? "")", "webhook": "\(channel.hasWebhook ? "/webhooks/" + channel.name : "none")",
                "automation": "\(settings.automationPath ?? "none")", "state": "\(stateURL)",
            ])
    }
    let answerer = app.answerer
    let relay = (store as? PostgresStateStore).map { PostgresEventRelay(server: $0.server, hub: app.events, logger: logger) }
    let runtime = ChannelRuntime(
        channels: channels, settings: ChannelRuntime.Settings(retentionDays: settings.retentionDays), store: store, policy: policy, logger: logger,
        storeHealth: app.storeHealth,
        events: relay ?? app.events, flows: factory.flows, flowWebhook: FlowWebhook(secret: configuration.flows.webhookSecret),
        webhookTransport: CurlHTTPClient(configuration: http), pick: answerer.answer(picking:words:question:),
        decide: answerer.answer(to:from:rulesOnly:language:))
    return (runtime, relay)
}

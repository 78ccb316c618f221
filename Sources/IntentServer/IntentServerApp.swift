package import Hummingbird
package import IntentChannels
package import IntentCore
package import Logging
package import ServiceLifecycle

/// The HTTP service's parts: the match service in use (`ServiceHolder`), its reloader and
/// editor, statistics and metrics, and the routes over them (`router(channel:)`). `serve`
/// builds the application from it (`buildApplication`).
///
/// Matching runs in each request's task on Swift concurrency's pool, never on
/// the NIO event loops, so a slow decision does not stall other connections.
package struct IntentServerApp: Sendable {
    package struct Settings: Sendable {
        package var host = "127.0.0.1"
        package var port = 8080
        package var limits = ServerLimits()
        /// Bearer token for `/admin/*`; nil disables the admin routes.
        package var adminToken: String?
        /// Bearer token for `/v1/stats` (else the admin token); with neither, the recent customer messages are left out.
        package var statsToken: String?
        /// Bearer token of the console (`/console`'s data: stats, conversations, hand-over release);
        /// the admin token works too, and so do agents' tokens (`agents`).
        package var consoleToken: String?
        /// How long a server remembers an agent's token (found or not): a removed agent's token,
        /// or a replaced one, works for at most this long on each server.
        package var agentTokenCacheSeconds: Double = 5

        package init() {}
    }

    package let settings: Settings
    package let holder: ServiceHolder
    package let metrics: ServiceMetrics
    package let stats: StatsRecorder
    package let reloader: CorpusReloader
    /// The console's corpus edits: validated, stored, served by a reload.
    package let editor: CorpusEditor
    package let logger: Logger
    /// Whether the state store (edits, conversations, outbox) takes writes: `/readyz` says.
    package let storeHealth: StoreHealth
    /// Translates answers into customers' languages in the background (`translate`), or nil.
    package let translations: AnswerTranslations?
    /// The console's flow builder's access to the flow document (nil: its routes are absent).
    package let flowDocuments: FlowDocuments?
    /// The agents whose tokens open the console and the `/v1/` API, each with a role.
    package let agents: AgentDirectory
    /// What changes in conversations, for the consoles connected to this process (`GET /v1/events`).
    package let events: EventHub
    /// Counts every decision, from `/match` or a channel.
    package var recorder: DecisionRecorder { DecisionRecorder(stats: stats, metrics: metrics, translations: translations) }
    /// What a channel asks for a customer's message.
    package var answerer: BotAnswerer { BotAnswerer(holder: holder, recorder: recorder, limits: settings.limits) }

    /// - Parameter load: reads, validates and embeds the corpus into a match service; used at
    ///   start-up and on every reload.
    ///   - stats: where decisions are counted (pass one restored from a store to continue its analytics).
    ///   - edits: opens the store of corpus edits (none: the review actions answer 503).
    ///   - translate: how answers are translated into customers' languages, by which model, and at most how many an hour (nil: they are not).
    ///   - flows: the flow document in service, its check and its store, for the console's flow builder (nil: no such routes).
    ///   - agents: opens the store of agents (none: only the configured tokens open the routes).
    package init(
        settings: Settings, logger: Logger, stats: StatsRecorder = StatsRecorder(), edits: @escaping CorpusEditor.OpenStore = { _ in nil },
        translate: (mode: TranslateMode, translator: AnswerTranslator, perHour: Int)? = nil, flows: FlowDocuments? = nil,
        agents: @escaping AgentDirectory.OpenStore = { _ in nil }, load: @escaping CorpusReloader.Load
    ) {
        self.settings = settings
        flowDocuments = flows
        self.agents = AgentDirectory(open: agents, cacheSeconds: settings.agentTokenCacheSeconds)
        self.logger = logger
        holder = ServiceHolder()
        metrics = ServiceMetrics()
        self.stats = stats
        reloader = CorpusReloader(holder: holder, metrics: metrics, logger: logger, load: load)
        storeHealth = StoreHealth(logger: logger)
        events = EventHub()
        editor = CorpusEditor(open: edits, holder: holder, reloader: reloader, health: storeHealth)
        if let translate, translate.mode != .off {
            translations = AnswerTranslations(
                mode: translate.mode, translator: translate.translator, editor: editor, holder: holder, metrics: metrics, logger: logger,
                perHour: translate.perHour)
        } else {
            translations = nil
        }
        FreedMemory.mapLargeBlocksSeparately()
    }

    static let allowedMethods: [String: [HTTPRequest.Method]] = [
        "/match": [.post], "/match/batch": [.post], "/healthz": [.get, .head], "/readyz": [.get, .head],
        "/metrics": [.get, .head], "/v1/stats": [.get, .head], "/admin/reload": [.post],
        "/console": [.get, .head], "/v1/conversations": [.get, .head], "/v1/events": [.get, .head],
        "/v1/review": [.get, .head], "/v1/entries": [.post], "/v1/edits": [.get, .head], "/v1/corpus": [.get, .head],
        "/v1/translations": [.get, .head], "/v1/flows": [.get, .head], "/v1/flows/document": [.get, .head, .put], "/v1/flows/validate": [.post],
        "/v1/me": [.get, .head], "/v1/agents": [.get, .head, .post], "/v1/templates": [.get, .head], "/v1/quick-replies": [.get, .head, .post],
        "/": [.get, .head],
    ]

    /// - Parameter channel: the WhatsApp channel's runtime, when configured: its webhook routes,
    ///   and its sections of `/readyz` and `/v1/stats`.
    package func router(channel: ChannelRuntime? = nil) -> Router<IntentRequestContext> {
        // Load balancers probe with HEAD: every GET route answers it (headers, no body).
        let router = Router(context: IntentRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: RequestObserverMiddleware(metrics: metrics))
        var allowed = Self.allowedMethods
        if (settings.adminToken ?? "").isEmpty { allowed["/admin/reload"] = nil }
        if channel?.channel(named: WebChatChannel.channelName) != nil { allowed[WidgetScript.path] = [.get, .head] }
        for configured in channel?.channels ?? [] where configured.hasWebhook {
            allowed[ChannelWebhookRoutes.path(of: configured)] = [.get, .head, .post]
        }
        router.add(middleware: APIErrorMiddleware(allowedMethods: allowed))
        let reader = JSONBodyReader(limits: settings.limits)
        MatchRoutes(holder: holder, reader: reader, recorder: recorder).register(on: router)
        OperationsRoutes(holder: holder, metrics: metrics, channel: channel, stats: stats, storeHealth: storeHealth).register(on: router)
        if let channel { ChannelWebhookRoutes(runtime: channel, limits: settings.limits).register(on: router) }
        if let channel, let webchat = channel.channel(named: WebChatChannel.channelName) as? WebChatChannel {
            WebChatRoutes(runtime: channel, channel: webchat, hub: events, reader: reader, limits: settings.limits).register(on: router)
            WidgetScript.register(on: router)
        }

        // The routes behind tokens (configured ones, or agents'), one group per pair of roles:
        // what reading needs (GET, HEAD), and what writing needs (any other method).
        let tokens = Tokens(stats: settings.statsToken, console: settings.consoleToken, admin: settings.adminToken)
        func group(read: Role, write: Role, _ unconfigured: RequireRole.Unconfigured = .refuse(.noConsoleToken)) -> RouterGroup<IntentRequestContext>
        {
            router.group().add(middleware: RequireRole(read: read, write: write, tokens: tokens, agents: agents, unconfigured: unconfigured))
        }
        let statsReaders = group(read: .stats, write: .stats, .open)
        // Viewers read the console; agents answer customers and teach the bot (the review queue).
        let console = group(read: .viewer, write: .agent)
        // Admins also manage the corpus's answers, the flows and the agents.
        let managers = group(read: .viewer, write: .admin)
        let admins = group(read: .admin, write: .admin)
        StatsRoutes(holder: holder, stats: stats, channel: channel).register(on: statsReaders)
        ConsoleRoutes(holder: holder, stats: stats, channel: channel).register(on: router, api: console)
        ReviewRoutes(holder: holder, stats: stats, editor: editor, reader: reader).register(on: console, answers: managers)
        CorpusRoutes(holder: holder, stats: stats, editor: editor).register(on: console)
        TranslationRoutes(holder: holder, editor: editor, mode: translations?.mode ?? .off).register(on: console, reviewers: managers)
        FlowRoutes(channel: channel, reader: reader).register(readers: statsReaders, console: console)
        let inbox = InboxRoutes(channel: channel, reader: reader, agents: agents)
        inbox.register(on: console)
        ContactRoutes(inbox: inbox).register(on: console)
        AgentRoutes(directory: agents, reader: reader).register(signedIn: console, admins: admins)
        TemplateRoutes(channel: channel, reader: reader).register(on: console)
        QuickReplyRoutes(channel: channel, reader: reader).register(on: console)
        SuggestionRoutes(holder: holder, channel: channel, limits: settings.limits).register(on: console)
        EventRoutes(channel: channel, hub: events).register(on: console)
        if let flowDocuments {
            var limits = settings.limits
            limits.maxBodyBytes = max(limits.maxBodyBytes, 1 << 20)
            FlowEditRoutes(documents: flowDocuments, holder: holder, reloader: reloader, health: storeHealth, reader: JSONBodyReader(limits: limits))
                .register(on: console, editors: managers)
        }
        // Reloading is the operator's: the admin token alone (not the console token, not an agent).
        if !(settings.adminToken ?? "").isEmpty {
            let operators = router.group().add(
                middleware: RequireRole(
                    read: .admin, write: .admin, tokens: Tokens(admin: settings.adminToken), agents: nil, unconfigured: .refuse(.noConsoleToken),
                    holders: "the admin token"))
            AdminRoutes(reloader: reloader).register(on: operators)
        }
        return router
    }

    /// The application: the router, and `services` run beside the server in its service group
    /// (started before it, shut down gracefully after it), after the events hub (its heartbeats).
    package func application(
        channel: ChannelRuntime? = nil, services: [any Service] = [], onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(channel: channel),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(settings.limits.idleTimeout.nanoseconds))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "intent-service"),
            services: [events] + services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}

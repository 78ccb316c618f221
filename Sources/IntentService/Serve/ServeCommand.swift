import ArgumentParser
import Foundation
import Hummingbird
import IntentChannels
import IntentCore
import IntentHTTP
import IntentProviders
import IntentSQLite
import IntentServer
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service on the corpus.",
        discussion: """
            Routes: POST /match, POST /match/batch, GET /healthz, GET /readyz, GET /metrics, \
            GET /v1/stats, the console (GET /console; its API, GET /v1/review, POST \
            /v1/review/ID/assign and /dismiss, POST /v1/entries, GET /v1/edits, GET /v1/corpus, \
            GET /v1/conversations, POST /v1/conversations/ID/unmute and GET /v1/events (live, \
            as Server-Sent Events), needs \
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

    func run() async throws {
        let configuration = try resolvedConfiguration()
        var logger = Logger(label: "intent-service")
        logger.logLevel = configuration.logLevel
        let app = try await buildApplication(configuration, logger: logger)
        do {
            try await app.runService()
        } catch {
            throw loadFailure(error)
        }
        logger.info("stopped")
    }

    /// The configuration this command line resolves to, with `environment` as the environment.
    func resolvedConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfiguration {
        var extra: [Setting: String] = [:]
        extra[.host] = host
        extra[.port] = port.map(String.init)
        extra[.logLevel] = logLevel
        return try options.configuration(extra: extra, environment: environment)
    }
}

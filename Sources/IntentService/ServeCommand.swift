import ArgumentParser
import Hummingbird
import IntentCore
import IntentServer
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service: POST /match, POST /match/batch, GET /healthz, GET /readyz.",
        discussion: """
            The server starts listening at once; /readyz answers 503 until the corpus is \
            loaded and embedded, then 200. SIGTERM or SIGINT stop it gracefully: it stops \
            accepting, finishes requests in flight and exits 0.
            """
    )

    @OptionGroup(title: "Corpus and policy") var options: MatcherOptions

    @Option(name: .long, help: ArgumentHelp("Address to listen on.", valueName: "host"))
    var host = "127.0.0.1"

    @Option(name: .long, help: ArgumentHelp("Port to listen on (0 picks a free one).", valueName: "port"))
    var port = 8080

    @Option(name: .customLong("log-level"), help: ArgumentHelp("trace, debug, info, notice, warning, error, critical.", valueName: "level"))
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        var logger = Logger(label: "intent-service")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let holder = MatcherHolder()
        // The corpus is loaded and embedded before the listener opens (the next issue moves
        // loading behind /readyz so that large corpora do not delay /healthz).
        let matcher = try await options.makeMatcher()
        holder.replace(with: matcher)
        logger.info(
            "corpus ready",
            metadata: [
                "entries": "\(matcher.corpus.entries.count)", "version": "\(matcher.corpus.version)",
                "embedder": "\(matcher.embedder.id)",
            ])
        let app = IntentServerApp(host: host, port: port, holder: holder, logger: logger)
        try await app.application().runService()
    }
}

import ArgumentParser
import CCurl
import IntentCore

@main
struct IntentServiceCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "intent-service",
        abstract: "Answers customer chat messages by matching them to an FAQ.",
        discussion: """
            Messages are normalised, embedded and compared by cosine similarity with \
            every paraphrase of the FAQ corpus; keyword rules answer when they must \
            (before rules) or when nothing is confident (fallback rules). The default \
            embedder is offline and needs no network or API key.
            """,
        version: "intent-service \(version) (libcurl \(String(cString: ccurl_version())))",
        subcommands: [
            MatchCommand.self, ServeCommand.self, EvaluateCommand.self, ImportCommand.self, ExportCommand.self, StateCommand.self, AgentsCommand.self,
            TelegramCommand.self,
        ]
    )
}

import ArgumentParser
import Foundation
import IntentCore

struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match messages against the corpus and explain each decision.",
        discussion: """
            With a MESSAGE, prints the decision readably (or as one JSON object with --json). \
            With no MESSAGE, reads one message per line from standard input and writes one \
            JSON object per line (batch mode, for scripts): the corpus is embedded once and \
            answers stream as they are decided.

            JSON fields: status (matched, ambiguous, keyword, unmatched), id, answer, score, \
            margin, method (embedding, keyword, llm, none), matched_question, rule, candidates \
            [{id, score, question}], reason, degraded, degraded_reason (a provider failed and a \
            fallback answered). Batch mode sends the messages to a remote provider in batches.

            Exit status: 0 on success, 2 when the corpus is invalid (every problem is listed \
            on standard error as file:line: field: what is wrong).
            """
    )

    @OptionGroup(title: "Corpus and policy") var options: MatcherOptions

    @Flag(name: .long, help: "Print the decision as JSON.")
    var json = false

    @Option(name: .customLong("top-k"), help: ArgumentHelp("Candidates to list, 1-20 (default: 5).", valueName: "n"))
    var topK: Int?

    @Argument(help: "The message to match. Omit it to read messages from standard input, one per line.")
    var message: String?

    func validate() throws {
        if let topK, !(1...20).contains(topK) { throw ValidationError("--top-k must be between 1 and 20") }
    }

    func run() async throws {
        let service = try await options.configuration(extra: topK.map { [.topK: "\($0)"] } ?? [:])
            .makeServiceOrExit(printWarnings: message == nil || !json)
        if let message {
            let decision = await service.match(message, topK: topK)
            print(json ? try JSONOutput.line(decision) : DecisionText.render(decision, message: message))
            return
        }
        try await runBatch(service)
    }

    /// Reads stdin (on a blocking-I/O thread) and decides whatever lines have arrived, up to 256,
    /// in one batch: each answer is written as soon as no more input is waiting.
    private func runBatch(_ service: MatchService) async throws {
        let input = UncheckedSendable(InputLines())
        while true {
            let lines = try await BlockingIO.run { input.value.next(limit: 256) }
            guard let lines else { break }
            var output = ""
            for decision in await service.match(lines, topK: topK) {
                output += try JSONOutput.line(decision) + "\n"
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        }
    }
}

/// The human-readable form of a decision, as `match` prints it.
enum DecisionText {
    static func render(_ served: ServiceDecision, message: String) -> String {
        let d = served.decision
        var lines: [String] = []
        let target = d.id.map { " -> \($0)" } ?? ""
        lines.append("message:   \(message)\(d.language.map { " (\($0))" } ?? "")")
        lines.append("decision:  \(d.status.rawValue)\(target) (method: \(d.method.rawValue))")
        if let score = d.score, let margin = d.margin {
            lines.append("score:     \(format(score))  margin \(format(margin))")
        }
        if let rule = d.rule { lines.append("rule:      \(rule)") }
        if let question = d.matchedQuestion { lines.append("matched:   \(question)") }
        if let answer = d.answer { lines.append("answer:    \(answer)\(d.answerLanguage.map { " (\($0))" } ?? "")") }
        lines.append("why:       \(d.reason)")
        if let reason = served.degradedReason { lines.append("degraded:  \(reason)") }
        if !d.choices.isEmpty {
            lines.append("did you mean:")
            for (i, c) in d.choices.enumerated() { lines.append("  \(i + 1). \(c.question)  (\(c.id))") }
        }
        if !d.candidates.isEmpty {
            lines.append("candidates:")
            let width = d.candidates.map(\.id.count).max() ?? 0
            for (i, c) in d.candidates.enumerated() {
                let id = c.id.padding(toLength: width, withPad: " ", startingAt: 0)
                lines.append("  \(i + 1). \(id)  \(format(c.score))  \(c.question)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.4f", value)
    }
}

import ArgumentParser
import Foundation
import IntentChannels
import IntentCore
import IntentHTTP
import IntentProviders
import IntentSQLite
import Logging

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Validate a corpus, embed what changed, and store the index for serve, match and evaluate.",
        discussion: """
            Everything is validated first, the flow file beside the corpus (flows.yaml) included \
            (every problem as file:line: field: what, exit 2, nothing written). A paraphrase is \
            embedded only when its normalised text or the embedder changed since the last import; \
            vectors already paid for are reused, also after an interrupted run (they are kept in \
            the store's embedding cache as soon as each batch returns). The new index becomes \
            visible in one transaction: an import that fails or is killed leaves the previous index \
            as it was.

            A corpus directory is the whole corpus: entries missing from it are removed. Single \
            files update their entries and keep the stored others, unless --prune is given.
            """
    )

    @OptionGroup(title: "Corpus, store and embedder") var options: MatcherOptions

    @Argument(help: "Corpus directories or files (default: the configured corpus).")
    var paths: [String] = []

    @Flag(name: .customLong("dry-run"), help: "Validate and report what would change, without calling a provider or writing.")
    var dryRun = false

    @Flag(name: .long, help: "Remove stored entries that the imported files do not have.")
    var prune = false

    @Flag(name: .long, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .long, help: "Print the summary as JSON on standard output.")
    var json = false

    func run() async throws {
        let configuration = try options.configuration()
        let started = Date()
        let storeURL = configuration.store ?? .defaultIndex
        let sources = paths.isEmpty ? [configuration.corpus] : paths
        let rules = configuration.rules
        let imported = try await loadAll(sources, rules: rules)
        try await checkFlows(configuration.flows, importing: sources, rules: imported.rules)
        let store = try await storeURL.openIndex()
        let factory = ServiceFactory(
            configuration, logger: Logger(label: "intent-service", factory: { label in StreamLogHandler.standardError(label: label) }))
        let (embedder, batchSize) = try await factory.importEmbedder()
        let replacesAll = prune || sources.allSatisfy(Self.isDirectory)

        // The same corpus with the same embedder: nothing to read, embed or write but the run's
        // record. A directory is the whole corpus; files merge into the stored one (texts only).
        var stored: Corpus?
        let corpus: Corpus
        let version: StoredVersion?
        if replacesAll {
            version = try await store.storedVersion()
            corpus = imported
        } else if let current = try await store.loadCorpus() {
            (stored, version) = (current.corpus, current.version)
            corpus = current.corpus.merging(imported)
        } else {
            (corpus, version) = (imported, nil)
        }
        // (Unless vectors are missing, after a hand edit of the store: the import embeds those again.)
        if let version, version.corpusVersion == corpus.version, version.embedderID == embedder.id, !dryRun,
            try await store.paraphrasesWithoutVectors() == 0
        {
            var summary = ImportSummary()
            summary.unchanged = imported.entries.count
            summary.seconds = Date().timeIntervalSince(started)
            let at = ISO8601DateFormatter().string(from: Date())
            let record = summary
            try await store.recordUnchangedImport(at: at, embedderID: embedder.id, summary: record)
            report(record, store: storeURL, dryRun: false)
            return
        }
        if replacesAll && version != nil { stored = try await store.loadCorpus()?.corpus }
        let plan = try await CorpusImport(corpus, over: stored, version: version, in: store, embedderID: embedder.id)
        if dryRun {
            var summary = plan.summary
            summary.embedded = plan.toEmbed.count
            summary.seconds = Date().timeIntervalSince(started)
            report(summary, store: storeURL, dryRun: true)
            return
        }
        // A provider gets up to `concurrency` requests at once. The built-in models get two
        // batches at once: while one batch's last chunks finish on some cores, the next one's keep
        // the others busy (the encoder queue runs one per core).
        let isRemote = configuration.providers.isRemote
        let progress = ProgressLine(label: "embedding", total: plan.toEmbed.count)
        let quiet = quiet
        let summary = try await plan.run(
            into: store, with: embedder, batchSize: batchSize, inFlight: isRemote ? configuration.providers.concurrency : 2, remote: isRemote,
            started: started, tokens: { (embedder as? OpenAIEmbedder)?.usage ?? 0 },
            progress: { done in if !quiet { progress.update(done) } })
        progress.finish()
        report(summary, store: storeURL, dryRun: false)
    }

    private func loadAll(_ sources: [String], rules: String?) async throws -> Corpus {
        do {
            let corpora = try await BlockingIO.run {
                try sources.map { try CorpusLoader.load($0, rulesFile: sources.count == 1 ? rules : nil) }
            }
            var merged = corpora[0]
            for next in corpora.dropFirst() {
                let clash = Set(merged.entries.map(\.id)).intersection(next.entries.map(\.id))
                if let id = clash.sorted().first {
                    throw CorpusValidationError(issues: [
                        CorpusIssue(
                            .error, next.entry(id: id)?.location ?? SourceLocation(file: next.source, line: 0), field: "id",
                            "'\(id)' is also defined in \(merged.source); ids must be unique across the imported paths")
                    ])
                }
                merged = merged.merging(next)
            }
            if !quiet && !json { for warning in merged.warnings { printError(warning.description) } }
            return merged
        } catch let error as CorpusValidationError {
            printError(error.description)
            throw ExitCode(2)
        }
    }

    /// The flow file of the imported corpus (the `flows` setting, else `flows.yaml` beside each
    /// source), checked against its keyword rules as `serve` will read it: a problem is exit 2.
    private func checkFlows(_ settings: FlowSettings, importing sources: [String], rules: [KeywordRule]) async throws {
        for path in settings.paths(importing: sources) {
            do {
                let set = try await settings.read(path, rules: rules)
                if !quiet && !json { for warning in set.warnings { printError("warning: \(warning)") } }
            } catch let error as FlowsError {
                printError(error.description)
                throw ExitCode(2)
            }
        }
    }

    private func report(_ summary: ImportSummary, store: StoreURL, dryRun: Bool) {
        if json {
            var object: [String: Any] = [
                "added": summary.added, "changed": summary.changed, "removed": summary.removed, "unchanged": summary.unchanged,
                "embedded": summary.embedded, "requests": summary.requests, "tokens": summary.tokens,
                "seconds": (summary.seconds * 1000).rounded() / 1000, "store": store.description, "dry_run": dryRun,
            ]
            if dryRun { object["would_embed"] = summary.embedded }
            print(
                String(
                    decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(),
                    as: UTF8.self))
        } else if !quiet {
            let verb = dryRun ? "would import" : "imported"
            print(
                "\(verb) into \(store): \(summary.added) added, \(summary.changed) changed, \(summary.removed) removed, \(summary.unchanged) unchanged entries; \(summary.embedded) paraphrases \(dryRun ? "to embed" : "embedded") in \(summary.requests) provider requests; \(String(format: "%.2f", summary.seconds)) s"
            )
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// Carries a value whose type is not `Sendable` out of a `BlockingIO` closure, for one owner.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

import Foundation
import Hummingbird
import IntentCore

/// `GET /v1/corpus`: the corpus in service, entry by entry with its hits and the edits made
/// to it, and the lint findings of `evaluate` (paraphrases closer to another entry, near
/// duplicates, thin entries).
///
/// Lint scores every paraphrase against all others: seconds for a large corpus with a
/// sentence model. It runs once per corpus version, in the background; until it is done the
/// response says `"lint": {"status": "running"}` (the console polls).
struct CorpusRoutes {
    let holder: ServiceHolder
    let stats: StatsRecorder
    let editor: CorpusEditor
    /// The lint of one corpus version: nil findings while running.
    let lint = Locked<(version: String, state: LintState)?>(nil)

    /// `group` is the console's (`RequireRole`: viewers read).
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/corpus") { _, _ in
            guard let service = holder.service else {
                throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly")
            }
            let edits = try await editor.history()
            // Snake-case keys: the lint findings are the core's types, named as the report names them.
            return try JSONResponse.make(
                CorpusResponse(service: service, hits: stats.snapshot.hitsByEntry, edits: edits, lint: lintState(for: service)),
                encoder: JSONResponse.snakeCaseEncoder)
        }
    }

    /// The findings when ready; starts the run for a version not linted yet.
    private func lintState(for service: MatchService) -> LintState {
        let version = service.corpus.version
        let (state, start) = lint.withLock { current -> (LintState, Bool) in
            if let current, current.version == version { return (current.state, false) }
            current = (version, .running)
            return (.running, true)
        }
        if start {
            let matcher = service.matcher
            let lint = self.lint
            Task.detached(priority: .background) {
                let findings = try? await CorpusLint.run(matcher)
                lint.withLock { current in
                    if current?.version == version { current = (version, findings.map(LintState.ready) ?? .failed) }
                }
            }
        }
        return state
    }
}

enum LintState: Sendable, Encodable {
    case running, failed
    case ready(CorpusLint.Findings)

    /// The first 200 of each kind: a corpus in trouble gets the worst first, not megabytes.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .running: try c.encode("running", forKey: .status)
        case .failed: try c.encode("failed", forKey: .status)
        case .ready(let findings):
            try c.encode("ready", forKey: .status)
            // Field names as the evaluation report writes them: snake_case (see `CorpusRoutes`).
            try c.encode(Array(findings.strayParaphrases.prefix(200)), forKey: .strayParaphrases)
            try c.encode(Array(findings.nearDuplicates.prefix(200)), forKey: .nearDuplicates)
            try c.encode(findings.thinEntries, forKey: .thinEntries)
        }
    }

    enum CodingKeys: String, CodingKey {
        case status
        case strayParaphrases = "stray_paraphrases"
        case nearDuplicates = "near_duplicates"
        case thinEntries = "thin_entries"
    }
}

struct CorpusResponse: Encodable {
    struct Entry: Encodable {
        var id: String
        var questions: [String]
        var answer: String
        /// By ISO 639-1 code; `answer` is for every other language.
        var answers: [String: String]
        var hits: Int
        var handover: Bool
        /// Numbers of the edits that changed or created it.
        var edits: [Int]
    }

    var version: String
    var source: String
    var entries: [Entry]
    var rules: Int
    var warnings: [String]
    var lint: LintState

    init(service: MatchService, hits: [String: Int], edits: [CorpusEdit], lint: LintState) {
        let corpus = service.corpus
        var editsOf: [String: [Int]] = [:]
        for edit in edits { if let entry = edit.entry { editsOf[entry, default: []].append(edit.number) } }
        version = corpus.version
        source = corpus.source
        entries = corpus.entries.map {
            Entry(
                id: $0.id, questions: $0.questions, answer: $0.answer, answers: $0.answers, hits: hits[$0.id] ?? 0, handover: $0.handover,
                edits: editsOf[$0.id] ?? [])
        }
        rules = corpus.rules.count
        warnings = corpus.warnings.map(\.description)
        self.lint = lint
    }
}

/// Where matching decides: keyword rules, the vector index and the policy,
/// applied to one message at a time.
///
/// The order of a decision:
/// 1. `before` keyword rules (highest priority first) answer outright;
/// 2. the message is embedded and scored against every paraphrase; entries
///    rank by their best paraphrase;
/// 3. the policy (threshold, margin) makes it `matched` or `ambiguous`;
/// 4. below the threshold, `fallback` keyword rules may answer (`keyword`);
/// 5. otherwise `unmatched` with the fallback reply.
///
/// A `Matcher` is an immutable value: to change corpus or policy, build a new
/// one and swap it in; requests in flight finish on the one they started with.
public struct Matcher: Sendable {
    public let corpus: Corpus
    public let embedder: any Embedder
    public private(set) var policy: MatchPolicy
    package let index: VectorIndex
    private let paraphrases: [String]
    /// Each paraphrase's language (`LanguageDetector`), and where each entry's paraphrases start:
    /// a choice is worded in the customer's language without detecting anything per request.
    private let paraphraseLanguages: [String?]
    private let firstParaphrase: [Int]
    private let rules: RuleSet
    /// Thresholds set by entries, by entry index (nil: the policy's).
    public let entryThresholds: [Float?]
    /// Per entry, whether it is tagged out-of-scope (never answered); empty when none is.
    public let outOfScope: [Bool]
    /// How the entries' own paraphrases score against them; measured when the policy sets
    /// `ownScoreFloor` or the matcher is built `measuringOwnScores` (nil: not measured).
    package let ownScoreSpread: OwnScoreSpread?
    /// The corpus's vectors, kept by a matcher built `measuringOwnScores` (evaluation, which lints
    /// the corpus next: `CorpusLint` reads them instead of embedding the corpus again); nil else.
    package let corpusVectors: EmbeddingMatrix?
    /// The policy's own-score floor per entry (empty: none).
    private var floors: [Float]
    private let outOfScopeCount: Int
    /// Recent decisions by message, when enabled (see `remembering(decisions:)`).
    package private(set) var recentDecisions: RecentCache<DecisionKey, MatchDecision>?

    /// A message as a decision depends on it: the exact text and the number of candidates asked for.
    public struct DecisionKey: Hashable, Sendable {
        var message: String
        var topK: Int?
    }

    /// A matcher over vectors already computed with `embedder` (e.g. from a
    /// store): one row per paraphrase, in corpus order. `indexSearch`: how a large index is
    /// searched (see `IndexSearch`). `measuringOwnScores`: measure the `ownScoreSpread` even
    /// when the policy does not use it (evaluation sweeps it). Handed over with `consume`,
    /// `vectors` is freed while the index is built, unless the own scores are measured.
    public init(
        corpus: Corpus, embedder: any Embedder, vectors: consuming EmbeddingMatrix, policy: MatchPolicy = MatchPolicy(),
        indexSearch: IndexSearch = .exact, measuringOwnScores: Bool = false
    )
        throws(EmbedderError)
    {
        var owner: [Int] = []
        var paraphrases: [String] = []
        var firstParaphrase: [Int] = []
        for (entryIndex, entry) in corpus.entries.enumerated() {
            firstParaphrase.append(paraphrases.count)
            for question in entry.questions {
                owner.append(entryIndex)
                paraphrases.append(question)
            }
        }
        guard vectors.count == paraphrases.count, vectors.dimension == embedder.dimension else {
            throw .wrongShape(embedder: embedder.id, expectedRows: paraphrases.count, gotRows: vectors.count)
        }
        self.corpus = corpus
        self.embedder = embedder
        self.policy = policy
        self.paraphrases = paraphrases
        self.paraphraseLanguages = paraphrases.map(LanguageDetector.language(of:))
        self.firstParaphrase = firstParaphrase
        self.rules = RuleSet(corpus.rules)
        self.entryThresholds = corpus.entries.map(\.threshold)
        let flags = corpus.entries.map(\.isOutOfScope)
        let outOfScope = flags.contains(true) ? flags : []
        self.outOfScope = outOfScope
        self.outOfScopeCount = flags.filter { $0 }.count
        let kept = measuringOwnScores || policy.ownScoreFloor != nil ? vectors : nil
        self.index = VectorIndex(
            vectors: consume vectors, owner: owner, entryCount: corpus.entries.count, blocks: embedder.blocks,
            nearestOnly: outOfScope, search: indexSearch)
        let index = self.index
        let spread = kept.map { OwnScoreSpread(index: index, vectors: $0, outOfScope: outOfScope) }
        self.ownScoreSpread = spread
        self.corpusVectors = measuringOwnScores ? kept : nil
        self.floors = Self.floors(policy, spread)
    }

    /// The own-score floor per entry under `policy` (empty: none), as decisions apply it.
    package func floors(for policy: MatchPolicy) -> [Float] { Self.floors(policy, ownScoreSpread) }

    private static func floors(_ policy: MatchPolicy, _ spread: OwnScoreSpread?) -> [Float] {
        guard let deviations = policy.ownScoreFloor, let spread else { return [] }
        return spread.floors(deviations: deviations)
    }

    /// The same matcher with its `ownScoreSpread` measured (the paraphrases embedded again).
    package func measuringOwnScores() async throws -> Matcher {
        guard ownScoreSpread == nil else { return self }
        let vectors = try await embedder.embed(corpus.entries.flatMap(\.questions))
        let measured = try Matcher(
            corpus: corpus, embedder: embedder, vectors: vectors, policy: policy, indexSearch: index.searchMode,
            measuringOwnScores: true)
        return recentDecisions.map { measured.remembering(decisions: $0.capacity) } ?? measured
    }

    /// Embeds every paraphrase of the corpus and builds the matcher.
    public static func build(
        corpus: Corpus, embedder: any Embedder, policy: MatchPolicy = MatchPolicy(), indexSearch: IndexSearch = .exact,
        measuringOwnScores: Bool = false
    ) async throws
        -> Matcher
    {
        let texts = corpus.entries.flatMap(\.questions)
        let vectors = try await embedder.embed(texts)
        return try Matcher(
            corpus: corpus, embedder: embedder, vectors: vectors, policy: policy, indexSearch: indexSearch,
            measuringOwnScores: measuringOwnScores)
    }

    /// Decides one message.
    public func match(_ message: String, topK: Int? = nil) async throws -> MatchDecision {
        try await match([message], topK: topK)[0]
    }

    /// The same matcher remembering its last `capacity` decisions: a repeated message is
    /// answered without embedding or scoring it again. Sound because a matcher is immutable
    /// and its embedder deterministic; a reload builds a new matcher, so a new, empty memory.
    public func remembering(decisions capacity: Int) -> Matcher {
        var copy = self
        copy.recentDecisions = capacity > 0 ? RecentCache(capacity: capacity) : nil
        return copy
    }

    /// Decides many messages, embedding the ones no `before` rule answers in one batch.
    /// Repeated messages are answered from `recentDecisions` when it is enabled.
    public func match(_ messages: [String], topK: Int? = nil) async throws -> [MatchDecision] {
        guard let recentDecisions else { return try await decideAfresh(messages, topK: topK) }
        let keys = messages.map { DecisionKey(message: $0, topK: topK) }
        var decisions = recentDecisions.values(for: keys)
        let missing = decisions.indices.filter { decisions[$0] == nil }
        guard !missing.isEmpty else { return decisions.map { $0! } }
        let fresh = try await decideAfresh(missing.map { messages[$0] }, topK: topK)
        recentDecisions.insert(missing.indices.map { (keys[missing[$0]], fresh[$0]) })
        for (k, i) in missing.enumerated() { decisions[i] = fresh[k] }
        return decisions.map { $0! }
    }

    /// The decision of a `before` keyword rule that claims the message, or nil; nothing is embedded.
    package func beforeRuleDecision(_ message: String) -> MatchDecision? {
        let text = TextNormalizer.normalize(message)
        guard let rule = rules.firstMatch(normalized: text, stage: .before) else { return nil }
        return decision(
            for: DecisionTrace(beforeRule: rule, hits: nil, fallbackRule: nil), limit: 1, language: LanguageDetector.language(ofNormalized: text))
    }

    private func decideAfresh(_ messages: [String], topK: Int?) async throws -> [MatchDecision] {
        let normalized = messages.map(TextNormalizer.normalize)
        var decisions = [MatchDecision?](repeating: nil, count: messages.count)
        var pending: [Int] = []
        for (i, text) in normalized.enumerated() {
            if let rule = rules.firstMatch(normalized: text, stage: .before) {
                decisions[i] = decision(
                    for: DecisionTrace(beforeRule: rule, hits: nil, fallbackRule: nil), limit: 1,
                    language: LanguageDetector.language(ofNormalized: text))
            } else {
                pending.append(i)
            }
        }
        if !pending.isEmpty {
            let vectors = try await embedder.embed(pending.map { messages[$0] })
            guard vectors.count == pending.count else {
                throw EmbedderError.wrongShape(embedder: embedder.id, expectedRows: pending.count, gotRows: vectors.count)
            }
            for (row, i) in pending.enumerated() {
                decisions[i] = decide(normalized: normalized[i], vector: vectors.row(row), topK: topK)
            }
        }
        return decisions.map { $0! }
    }

    /// What the decision of a normalised message depends on, apart from the policy.
    /// `vector` nil means no embedding is available (a provider is down).
    /// With `alwaysScore`, entries are scored even when a `before` rule fires (evaluation
    /// measures ranking on every question); the outcome is the same.
    package func trace(
        normalized text: String, vector: ArraySlice<Float>?, limit: Int, alwaysScore: Bool = false
    )
        -> DecisionTrace
    {
        // Out-of-scope entries may take places in the ranking; candidates list answered entries only.
        let limit = max(limit, 2) + outOfScopeCount
        if let rule = rules.firstMatch(normalized: text, stage: .before) {
            return DecisionTrace(
                beforeRule: rule, hits: alwaysScore ? vector.map { index.search($0, limit: limit) } : nil,
                fallbackRule: nil)
        }
        return DecisionTrace(
            beforeRule: nil, hits: vector.map { index.search($0, limit: limit) },
            fallbackRule: rules.firstMatch(normalized: text, stage: .fallback))
    }

    /// Steps 2-5 of a decision (see the type's documentation) for a message with its
    /// embedding, or with nil when no embedding is available: then only rules can answer.
    public func decide(normalized text: String, vector: ArraySlice<Float>?, topK: Int? = nil) -> MatchDecision {
        let limit = max(topK ?? policy.topK, 1)
        let trace = trace(normalized: text, vector: vector, limit: limit)
        return decision(for: trace, limit: limit, language: LanguageDetector.language(ofNormalized: text))
    }

    /// The same matcher under another policy (the index is shared, not rebuilt).
    public func with(policy: MatchPolicy) -> Matcher {
        var copy = self
        copy.policy = policy
        copy.floors = Self.floors(policy, ownScoreSpread)
        return recentDecisions.map { copy.remembering(decisions: $0.capacity) } ?? copy
    }

    /// Formats the policy's outcome of a trace as a decision, with its reason.
    /// An answer is given in `language` when its entry has one in it.
    package func decision(for trace: DecisionTrace, limit: Int, language: String? = nil) -> MatchDecision {
        var decision = undecoratedDecision(for: trace, limit: limit, language: language)
        decision.language = language
        return decision
    }

    private func undecoratedDecision(for trace: DecisionTrace, limit: Int, language: String?) -> MatchDecision {
        let candidates = (trace.hits ?? []).filter { $0.score > 0 && !isOutOfScope($0) }.prefix(limit).map {
            MatchDecision.Candidate(
                id: corpus.entries[$0.entry].id, score: Double(rounding: $0.score), question: paraphrases[$0.paraphrase])
        }
        let best = trace.hits?.first
        let runnerUp = (trace.hits?.count ?? 0) > 1 ? trace.hits![1] : nil
        let semantic = best.map {
            Semantic(score: max($0.score, 0), margin: max($0.score, 0) - max(runnerUp?.score ?? 0, 0), candidates: candidates)
        }
        switch policy.outcome(of: trace, entryThresholds: entryThresholds, outOfScope: outOfScope, floors: floors) {
        case .beforeRule(let rule):
            return keywordDecision(rule, semantic: nil, reason: "before-rule '\(rule.id)' matched", candidates: [], language: language)
        case .matched(let hit, let margin, let threshold):
            let entry = corpus.entries[hit.entry]
            let answer = entry.answer(in: language)
            return MatchDecision(
                status: .matched, id: entry.id, answer: answer.text, score: Double(rounding: hit.score),
                margin: Double(rounding: margin), method: .embedding, matchedQuestion: paraphrases[hit.paraphrase],
                rule: nil, candidates: candidates,
                reason:
                    "'\(entry.id)' score \(fmt(hit.score)) >= threshold \(fmt(threshold)), margin \(fmt(margin)) >= \(fmt(policy.margin))",
                answerLanguage: answer.language)
        case .ambiguous(let hit, let runnerUp, let margin, let threshold):
            let entry = corpus.entries[hit.entry]
            return MatchDecision(
                status: .ambiguous, id: nil, answer: nil, score: Double(rounding: hit.score),
                margin: Double(rounding: margin), method: .embedding, matchedQuestion: nil, rule: nil,
                candidates: candidates,
                reason:
                    "'\(entry.id)' score \(fmt(hit.score)) >= threshold \(fmt(threshold)) but only \(fmt(margin)) ahead of '\(corpus.entries[runnerUp.entry].id)' (margin \(fmt(policy.margin)))",
                choices: choices(trace.hits ?? [], best: hit.score, language: language))
        case .fallbackRule(let rule, let best, let threshold, let turnedAway, let floor):
            var decision = keywordDecision(
                rule, semantic: semantic,
                reason: "\(notAnsweredReason(best, threshold, turnedAway, floor)); fallback rule '\(rule.id)' matched",
                language: language)
            decision.outOfScope = turnedAway.map { corpus.entries[$0.entry].id }
            return decision
        case .unmatched(let best, let threshold, let turnedAway, let floor):
            return MatchDecision(
                status: .unmatched, id: nil, answer: policy.fallbackReply, score: semantic.map { Double(rounding: $0.score) },
                margin: semantic.map { Double(rounding: $0.margin) }, method: .none, matchedQuestion: nil, rule: nil,
                candidates: candidates, reason: "\(notAnsweredReason(best, threshold, turnedAway, floor)); no keyword rule matched",
                outOfScope: turnedAway.map { corpus.entries[$0.entry].id })
        }
    }

    /// How far below the best entry another may score and still be offered as a choice (at
    /// least the policy's margin, so that the runner-up that made the decision ambiguous is one).
    package static let choiceWindow: Float = 0.05
    package static let maxChoices = 3

    /// The entries to offer when the decision is ambiguous: those within the window of the best,
    /// at most three, each worded in the customer's language when the entry has a paraphrase in it.
    private func choices(_ hits: [EntryHit], best: Float, language: String?) -> [MatchDecision.Choice] {
        let floor = best - max(Self.choiceWindow, policy.margin)
        return hits.filter { !isOutOfScope($0) && $0.score > 0 && $0.score >= floor }.prefix(Self.maxChoices).map { hit in
            MatchDecision.Choice(id: corpus.entries[hit.entry].id, question: paraphrases[wording(of: hit, in: language)])
        }
    }

    /// The paraphrase to show for an entry: the one that matched when it is in the customer's
    /// language (or the language is not known), else the entry's first one in that language.
    private func wording(of hit: EntryHit, in language: String?) -> Int {
        guard let language, paraphraseLanguages[hit.paraphrase] != language else { return hit.paraphrase }
        let start = firstParaphrase[hit.entry]
        let end = start + corpus.entries[hit.entry].questions.count
        return (start..<end).first { paraphraseLanguages[$0] == language } ?? hit.paraphrase
    }

    private func isOutOfScope(_ hit: EntryHit) -> Bool { !outOfScope.isEmpty && outOfScope[hit.entry] }

    /// Why semantic matching did not answer: below the threshold, turned away by an out-of-scope
    /// entry, or below the best entry's own-score floor.
    private func notAnsweredReason(_ best: EntryHit?, _ threshold: Float, _ outOfScope: EntryHit?, _ floor: Float?) -> String {
        guard let best else { return "no embedding available" }
        guard best.score > 0 else { return "no entry shares anything with the message" }
        if let outOfScope {
            let example = "'\(corpus.entries[outOfScope.entry].id)' ('\(paraphrases[outOfScope.paraphrase])'"
            if outOfScope == best { return "closest to out-of-scope \(example), score \(fmt(best.score)))" }
            let lead = fmt(best.score - outOfScope.score)
            return
                "'\(corpus.entries[best.entry].id)' score \(fmt(best.score)) is only \(lead) ahead of out-of-scope \(example); margin \(fmt(policy.margin)))"
        }
        if let floor {
            return
                "best entry '\(corpus.entries[best.entry].id)' score \(fmt(best.score)) >= threshold \(fmt(threshold)) but < own-score floor \(fmt(floor)) (its paraphrases' mean less \(fmt(policy.ownScoreFloor ?? 0)) deviations)"
        }
        return "best entry '\(corpus.entries[best.entry].id)' score \(fmt(best.score)) < threshold \(fmt(threshold))"
    }

    private struct Semantic {
        var score: Float
        var margin: Float
        var candidates: [MatchDecision.Candidate]
    }

    private func keywordDecision(
        _ rule: KeywordRule, semantic: Semantic?, reason: String, candidates: [MatchDecision.Candidate]? = nil,
        language: String?
    ) -> MatchDecision {
        let (id, answer): (String?, (text: String, language: String?))
        switch rule.reply {
        case .faq(let faq): (id, answer) = (faq, corpus.entry(id: faq)?.answer(in: language) ?? (policy.fallbackReply, nil))
        case .answer(let text): (id, answer) = (nil, (text, nil))
        }
        return MatchDecision(
            status: .keyword, id: id, answer: answer.text, score: semantic.map { Double(rounding: $0.score) },
            margin: semantic.map { Double(rounding: $0.margin) }, method: .keyword, matchedQuestion: nil, rule: rule.id,
            candidates: candidates ?? semantic?.candidates ?? [], reason: reason, answerLanguage: answer.language)
    }

    private func fmt(_ value: Float) -> String {
        String(Double(rounding: value))
    }
}

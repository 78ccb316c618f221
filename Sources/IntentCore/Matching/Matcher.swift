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
    public let policy: MatchPolicy
    public let index: VectorIndex
    private let paraphrases: [String]
    private let rules: RuleSet

    /// A matcher over vectors already computed with `embedder` (e.g. from a
    /// store): one row per paraphrase, in corpus order.
    public init(corpus: Corpus, embedder: any Embedder, vectors: EmbeddingMatrix, policy: MatchPolicy = MatchPolicy())
        throws(EmbedderError)
    {
        var owner: [Int] = []
        var paraphrases: [String] = []
        for (entryIndex, entry) in corpus.entries.enumerated() {
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
        self.rules = RuleSet(corpus.rules)
        self.index = VectorIndex(
            vectors: vectors, owner: owner, entryCount: corpus.entries.count, weighting: embedder.weighting)
    }

    /// Embeds every paraphrase of the corpus and builds the matcher.
    public static func build(corpus: Corpus, embedder: any Embedder, policy: MatchPolicy = MatchPolicy()) async throws
        -> Matcher
    {
        let texts = corpus.entries.flatMap(\.questions)
        let vectors = try await embedder.embed(texts)
        return try Matcher(corpus: corpus, embedder: embedder, vectors: vectors, policy: policy)
    }

    /// Decides one message.
    public func match(_ message: String, topK: Int? = nil) async throws -> MatchDecision {
        try await match([message], topK: topK)[0]
    }

    /// Decides many messages, embedding the ones no `before` rule answers in one batch.
    public func match(_ messages: [String], topK: Int? = nil) async throws -> [MatchDecision] {
        let normalized = messages.map(TextNormalizer.normalize)
        var decisions = [MatchDecision?](repeating: nil, count: messages.count)
        var pending: [Int] = []
        for (i, text) in normalized.enumerated() {
            if let rule = rules.firstMatch(normalized: text, stage: .before) {
                decisions[i] = keywordDecision(rule, semantic: nil, reason: "before-rule '\(rule.id)' matched")
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

    /// Steps 3-5 of a decision, for a message whose `before` rules did not fire.
    /// `vector` nil means no embedding is available (a provider is down): only
    /// fallback rules can answer.
    public func decide(normalized text: String, vector: ArraySlice<Float>?, topK: Int? = nil) -> MatchDecision {
        let limit = max(topK ?? policy.topK, 1)
        guard let vector else {
            return fallback(text, semantic: nil, reason: "no embedding available")
        }
        let hits = index.search(vector, limit: max(limit, 2))
        let candidates = hits.prefix(limit).filter { $0.score > 0 }.map {
            MatchDecision.Candidate(
                id: corpus.entries[$0.entry].id, score: Double(rounding: $0.score), question: paraphrases[$0.paraphrase])
        }
        guard let best = hits.first, best.score > 0 else {
            return fallback(text, semantic: Semantic(score: 0, margin: 0, candidates: candidates), reason: "no entry shares anything with the message")
        }
        let entry = corpus.entries[best.entry]
        let runnerUp = hits.count > 1 ? hits[1].score : 0
        let margin = best.score - runnerUp
        let threshold = entry.threshold ?? policy.threshold
        let semantic = Semantic(score: best.score, margin: margin, candidates: candidates)
        let scoreText = "score \(fmt(best.score))"
        guard best.score >= threshold else {
            return fallback(
                text, semantic: semantic, reason: "best entry '\(entry.id)' \(scoreText) < threshold \(fmt(threshold))")
        }
        guard margin >= policy.margin else {
            return MatchDecision(
                status: .ambiguous, id: nil, answer: nil, score: Double(rounding: best.score),
                margin: Double(rounding: margin), method: .embedding, matchedQuestion: nil, rule: nil,
                candidates: candidates,
                reason:
                    "'\(entry.id)' \(scoreText) >= threshold \(fmt(threshold)) but only \(fmt(margin)) ahead of '\(corpus.entries[hits[1].entry].id)' (margin \(fmt(policy.margin)))"
            )
        }
        return MatchDecision(
            status: .matched, id: entry.id, answer: entry.answer, score: Double(rounding: best.score),
            margin: Double(rounding: margin), method: .embedding, matchedQuestion: paraphrases[best.paraphrase],
            rule: nil, candidates: candidates,
            reason: "'\(entry.id)' \(scoreText) >= threshold \(fmt(threshold)), margin \(fmt(margin)) >= \(fmt(policy.margin))")
    }

    private struct Semantic {
        var score: Float
        var margin: Float
        var candidates: [MatchDecision.Candidate]
    }

    private func fallback(_ text: String, semantic: Semantic?, reason: String) -> MatchDecision {
        if let rule = rules.firstMatch(normalized: text, stage: .fallback) {
            return keywordDecision(rule, semantic: semantic, reason: "\(reason); fallback rule '\(rule.id)' matched")
        }
        return MatchDecision(
            status: .unmatched, id: nil, answer: policy.fallbackReply, score: semantic.map { Double(rounding: $0.score) },
            margin: semantic.map { Double(rounding: $0.margin) }, method: .none, matchedQuestion: nil, rule: nil,
            candidates: semantic?.candidates ?? [], reason: "\(reason); no keyword rule matched")
    }

    private func keywordDecision(_ rule: KeywordRule, semantic: Semantic?, reason: String) -> MatchDecision {
        let (id, answer): (String?, String)
        switch rule.reply {
        case .faq(let faq): (id, answer) = (faq, corpus.entry(id: faq)?.answer ?? policy.fallbackReply)
        case .answer(let text): (id, answer) = (nil, text)
        }
        return MatchDecision(
            status: .keyword, id: id, answer: answer, score: semantic.map { Double(rounding: $0.score) },
            margin: semantic.map { Double(rounding: $0.margin) }, method: .keyword, matchedQuestion: nil, rule: rule.id,
            candidates: semantic?.candidates ?? [], reason: reason)
    }

    private func fmt(_ value: Float) -> String {
        String(Double(rounding: value))
    }
}

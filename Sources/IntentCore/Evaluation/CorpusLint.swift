/// Problems in a corpus that evaluation can see without labeled questions.
public enum CorpusLint {
    public struct Findings: Codable, Sendable {
        /// Paraphrases that, asked as a question against the rest of the corpus, rank another
        /// entry above their own (leave-one-out, with the index's own entry scoring).
        public var strayParaphrases: [Stray]
        /// Paraphrase pairs of different entries that are near-duplicates (cosine ≥ `nearDuplicate`).
        public var nearDuplicates: [NearDuplicate]
        /// Entries with fewer than `minimumParaphrases` paraphrases.
        public var thinEntries: [String]
    }

    public struct Stray: Codable, Sendable {
        public var entry: String
        public var paraphrase: String
        public var ownScore: Double
        public var closerEntry: String
        public var closerParaphrase: String
        public var closerScore: Double
    }

    public struct NearDuplicate: Codable, Sendable {
        public var entryA: String
        public var paraphraseA: String
        public var entryB: String
        public var paraphraseB: String
        public var score: Double
    }

    public static let nearDuplicate: Float = 0.9
    public static let minimumParaphrases = 3

    /// Scores every paraphrase against all others (leave-one-out).
    public static func run(_ matcher: Matcher) async throws -> Findings {
        let corpus = matcher.corpus
        var texts: [String] = []
        var owner: [Int] = []
        for (e, entry) in corpus.entries.enumerated() {
            for q in entry.questions {
                texts.append(q)
                owner.append(e)
            }
        }
        let vectors: EmbeddingMatrix
        if let kept = matcher.corpusVectors {
            vectors = kept
        } else {
            vectors = try await matcher.embedder.embed(texts)
        }
        var strays: [Stray] = []
        var duplicates: [NearDuplicate] = []
        for i in 0..<texts.count {
            let blockScores = matcher.index.blockScores(vectors.row(i))
            let offset = blockScores.offset
            let scores = blockScores.joint.map { $0 - offset }
            for j in (i + 1)..<max(i + 1, texts.count) where owner[j] != owner[i] && scores[j] >= nearDuplicate {
                duplicates.append(
                    NearDuplicate(
                        entryA: corpus.entries[owner[i]].id, paraphraseA: texts[i], entryB: corpus.entries[owner[j]].id,
                        paraphraseB: texts[j], score: Double(rounding: scores[j])))
            }
            var (other, own) = matcher.index.leaveOneOut(row: i, scores: blockScores)
            other?.score -= offset
            own?.score -= offset
            if let other, let own, other.score > own.score {
                strays.append(
                    Stray(
                        entry: corpus.entries[owner[i]].id, paraphrase: texts[i], ownScore: Double(rounding: own.score),
                        closerEntry: corpus.entries[other.entry].id, closerParaphrase: texts[other.paraphrase],
                        closerScore: Double(rounding: other.score)))
            }
        }
        let thin = corpus.entries.filter { $0.questions.count < minimumParaphrases }.map(\.id)
        return Findings(
            strayParaphrases: strays.sorted { $0.closerScore - $0.ownScore > $1.closerScore - $1.ownScore },
            nearDuplicates: duplicates.sorted { $0.score > $1.score }, thinEntries: thin)
    }
}

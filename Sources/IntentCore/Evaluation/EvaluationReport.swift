public import Foundation

/// Everything `intent-service evaluate` measures, in the shape of `report.json`
/// (keys in snake_case). Stable: fields are added, never renamed.
public struct EvaluationReport: Codable, Sendable {
    public struct EntryMetrics: Codable, Sendable {
        public var id: String
        public var support: Int
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// What questions expecting this entry got instead ("(none)": no answer), with counts.
        public var confusedWith: [String: Int]
    }

    public struct ConfusedPair: Codable, Sendable {
        public var expected: String
        public var got: String
        public var count: Int
    }

    public struct ErrorCase: Codable, Sendable {
        public var question: String
        public var expected: String?
        public var got: String?
        public var status: String
        public var score: Double?
        public var margin: Double?
        public var line: Int
    }

    public struct Outcome: Codable, Sendable {
        public var question: String
        public var expected: String?
        public var got: String?
        public var correct: Bool
    }

    /// The figures of the questions in one language (questions that carry `"lang"`).
    public struct LanguageMetrics: Codable, Sendable {
        public var language: String
        public var questions: Int
        public var accuracy: Double
        public var top1: Double
        /// Share of its out-of-scope questions left unanswered (nil: it has none).
        public var oosRecall: Double?
        /// Share of its questions whose language `LanguageDetector` told right (as `/match` reports it).
        public var detected: Double?
        /// Share of its answered questions answered in its own language (an entry's answer in
        /// it, or a default answer given in it too); nil when none was answered.
        public var answeredInLanguage: Double?
    }

    public struct Latency: Codable, Sendable {
        public var p50: Double
        public var p95: Double
    }

    public struct Histogram: Codable, Sendable {
        /// Lower edges of the score bins (width `binWidth`).
        public var bins: [Double]
        public var binWidth: Double
        /// Best-entry scores of questions answered correctly / wrongly by the semantic path.
        public var correct: [Int]
        public var wrong: [Int]
    }

    public var questions: Int
    public var questionsFile: String
    public var corpusVersion: String
    public var embedder: String
    public var generatedAt: String
    public var accuracy: Double
    public var inScopeAccuracy: Double
    public var top1: Double
    public var top3: Double
    public var mrr: Double
    public var macroPrecision: Double
    public var macroRecall: Double
    public var macroF1: Double
    public var oosRecall: Double?
    public var oosPrecision: Double?
    public var falseAcceptRate: Double?
    public var threshold: Double
    public var margin: Double
    /// The served policy's `ownScoreFloor` (nil: none).
    public var ownScoreFloor: Double?
    /// Where `threshold` and `margin` came from: the configuration, or a tune file.
    public var thresholdsFrom: String
    public var recommended: Recommendation
    public var calibration: [CalibrationPoint]
    /// Answered right against answered wrong over the calibration grid, on these questions
    /// (nil in reports written before it was measured).
    public var answerCurve: AnswerCurve?
    public var outcomes: [String: Double]
    public var methods: [String: Double]
    public var latencyMs: Latency
    public var perEntry: [EntryMetrics]
    /// Per language, by language code; nil when no question names its language.
    public var perLanguage: [LanguageMetrics]?
    public var confusedPairs: [ConfusedPair]
    public var scoreHistogram: Histogram
    public var lint: CorpusLint.Findings
    public var errors: [ErrorCase]
    public var results: [Outcome]

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}

extension EvaluationReport {
    /// Computes every metric from the results of one run.
    public init(
        results: [QuestionResult], matcher: Matcher, questionsFile: String, thresholdsFrom: String,
        calibration: Calibration.Result, lint: CorpusLint.Findings
    ) {
        let n = results.count
        let inScope = results.filter { $0.question.expected != nil }
        let outOfScope = results.filter { $0.question.expected == nil }
        func share(_ count: Int, of total: Int) -> Double { total == 0 ? 0 : Self.round(Double(count) / Double(total)) }

        questions = n
        self.questionsFile = questionsFile
        corpusVersion = matcher.corpus.version
        embedder = matcher.embedder.id
        generatedAt = ISO8601DateFormatter().string(from: Date())
        accuracy = share(results.filter(\.isCorrect).count, of: n)
        inScopeAccuracy = share(inScope.filter(\.isCorrect).count, of: inScope.count)
        top1 = share(inScope.filter { $0.rankOfExpected == 1 }.count, of: inScope.count)
        top3 = share(inScope.filter { ($0.rankOfExpected ?? .max) <= 3 }.count, of: inScope.count)
        mrr = inScope.isEmpty ? 0 : Self.round(inScope.reduce(0) { $0 + 1 / Double($1.rankOfExpected ?? .max) } / Double(inScope.count))
        if outOfScope.isEmpty {
            oosRecall = nil
            oosPrecision = nil
            falseAcceptRate = nil
        } else {
            let unansweredOOS = outOfScope.filter { $0.answered == nil }.count
            let unanswered = results.filter { $0.answered == nil }.count
            oosRecall = share(unansweredOOS, of: outOfScope.count)
            oosPrecision = share(unansweredOOS, of: unanswered)
            falseAcceptRate = share(outOfScope.count - unansweredOOS, of: outOfScope.count)
        }
        threshold = Double(rounding: matcher.policy.threshold)
        margin = Double(rounding: matcher.policy.margin)
        ownScoreFloor = matcher.policy.ownScoreFloor.map { Double(rounding: $0) }
        self.thresholdsFrom = thresholdsFrom
        recommended = calibration.recommendation
        self.calibration = calibration.points
        answerCurve = Calibration.answerCurve(results, matcher: matcher)

        var outcomeCounts: [String: Int] = [:]
        var methodCounts: [String: Int] = [:]
        for r in results {
            outcomeCounts[r.decision.status.rawValue, default: 0] += 1
            methodCounts[r.decision.method.rawValue, default: 0] += 1
        }
        outcomes = outcomeCounts.mapValues { share($0, of: n) }
        methods = methodCounts.mapValues { share($0, of: n) }
        let latencies = results.map(\.latencyMilliseconds).sorted()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : Self.round(latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))], places: 3)
        }
        latencyMs = Latency(p50: percentile(0.5), p95: percentile(0.95))

        // Per entry: precision over what it answered, recall over what expected it.
        var entryIDs = Set(inScope.compactMap(\.question.expected))
        entryIDs.formUnion(results.compactMap(\.answered))
        var metrics: [EntryMetrics] = []
        var pairs: [String: Int] = [:]
        for id in entryIDs.sorted() {
            let expecting = results.filter { $0.question.expected == id }
            let predicted = results.filter { $0.answered == id }
            let truePositives = expecting.filter { $0.answered == id }.count
            let precision = predicted.isEmpty ? 0 : Double(truePositives) / Double(predicted.count)
            let recall = expecting.isEmpty ? 0 : Double(truePositives) / Double(expecting.count)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            var confused: [String: Int] = [:]
            for r in expecting where r.answered != id {
                let got = r.answered ?? "(none)"
                confused[got, default: 0] += 1
                pairs["\(id)\u{1}\(got)", default: 0] += 1
            }
            metrics.append(
                EntryMetrics(
                    id: id, support: expecting.count, precision: Self.round(precision), recall: Self.round(recall),
                    f1: Self.round(f1), confusedWith: confused))
        }
        for r in outOfScope where r.answered != nil {
            pairs["(none)\u{1}\(r.answered!)", default: 0] += 1
        }
        perEntry = metrics
        let supported = metrics.filter { $0.support > 0 }
        func macro(_ value: (EntryMetrics) -> Double) -> Double {
            supported.isEmpty ? 0 : Self.round(supported.reduce(0) { $0 + value($1) } / Double(supported.count))
        }
        macroPrecision = macro(\.precision)
        macroRecall = macro(\.recall)
        macroF1 = macro(\.f1)
        confusedPairs = pairs.map { key, count in
            let parts = key.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
            return ConfusedPair(expected: parts[0], got: parts[1], count: count)
        }.sorted { ($0.count, $1.expected, $1.got) > ($1.count, $0.expected, $0.got) }.prefix(20).map { $0 }

        let width = 0.05
        var correctBins = [Int](repeating: 0, count: 20)
        var wrongBins = [Int](repeating: 0, count: 20)
        for r in results {
            guard let score = r.trace.hits?.first?.score, score.isFinite, r.decision.method == .embedding || r.decision.status == .unmatched
            else { continue }
            let bin = min(19, max(0, Int(Double(score) / width)))
            let topID = matcher.corpus.entries[r.trace.hits![0].entry].id
            if topID == r.question.expected { correctBins[bin] += 1 } else { wrongBins[bin] += 1 }
        }
        scoreHistogram = Histogram(
            bins: (0..<20).map { Self.round(Double($0) * width) }, binWidth: width, correct: correctBins, wrong: wrongBins)
        self.lint = lint
        func answered(_ group: [QuestionResult]) -> [QuestionResult] { group.filter { $0.decision.answeredID != nil } }
        let languages = Dictionary(grouping: results.filter { $0.question.language != nil }) { $0.question.language! }
            .sorted { $0.key < $1.key }
            .map { language, group in
                let inScope = group.filter { $0.question.expected != nil }
                let outOfScope = group.filter { $0.question.expected == nil }
                return LanguageMetrics(
                    language: language, questions: group.count, accuracy: share(group.filter(\.isCorrect).count, of: group.count),
                    top1: share(inScope.filter { $0.rankOfExpected == 1 }.count, of: inScope.count),
                    oosRecall: outOfScope.isEmpty ? nil : share(outOfScope.filter(\.isCorrect).count, of: outOfScope.count),
                    detected: share(group.filter { $0.decision.language == language }.count, of: group.count),
                    answeredInLanguage: answered(group).isEmpty
                        ? nil : share(answered(group).filter { $0.decision.answerLanguage == language }.count, of: answered(group).count))
            }
        perLanguage = languages.isEmpty ? nil : languages
        errors = results.filter { !$0.isCorrect }.map {
            ErrorCase(
                question: $0.question.question, expected: $0.question.expected, got: $0.answered,
                status: $0.decision.status.rawValue, score: $0.decision.score, margin: $0.decision.margin,
                line: $0.question.location.line)
        }
        self.results = results.map {
            Outcome(question: $0.question.question, expected: $0.question.expected, got: $0.answered, correct: $0.isCorrect)
        }
    }

    static func round(_ value: Double, places: Double = 4) -> Double {
        let scale = pow(10, places)
        return (value * scale).rounded() / scale
    }
}

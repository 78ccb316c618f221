import Foundation
import IntentCore
import IntentNeural

/// The own-score floor (`MatchPolicy.ownScoreFloor`) with the default multilingual embedder,
/// built as `intent-service` builds it: HWU64's out-of-scope split tuned on `questions-tune` and
/// measured on `questions-test` with and without the floor in the sweep, then every other
/// labeled set at the default policy with each floor of the grid (the floor must do no harm
/// there to be on by default).
///
///   intent-bench floor DATA [MULTILINGUAL_DIR ENGLISH_DIR]   (DATA: ../shared/data)
enum FloorBenchmark {
    static func run(_ args: [String]) async throws {
        let data = args[0]
        let multilingual = try NeuralEmbedder(directory: args.count > 2 ? args[1] : "models/multilingual-e5-small")
        let english = try NeuralEmbedder(directory: args.count > 2 ? args[2] : NeuralEmbedder.defaultDirectory)
        let reader: any Embedder = KnownWordsEmbedder(english, model: english) ?? english
        let parts: [HybridEmbedder.Part] = [
            .init(reader, share: 0.4, baseline: english.unrelatedCosine), .init(multilingual, share: 0.4, baseline: multilingual.unrelatedCosine),
        ]
        let embedder = HybridEmbedder(lexical: LexicalEmbedder(), parts: parts, label: "multilingual")
        let defaults = MatchPolicy(threshold: 0.325, margin: 0.05)

        func load(_ corpusPath: String, _ questionsPath: String) async throws -> (Matcher, [QuestionResult]) {
            let corpus = try CorpusLoader.load(corpusPath)
            let started = Date()
            let vectors = try await embedder.embed(corpus.entries.flatMap(\.questions))
            let matcher = try Matcher(corpus: corpus, embedder: embedder, vectors: vectors, policy: defaults, measuringOwnScores: true)
            let built = Date().timeIntervalSince(started)
            let questions = LabeledQuestions.excludingExamples(try LabeledQuestions.load(questionsPath, corpus: corpus), of: corpus).0
            let results = try await Evaluator.run(matcher, questions: questions)
            print(
                String(
                    format: "%@ → %@: %d questions, matcher with its own-score spread built in %.1f s", corpusPath, questionsPath, results.count,
                    built))
            return (matcher, results)
        }
        func figures(_ results: [QuestionResult], _ matcher: Matcher, _ policy: MatchPolicy) -> String {
            let p = Calibration.point(
                results, policy: policy, entryThresholds: matcher.entryThresholds, outOfScope: matcher.outOfScope,
                floors: matcher.floors(for: policy), ids: matcher.corpus.entries.map(\.id))
            return String(
                format: "accuracy %.1f%%  oos recall %.1f%%  false accepts %.1f%%  answered right %.1f%%  answered wrong %.1f%%",
                p.accuracy * 100, (1 - p.falseAcceptRate) * 100, p.falseAcceptRate * 100, p.coverage * p.precision * 100,
                p.coverage * (1 - p.precision) * 100)
        }
        func describe(_ p: MatchPolicy) -> String {
            "threshold \(p.threshold), margin \(p.margin), floor \(p.ownScoreFloor.map { "\($0)" } ?? "off")"
        }

        // Tuned on one split, measured on the other.
        let (tuneMatcher, tune) = try await load("\(data)/hwu64/oos/corpus-k10.jsonl", "\(data)/hwu64/oos/questions-tune.jsonl")
        let (_, test) = try await load("\(data)/hwu64/oos/corpus-k10.jsonl", "\(data)/hwu64/oos/questions-test.jsonl")
        let points = Calibration.sweep(tune, matcher: tuneMatcher).points
        func best(_ floor: Float??) -> MatchPolicy {
            let kept = points.filter { floor == nil || $0.ownScoreFloor == floor!.map(Double.init) }
            let p = kept.max {
                ($0.accuracy, $0.threshold, $0.margin, $0.ownScoreFloor ?? .infinity) < (
                    $1.accuracy, $1.threshold, $1.margin, $1.ownScoreFloor ?? .infinity
                )
            }!
            return MatchPolicy(threshold: Float(p.threshold), margin: Float(p.margin), ownScoreFloor: p.ownScoreFloor.map(Float.init))
        }
        print("hwu64/oos, tuned on questions-tune, measured on questions-test:")
        for (label, policy) in [("no floor (today)", best(.some(nil))), ("floor swept", best(nil))] {
            print("  \(label.padding(toLength: 18, withPad: " ", startingAt: 0)) \(describe(policy)): \(figures(test, tuneMatcher, policy))")
        }
        for floor in Calibration.ownScoreFloors.compactMap({ $0 }) {
            print("  floor \(floor) fixed      \(describe(best(.some(floor)))): \(figures(test, tuneMatcher, best(.some(floor))))")
        }

        // The defaults on every set, with each floor.
        let sets = [
            ("\(data)/hwu64/oos/corpus-k10.jsonl", "\(data)/hwu64/oos/questions-test.jsonl"),
            ("\(data)/hwu64/corpus-k10.jsonl", "\(data)/hwu64/questions.jsonl"),
            ("\(data)/massive-zh/corpus-k10.jsonl", "\(data)/massive-zh/questions.jsonl"),
            ("corpus", "corpus/eval/questions.jsonl"),
            ("corpus", "corpus/eval/multilingual.jsonl"),
        ]
        for (corpus, questions) in sets {
            let (matcher, results) = corpus.hasSuffix("oos/corpus-k10.jsonl") ? (tuneMatcher, test) : try await load(corpus, questions)
            // The answer curve read at its budgets: the grid without the floor, then with it.
            let plain = try await Matcher.build(corpus: matcher.corpus, embedder: embedder, policy: defaults)
            for (label, m) in [("curve without floor", plain), ("curve with floor   ", matcher)] {
                let curve = Calibration.answerCurve(results, matcher: m)
                let read = curve.atBudgets.map { b in
                    String(format: "≤%.0f%%: %@", b.maxAnsweredWrong * 100, b.best.map { String(format: "%.1f%%", $0.answeredRight * 100) } ?? "-")
                }
                print("\(questions) \(label) answered right at answered wrong \(read.joined(separator: ", "))")
            }
            print("\(questions) at the default policy:")
            for floor in Calibration.ownScoreFloors {
                var policy = defaults
                policy.ownScoreFloor = floor
                print(
                    "  floor \((floor.map { "\($0)" } ?? "off").padding(toLength: 4, withPad: " ", startingAt: 0))  \(figures(results, matcher, policy))"
                )
            }
        }
    }
}

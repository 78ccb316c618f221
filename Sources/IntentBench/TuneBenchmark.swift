import Foundation
import IntentCore

/// Sweeps lexical-embedder parameters one at a time around the defaults and
/// prints, per labeled set, top-1 accuracy and the best overall accuracy any
/// threshold/margin reaches (rules ignored). Development tool: the defaults in
/// `LexicalEmbedder.Parameters` and `MatchPolicy` were chosen with it.
enum TuneBenchmark {
    struct LabeledSet {
        var name: String
        var corpus: Corpus
        var questions: [(text: String, expected: String?)]
    }

    static func run(_ args: [String]) async throws {
        var sets: [LabeledSet] = []
        var i = 0
        while i + 1 < args.count {
            let corpus = try CorpusLoader.load(args[i])
            let questions = try String(contentsOfFile: args[i + 1], encoding: .utf8).split(separator: "\n").map {
                let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
                return (object["question"] as! String, object["expected"] as? String)
            }
            sets.append(LabeledSet(name: (args[i] as NSString).lastPathComponent, corpus: corpus, questions: questions))
            i += 2
        }
        let base = LexicalEmbedder.Parameters()
        var variants: [(String, LexicalEmbedder.Parameters, Float)] = [("defaults", base, VectorIndex.defaultCentroidWeight)]
        func vary(_ label: String, _ change: (inout LexicalEmbedder.Parameters) -> Void) {
            var p = base
            change(&p)
            variants.append((label, p, VectorIndex.defaultCentroidWeight))
        }
        for d in [1024, 4096, 8192, 16384, 65536] { vary("dimension \(d)") { $0.dimension = d } }
        for w in [Float(0), 0.2, 0.5, 0.7] { vary("charNGramWeight \(w)") { $0.charNGramWeight = w } }
        for s in [[3], [2, 3, 4], [3, 4, 5], [4]] { vary("charNGramSizes \(s)") { $0.charNGramSizes = s } }
        for w in [Float(0), 0.25, 1.0] { vary("wordPairWeight \(w)") { $0.wordPairWeight = w } }
        for w in [Float(0.3), 1.0] { vary("cjkCharWeight \(w)") { $0.cjkCharWeight = w } }
        for w in [Float(0.5), 1.5] { vary("cjkPairWeight \(w)") { $0.cjkPairWeight = w } }
        vary("wordWeight 0.5") { $0.wordWeight = 0.5 }
        for w in [Float(0), 0.25, 0.5, 0.75, 1] { variants.append(("centroidWeight \(w)", base, w)) }

        let header = sets.map { "\($0.name.prefix(18)) top1 / best acc (t, m)" }.joined(separator: " | ")
        print("variant".padding(toLength: 28, withPad: " ", startingAt: 0) + header)
        for (label, parameters, centroidWeight) in variants {
            var cells: [String] = []
            for set in sets {
                let embedder = LexicalEmbedder(parameters: parameters)
                let texts = set.corpus.entries.flatMap(\.questions)
                let owner = set.corpus.entries.enumerated().flatMap { e, entry in entry.questions.map { _ in e } }
                let index = VectorIndex(
                    vectors: embedder.embedSynchronously(texts), owner: owner, entryCount: set.corpus.entries.count,
                    weighting: embedder.weighting, centroidWeight: centroidWeight)
                let vectors = embedder.embedSynchronously(set.questions.map(\.text))
                var top1 = 0
                var inScope = 0
                var outcomes: [(s1: Float, margin: Float, top: String?, expected: String?)] = []
                for (row, q) in set.questions.enumerated() {
                    let hits = index.search(vectors.row(row), limit: 2)
                    let top = hits.first.map { set.corpus.entries[$0.entry].id }
                    if q.expected != nil {
                        inScope += 1
                        if top == q.expected { top1 += 1 }
                    }
                    let s1 = hits.first?.score ?? 0
                    outcomes.append((s1, s1 - (hits.count > 1 ? hits[1].score : 0), top, q.expected))
                }
                var best = (acc: 0.0, t: Float(0), m: Float(0))
                for t in stride(from: Float(0.05), through: 0.8, by: 0.025) {
                    for m in [Float(0), 0.01, 0.02, 0.03, 0.05, 0.08] {
                        let correct = outcomes.filter { o in
                            let answered = o.s1 >= t && o.margin >= m ? o.top : nil
                            return answered == o.expected
                        }.count
                        let acc = Double(correct) / Double(outcomes.count)
                        if acc > best.acc { best = (acc, t, m) }
                    }
                }
                cells.append(
                    String(
                        format: "%.4f / %.4f (%.3f, %.2f)", Double(top1) / Double(max(inScope, 1)), best.acc,
                        best.t, best.m))
            }
            print(label.padding(toLength: 28, withPad: " ", startingAt: 0) + cells.joined(separator: "   | "))
        }
    }
}

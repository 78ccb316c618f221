import Foundation
import IntentCore
import IntentNeural

/// How fast and how well the review queue clusters: real customer wordings from labeled files
/// (their labels say which messages are the same question), repeated up to COUNT messages as a
/// busy queue repeats them, clustered by `ReviewClusters` with the lexical embedder and, when
/// the model directories are given, the service's default `multilingual` blend (lexical, the
/// multilingual model and the English one, each model's cosines calibrated by its baseline, as
/// `EmbedderFactory` builds it). Purity: the share of messages whose cluster's most
/// common label is their own (1.0: no cluster mixes questions); clusters per label: how far
/// one question is split (1.0: never); ARI: the adjusted Rand index of clusters against labels
/// (1.0: the labels exactly; 0: no better than chance). With CORPUS=FILE the messages carry the
/// candidates a matcher on that corpus gives them, as the queue's messages do.
enum ReviewBenchmark {
    static func run(_ args: [String]) async throws {
        guard args.count >= 2, let count = Int(args[1]) else {
            print("usage: intent-bench review QUESTIONS.jsonl COUNT [MULTILINGUAL_MODEL_DIR ENGLISH_MODEL_DIR]")
            exit(64)
        }
        let labeled = try String(contentsOfFile: args[0], encoding: .utf8).split(separator: "\n").compactMap { line -> (String, String)? in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let question = object["question"] as? String, let label = object["expected"] as? String
            else { return nil }
            return (question, label)
        }
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let messages = (0..<count).map { i in
            let (text, _) = labeled[i % labeled.count]
            return MatchStatistics.RecentMessage(
                message: text, at: start.addingTimeInterval(Double(i)), status: .unmatched, candidates: [], customer: "c\(i % 997)")
        }
        let labelOf = Dictionary(labeled.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let corpus = try ProcessInfo.processInfo.environment["CORPUS"].map { try CorpusLoader.load($0) }
        var embedders: [(String, any Embedder)] = [("lexical", LexicalEmbedder())]
        if args.count >= 4 {
            let multilingual = try NeuralEmbedder(directory: args[2])
            let english = try NeuralEmbedder(directory: args[3])
            let reader: any Embedder = KnownWordsEmbedder(english, model: english) ?? english
            let parts: [HybridEmbedder.Part] = [
                .init(reader, share: 0.4, baseline: english.unrelatedCosine), .init(multilingual, share: 0.4, baseline: multilingual.unrelatedCosine),
            ]
            embedders.append(("multilingual", HybridEmbedder(lexical: LexicalEmbedder(), parts: parts, label: "multilingual")))
        }
        print(
            "\(count) messages (\(Set(messages.map(\.message)).count) distinct wordings of \(Set(labeled.map(\.1)).count) questions) from \(args[0])")
        let bars =
            ProcessInfo.processInfo.environment["BARS"].map { $0.split(separator: ",").compactMap { Float($0) } } ?? [ReviewClusters.sameQuestion]
        for (embedderName, embedder) in embedders {
            var queue = messages
            if let corpus {
                let matcher = try await Matcher.build(corpus: corpus, embedder: embedder)
                let distinct = Array(Set(messages.map(\.message)))
                let decided = Dictionary(
                    uniqueKeysWithValues: zip(distinct, try await matcher.match(distinct).map(\.candidates)))
                queue = messages.map { message in
                    var message = message
                    message.candidates = decided[message.message] ?? []
                    return message
                }
            }
            for bar in bars {
                let name = "\(embedderName) @\(bar)"
                let began = DispatchTime.now().uptimeNanoseconds
                // MERGE=none turns the second pass off; a number replaces its bar.
                let mergeSetting = ProcessInfo.processInfo.environment["MERGE"]
                let merge = mergeSetting == "none" ? nil : mergeSetting.flatMap(Float.init) ?? ReviewClusters.sameSuggestion
                let clusters = try await ReviewClusters.build(queue, embedder: embedder, sameQuestion: bar, sameSuggestion: merge)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
                var pure = 0
                var clustersOfLabel: [String: Int] = [:]
                for cluster in clusters {
                    var votes: [String: Int] = [:]
                    for message in cluster.messages { votes[labelOf[message.message] ?? "?", default: 0] += 1 }
                    pure += votes.values.max() ?? 0
                    for label in votes.keys { clustersOfLabel[label, default: 0] += 1 }
                }
                let split = Double(clustersOfLabel.values.reduce(0, +)) / Double(max(1, clustersOfLabel.count))
                let ari = adjustedRandIndex(clusters.map { $0.messages.map { labelOf[$0.message] ?? "?" } })
                print(
                    String(
                        format: "  %-24@ %8.2f s  %6d clusters  purity %.3f  clusters per question %.2f  ARI %.3f  largest %d", name as NSString,
                        seconds, clusters.count, Double(pure) / Double(count), split, ari, clusters.first?.messages.count ?? 0))
            }
        }
    }

    /// The adjusted Rand index of a clustering (each cluster: its members' labels) against the labels.
    static func adjustedRandIndex(_ clusters: [[String]]) -> Double {
        func pairs(_ n: Int) -> Double { Double(n) * Double(n - 1) / 2 }
        var byLabel: [String: Int] = [:]
        var together = 0.0
        for cluster in clusters {
            var counts: [String: Int] = [:]
            for label in cluster { counts[label, default: 0] += 1 }
            for (label, n) in counts {
                together += pairs(n)
                byLabel[label, default: 0] += n
            }
        }
        let n = clusters.reduce(0) { $0 + $1.count }
        let sameCluster = clusters.reduce(0.0) { $0 + pairs($1.count) }
        let sameLabel = byLabel.values.reduce(0.0) { $0 + pairs($1) }
        let expected = sameCluster * sameLabel / max(1, pairs(n))
        let best = (sameCluster + sameLabel) / 2
        return best == expected ? 1 : (together - expected) / (best - expected)
    }
}

import Foundation
import IntentCore
import IntentNeural

/// The approximate index search (`IndexSearch.approximate`) against the exact one on real
/// sentence-model vectors, where synthetic clusters would flatter the centroids: the labeled
/// sets' corpora (JSONL, one intent with many wordings per line) cut into entries of 3 to 5
/// wordings each, so several entries of one intent, near duplicates, compete for every query;
/// the queries are the labeled sets' held-out questions. Embedded by the service's default
/// `multilingual` blend (lexical, the multilingual model and the English one, as
/// `EmbedderFactory` builds it), or the lexical embedder alone without model directories.
///
/// Per candidate count (the default, `VectorIndex.approximateCandidates`, then CANDIDATES=N,N,...): recall@10 and top-1 agreement of the approximate search against the
/// exact one (entry ids), median and p99 search time of both, and the intent accuracy of each
/// (the top entry's intent is the question's label). VECTORS=FILE keeps the embedded corpus and
/// questions between runs (the models take minutes on two cores).
enum RealIndexBenchmark {
    static let limit = 10

    static func run(_ args: [String]) async throws {
        guard args.count >= 4, args.count % 2 == 0 else {
            print("usage: intent-bench index-real MULTILINGUAL_MODEL_DIR ENGLISH_MODEL_DIR CORPUS.jsonl QUESTIONS.jsonl [CORPUS QUESTIONS ...]")
            exit(64)
        }
        var entryIntent: [String] = []
        var texts: [String] = []
        var owner: [Int] = []
        var questions: [(text: String, intent: String)] = []
        var random = SplitMix64(seed: 29)
        var k = 2
        while k + 1 < args.count {
            for line in try lines(args[k]) {
                guard let intent = line["id"] as? String, var wordings = line["questions"] as? [String] else { continue }
                wordings.shuffle(using: &random)
                var start = 0
                while start < wordings.count {
                    let size = 3 + Int(random.next() % 3)
                    let group = wordings[start..<min(start + size, wordings.count)]
                    start += group.count
                    owner += group.map { _ in entryIntent.count }
                    texts += group
                    entryIntent.append(intent)
                }
            }
            for line in try lines(args[k + 1]) {
                if let text = line["question"] as? String, let intent = line["expected"] as? String { questions.append((text, intent)) }
            }
            k += 2
        }
        let multilingual = try NeuralEmbedder(directory: args[0])
        let english = try NeuralEmbedder(directory: args[1])
        let reader: any Embedder = KnownWordsEmbedder(english, model: english) ?? english
        let embedder = HybridEmbedder(
            lexical: LexicalEmbedder(),
            parts: [
                .init(reader, share: 0.4, baseline: english.unrelatedCosine),
                .init(multilingual, share: 0.4, baseline: multilingual.unrelatedCosine),
            ], label: "multilingual")
        let all = texts + questions.map(\.text)
        let vectors = try await cachedEmbedding(all, embedder: embedder, file: ProcessInfo.processInfo.environment["VECTORS"])
        var corpus = EmbeddingMatrix(dimension: vectors.dimension, layout: .sparse, reservingRows: texts.count)
        for i in texts.indices {
            var row: [(Int, Float)] = []
            vectors.forEachNonZero(row: i) { row.append(($0, $1)) }
            corpus.append(nonZeros: row)
        }
        let entries = entryIntent.count
        print("\(texts.count) paraphrases in \(entries) entries of 3-5 wordings (\(Set(entryIntent).count) intents), \(questions.count) questions")
        let start = DispatchTime.now().uptimeNanoseconds
        let index = VectorIndex(
            vectors: corpus, owner: owner, entryCount: entries, blocks: embedder.blocks, quantizationThreshold: 0, search: .approximate)
        print(String(format: "index built in %.1f s", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))

        let chosen = VectorIndex.approximateCandidates(limit: limit, entries: entries)
        let counts = [chosen] + (ProcessInfo.processInfo.environment["CANDIDATES"].map { $0.split(separator: ",").compactMap { Int($0) } } ?? [])
        var exactTimes: [Double] = []
        var exactHits: [[EntryHit]] = []
        for q in questions.indices {
            let query = vectors.row(texts.count + q)
            let t0 = DispatchTime.now().uptimeNanoseconds
            exactHits.append(index.prunedSearch(query, limit: limit).hits)
            exactTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        let exactAccuracy = accuracy(exactHits, questions, entryIntent)
        IndexBenchmark.report("exact (pruned)          ", exactTimes)
        print(String(format: "      intent accuracy %.4f", exactAccuracy))
        for count in counts {
            var times: [Double] = []
            var found = 0
            var topOne = 0
            var approximateHits: [[EntryHit]] = []
            for q in questions.indices {
                let query = vectors.row(texts.count + q)
                let t0 = DispatchTime.now().uptimeNanoseconds
                let hits = index.approximateSearch(query, limit: limit, candidates: count).hits
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                found += Set(hits.map(\.entry)).intersection(exactHits[q].map(\.entry)).count
                if hits.first?.entry == exactHits[q].first?.entry { topOne += 1 }
                approximateHits.append(hits)
            }
            let label = "approximate, \(count)\(count == chosen ? " (default)" : "")"
            IndexBenchmark.report(label.padding(toLength: 24, withPad: " ", startingAt: 0), times)
            print(
                String(
                    format: "      recall@%d %.4f, top-1 agreement %.4f, intent accuracy %.4f (%.1f%% of entries rescored)", limit,
                    Double(found) / Double(limit * questions.count),
                    Double(topOne) / Double(questions.count), accuracy(approximateHits, questions, entryIntent),
                    100 * Double(count) / Double(entries)))
        }
    }

    static func accuracy(_ hits: [[EntryHit]], _ questions: [(text: String, intent: String)], _ entryIntent: [String]) -> Double {
        Double(zip(hits, questions).filter { $0.0.first.map { entryIntent[$0.entry] } == $0.1.intent }.count) / Double(questions.count)
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// `texts` embedded, read from `file` when it holds as many rows of the same dimension, else
    /// embedded and written there (non-zeros only: row count, then per row its count and pairs).
    static func cachedEmbedding(_ texts: [String], embedder: any Embedder, file: String?) async throws -> EmbeddingMatrix {
        if let file, let data = FileManager.default.contents(atPath: file) {
            let words = data.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
            if words.count > 2 && Int(words[0]) == texts.count && Int(words[1]) == embedder.dimension {
                var matrix = EmbeddingMatrix(dimension: embedder.dimension, layout: .sparse, reservingRows: texts.count)
                var at = 2
                for _ in texts.indices {
                    let n = Int(words[at])
                    at += 1
                    matrix.append(nonZeros: (0..<n).map { (Int(words[at + 2 * $0]), Float(bitPattern: words[at + 2 * $0 + 1])) })
                    at += 2 * n
                }
                print("vectors read from \(file)")
                return matrix
            }
        }
        let t0 = Date()
        var matrix = EmbeddingMatrix(dimension: embedder.dimension, layout: .sparse, reservingRows: texts.count)
        var batch = 0
        while batch < texts.count {
            let part = try await embedder.embed(Array(texts[batch..<min(batch + 512, texts.count)]))
            for i in 0..<part.count {
                var row: [(Int, Float)] = []
                part.forEachNonZero(row: i) { row.append(($0, $1)) }
                matrix.append(nonZeros: row)
            }
            batch += 512
        }
        print(String(format: "%d texts embedded in %.0f s", texts.count, Date().timeIntervalSince(t0)))
        if let file {
            var words: [UInt32] = [UInt32(texts.count), UInt32(embedder.dimension)]
            for i in 0..<matrix.count {
                var row: [UInt32] = []
                matrix.forEachNonZero(row: i) { row += [UInt32($0), $1.bitPattern] }
                words.append(UInt32(row.count / 2))
                words += row
            }
            _ = FileManager.default.createFile(atPath: file, contents: words.withUnsafeBytes { Data($0) })
        }
        return matrix
    }
}

import Foundation
import IntentCore

/// The vector index at scale: the exact column scan against the pruned search of large
/// indexes (`VectorIndex.quantizationThreshold`), side by side in one run, on synthetic
/// corpora of 5 paraphrases per entry (deterministic: the same data every run).
///
/// Dense vectors stand in for a sentence model's: unit vectors made of a direction every text
/// shares, one per entry and noise, so that unrelated texts have a cosine of about 0.78 and an
/// entry's paraphrases about 0.9 (multilingual-e5-small's range). Each query is a fresh
/// paraphrase of a random entry: its lexical part the embedded text of one of the entry's
/// paraphrases with a word dropped, its model part new noise around the entry.
///
/// Figures per index: search time per query (median, p99) of the column scan (the exact scan
/// every index had before), of the pruned search with each first-pass kernel this CPU runs (the
/// Swift loop it had before, then the C kernels), and of the pruned index's own full scan; per
/// kernel, the first pass alone (median, and the rate it reads the codes at), recall@10 and
/// top-1 agreement against the column scan (entry ids) and entries rescored per query; the
/// approximate search (`IndexSearch.approximate`, the best kernel) with its recall@10 and top-1
/// agreement; bytes per paraphrase (the pruned index's include the approximate search's centroid
/// codes and row postings). INTENT_BENCH_KERNEL=NAME times that first-pass kernel only. Then the lexical embedder alone, whose
/// index always takes the exact scan.
enum IndexBenchmark {
    static let queries = 300
    static let limit = 10

    static func run(rows: Int?, dimension: Int?) {
        let sizes = rows.map { [$0] } ?? [5_000, 100_000]
        let dimension = dimension ?? 384
        print("threshold: pruned search above \(VectorIndex.quantizationThreshold) paraphrases; \(queries) queries, top \(limit)")
        for size in sizes {
            for models in [1, 2] {
                for lexical in models == 1 ? [false, true] : [true] {
                    dense(rows: size, dimension: dimension, models: models, lexical: lexical)
                }
            }
        }
        for size in sizes { lexicalOnly(rows: size) }
    }

    /// The embedders these stand for: `neural` (one model), `hybrid` (lexical 0.2 + one model
    /// 0.8) and the default `multilingual` (lexical 0.2 + two models 0.4 each, with baselines).
    static func dense(rows: Int, dimension: Int, models: Int, lexical: Bool) {
        let entries = rows / 5
        var random = SplitMix64(seed: 17)
        let embedder = LexicalEmbedder()
        var blocks: [EmbeddingBlock] = []
        if lexical { blocks.append(EmbeddingBlock(dimension: embedder.dimension, weighting: .inverseDocumentFrequency, share: 0.2)) }
        let modelShare: Float = lexical ? 0.8 / Float(models) : 1
        for _ in 0..<models {
            blocks.append(
                EmbeddingBlock(dimension: dimension, weighting: .none, share: modelShare, carriesConfidence: lexical, baseline: lexical ? 0.78 : 0))
        }
        let name = lexical ? (models == 1 ? "hybrid (lexical + 1 model)" : "multilingual (lexical + 2 models)") : "neural (1 model)"
        let total = blocks.reduce(0) { $0 + $1.dimension }
        let corpus = lexical ? SpeedBenchmark.syntheticCorpus(entries: entries, paraphrases: 5, random: &random) : nil
        let texts = corpus.map { $0.entries.flatMap(\.questions) } ?? []
        let words = lexical ? embedder.embedSynchronously(texts) : nil
        let spaces = (0..<models).map { _ in ModelSpace(entries: entries, dimension: dimension, random: &random) }

        var matrix = EmbeddingMatrix(dimension: total, layout: .sparse, reservingRows: rows)
        var owner: [Int] = []
        var row = [(Int, Float)]()
        for e in 0..<entries {
            for p in 0..<5 {
                row.removeAll(keepingCapacity: true)
                if let words { words.forEachNonZero(row: e * 5 + p) { row.append(($0, $1)) } }
                var start = lexical ? embedder.dimension : 0
                for space in spaces {
                    for (f, x) in space.paraphrase(of: e, random: &random).enumerated() { row.append((start + f, x)) }
                    start += dimension
                }
                matrix.append(nonZeros: row)
                owner.append(e)
            }
        }
        let queryVectors = (0..<queries).map { _ in
            let e = Int(random.next() % UInt64(entries))
            var vector: [Float] = []
            if let corpus {
                var text = corpus.entries[e].questions[Int(random.next() % 5)].split(separator: " ")
                if text.count > 3 { text.remove(at: Int(random.next() % UInt64(text.count))) }
                vector = embedder.vector(for: text.joined(separator: " "))
            }
            for space in spaces { vector += space.paraphrase(of: e, random: &random) }
            return vector
        }

        let start = DispatchTime.now().uptimeNanoseconds
        let columns = VectorIndex(vectors: matrix, owner: owner, entryCount: entries, blocks: blocks, quantizationThreshold: .max)
        let built = DispatchTime.now().uptimeNanoseconds
        // Below the threshold too, to compare (`search` itself would take the exact scan there);
        // with the approximate search's centroids, so both searches run on one index.
        let pruned = VectorIndex(
            vectors: matrix, owner: owner, entryCount: entries, blocks: blocks, quantizationThreshold: 0, search: .approximate)
        let end = DispatchTime.now().uptimeNanoseconds
        print("\n\(name), \(rows) paraphrases, \(entries) entries, model dimension \(dimension)")
        print(String(format: "  build: column index %.1f s, pruned index %.1f s", Double(built - start) / 1e9, Double(end - built) / 1e9))

        // Every first-pass kernel this CPU runs, the Swift loop first (what the pruned search
        // used before the C kernels): each query runs through all of them in turn, so noise from
        // other processes hits them alike.
        let kernels = onlyKernel.map { [$0] } ?? FirstPassKernel.allCases.filter(\.isAvailable)
        var exactTimes: [Double] = []
        var exactHits: [[EntryHit]] = []
        var fullTimes: [Double] = []
        var prunedTimes = [[Double]](repeating: [], count: kernels.count)
        var passTimes = [[Double]](repeating: [], count: kernels.count)
        var found = [Int](repeating: 0, count: kernels.count)
        var topOne = [Int](repeating: 0, count: kernels.count)
        var candidates = [Int](repeating: 0, count: kernels.count)
        var approximateTimes: [Double] = []
        var approximateFound = 0
        var approximateTopOne = 0
        var approximateCandidates = 0
        var sink: Float = 0
        func time<T>(_ body: () -> T) -> (T, Double) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let result = body()
            return (result, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        for query in queryVectors {
            let (exact, exactTime) = time { columns.search(query[...], limit: limit) }
            exactTimes.append(exactTime)
            exactHits.append(exact)
            for (k, kernel) in kernels.enumerated() {
                let ((hits, rescored), prunedTime) = time { pruned.prunedSearch(query[...], limit: limit, kernel: kernel) }
                prunedTimes[k].append(prunedTime)
                found[k] += Set(hits.map(\.entry)).intersection(exact.map(\.entry)).count
                if hits.first?.entry == exact.first?.entry { topOne[k] += 1 }
                candidates[k] += rescored
                let (score, passTime) = time { pruned.firstPassOnly(query[...], kernel: kernel) }
                sink += score
                passTimes[k].append(passTime)
            }
            fullTimes.append(time { pruned.exactSearch(query[...], limit: limit) }.1)
            let ((hits, rescored), approximateTime) = time {
                pruned.approximateSearch(query[...], limit: limit)
            }
            approximateTimes.append(approximateTime)
            approximateFound += Set(hits.map(\.entry)).intersection(exact.map(\.entry)).count
            if hits.first?.entry == exact.first?.entry { approximateTopOne += 1 }
            approximateCandidates += rescored
        }
        report("  exact column scan      ", exactTimes)
        if rows <= VectorIndex.quantizationThreshold {
            print("  (below the threshold: `search` takes the exact scan; the pruned index is built here to compare)")
        }
        if pruned.searchesPruned {
            let megabytes = Double(pruned.firstPassBytes) / 1e6
            for (k, kernel) in kernels.enumerated() {
                let label = "  pruned (\(kernel.rawValue))".padding(toLength: 25, withPad: " ", startingAt: 0)
                let pass = median(passTimes[k])
                report(label, prunedTimes[k])
                print(
                    String(
                        format:
                            "      first pass alone %.2f ms median (%.1f MB of codes, %.1f GB/s); recall@%d %.4f, top-1 %.4f, entries rescored %.0f of %d",
                        pass, megabytes, megabytes / pass, limit, Double(found[k]) / Double(limit * queries),
                        Double(topOne[k]) / Double(queries), Double(candidates[k]) / Double(queries), entries))
            }
            report("  pruned index, full scan", fullTimes)
            report("  approximate            ", approximateTimes)
            print(
                String(
                    format: "      recall@%d %.4f, top-1 %.4f, entries rescored %.0f of %d; centroids %d bytes per paraphrase",
                    limit, Double(approximateFound) / Double(limit * queries), Double(approximateTopOne) / Double(queries),
                    Double(approximateCandidates) / Double(queries), entries, pruned.centroidBytes / max(pruned.count, 1)))
            approximateCandidateCounts(pruned, queryVectors, exact: exactHits)
            if models > 1 { approximateShortlists(pruned, queryVectors, exact: exactHits) }
        }
        if sink.isNaN { print("(first-pass checksum \(sink))") }
        let approximateBytes = pruned.approximateSearchBytes / max(pruned.count, 1)
        print(
            "  bytes per paraphrase: column index \(bytes(columns)), pruned index \(bytes(pruned) - approximateBytes) (exact search), \(bytes(pruned)) with the approximate search's"
        )
    }

    /// With two models the approximate pass reads one and scores a shortlist in both: its
    /// default size (`approximateShortlist`) against 10 and 40 × the candidates and every entry
    /// (both models read for all): the recall each buys and what it costs.
    static func approximateShortlists(_ index: VectorIndex, _ queries: [[Float]], exact: [[EntryHit]]) {
        let candidates = VectorIndex.approximateCandidates(limit: limit, entries: index.entryCount)
        let standard = VectorIndex.approximateShortlist(candidates: candidates) / candidates
        for factor in [standard, 10, 40, index.entryCount / candidates] {
            var times: [Double] = []
            var found = 0
            for (q, query) in queries.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let hits = index.approximateSearch(query[...], limit: limit, shortlist: factor * candidates).hits
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                found += Set(hits.map(\.entry)).intersection(exact[q].map(\.entry)).count
            }
            let label = "    shortlist \(factor * candidates)\(factor == standard ? " (default)" : "")"
            report(label.padding(toLength: 29, withPad: " ", startingAt: 0), times)
            print(String(format: "      recall@%d %.4f", limit, Double(found) / Double(limit * queries.count)))
        }
    }

    /// How many entries the approximate search rescores exactly: the default
    /// (`approximateCandidates`) against half and twice as many, the shortlist kept at the
    /// default's: the recall each buys and what it costs.
    static func approximateCandidateCounts(_ index: VectorIndex, _ queries: [[Float]], exact: [[EntryHit]]) {
        let standard = VectorIndex.approximateCandidates(limit: limit, entries: index.entryCount)
        let shortlist = VectorIndex.approximateShortlist(candidates: standard)
        for count in [standard, standard / 2, standard * 2] {
            var times: [Double] = []
            var found = 0
            for (q, query) in queries.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let hits = index.approximateSearch(query[...], limit: limit, candidates: count, shortlist: shortlist).hits
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                found += Set(hits.map(\.entry)).intersection(exact[q].map(\.entry)).count
            }
            let label = "    candidates \(count)\(count == standard ? " (default)" : "")"
            report(label.padding(toLength: 29, withPad: " ", startingAt: 0), times)
            print(String(format: "      recall@%d %.4f", limit, Double(found) / Double(limit * queries.count)))
        }
    }

    /// `INTENT_BENCH_KERNEL`: time the pruned search with this first-pass kernel only (a shorter run).
    static let onlyKernel = ProcessInfo.processInfo.environment["INTENT_BENCH_KERNEL"].flatMap(FirstPassKernel.init(rawValue:))

    static func median(_ milliseconds: [Double]) -> Double { milliseconds.sorted()[milliseconds.count / 2] }

    /// The lexical embedder alone on synthetic text: always the exact scan (postings and
    /// the columns of common features).
    static func lexicalOnly(rows: Int) {
        var random = SplitMix64(seed: 23)
        let embedder = LexicalEmbedder()
        let corpus = SpeedBenchmark.syntheticCorpus(entries: rows / 5, paraphrases: 5, random: &random)
        let vectors = embedder.embedSynchronously(corpus.entries.flatMap(\.questions))
        let owner = corpus.entries.indices.flatMap { [Int](repeating: $0, count: 5) }
        let index = VectorIndex(vectors: vectors, owner: owner, entryCount: corpus.entries.count, blocks: embedder.blocks)
        let queryVectors = (0..<queries).map { _ in
            embedder.vector(for: SpeedBenchmark.sentence(words: 4 + Int(random.next() % 14), random: &random))
        }
        var times: [Double] = []
        for query in queryVectors {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = index.search(query[...], limit: limit)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        print("\nlexical, \(rows) paraphrases (exact scan)")
        report("  exact scan             ", times)
        print("  bytes per paraphrase: \(bytes(index))")
    }

    /// Vector bytes per paraphrase, with its owner entry (4 bytes).
    static func bytes(_ index: VectorIndex) -> Int { index.vectorBytes / max(index.count, 1) + MemoryLayout<Int32>.size }

    static func report(_ label: String, _ milliseconds: [Double]) {
        let sorted = milliseconds.sorted()
        let median = sorted[sorted.count / 2]
        let p99 = sorted[Int(Double(sorted.count - 1) * 0.99)]
        print(String(format: "%@: median %.2f ms, p99 %.2f ms", label, median, p99))
    }

    /// A stand-in for one sentence model's space: a shared direction and one per entry.
    struct ModelSpace {
        let shared: [Float]
        let topics: [[Float]]

        init(entries: Int, dimension: Int, random: inout SplitMix64) {
            shared = Self.unitGaussian(dimension, random: &random)
            topics = (0..<entries).map { _ in Self.unitGaussian(dimension, random: &random) }
        }

        /// A unit vector at cosine ≈ 0.78 from other entries' and 0.9 from its own entry's.
        func paraphrase(of entry: Int, random: inout SplitMix64) -> [Float] {
            let noise = Self.unitGaussian(shared.count, random: &random)
            let topic = topics[entry]
            var v = (0..<shared.count).map { 0.883 * shared[$0] + 0.346 * topic[$0] + 0.316 * noise[$0] }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for f in v.indices { v[f] /= norm }
            return v
        }

        static func unitGaussian(_ n: Int, random: inout SplitMix64) -> [Float] {
            var v = (0..<n).map { _ -> Float in
                let u = Float(random.next() % (1 << 24) + 1) / Float(1 << 24)
                let w = Float(random.next() % (1 << 24)) / Float(1 << 24)
                return (-2 * log(u)).squareRoot() * cos(2 * .pi * w)
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for f in v.indices { v[f] /= norm }
            return v
        }
    }
}

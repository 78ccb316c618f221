import Foundation
import IntentCore

/// The core's speed and memory targets, on a synthetic corpus: domain words and
/// a long tail of pseudo-words drawn with Zipf frequencies, 20% Chinese
/// (deterministic: the same corpus every run).
///
/// Figures: embedding a 20-word message; deciding a match on 1,000 entries x 5
/// paraphrases (median and p99 over many messages); loading and embedding a
/// 10,000-paraphrase corpus; bytes of index per paraphrase.
enum SpeedBenchmark {
    static func run(dimension: Int? = nil) async throws {
        var random = SplitMix64(seed: 42)
        let message20 =
            "hello i ordered a blue jacket last week and i would like to know when it will arrive in berlin"
        var parameters = LexicalEmbedder.Parameters()
        if let dimension { parameters.dimension = dimension }
        let embedder = LexicalEmbedder(parameters: parameters)
        print("embedder: \(embedder.id)")
        print("message words: \(message20.split(separator: " ").count)")

        // 1. Embedding one 20-word message.
        let embedTimes = measure(repetitions: 20_000) { _ = embedder.vector(for: message20) }
        report("embed 20-word message", embedTimes)
        let cjk = "你好，我上周买了一件蓝色的夹克，想知道什么时候能寄到柏林的地址，谢谢"
        report("embed 35-char Chinese message", measure(repetitions: 20_000) { _ = embedder.vector(for: cjk) })

        // 2. Deciding on 1,000 entries x 5 paraphrases.
        let corpus = syntheticCorpus(entries: 1_000, paraphrases: 5, random: &random)
        let matcher = try await Matcher.build(corpus: corpus, embedder: embedder)
        let queries = (0..<2_000).map { _ in sentence(words: 4 + Int(random.next() % 14), random: &random) }
        var q = 0
        let decideTimes = try await measureAsync(repetitions: 10_000) {
            _ = try await matcher.match(queries[q % queries.count])
            q += 1
        }
        report("match on 1,000 x 5 (embed + score + decide)", decideTimes)
        let long = queries.filter { $0.split(separator: " ").count >= 16 }
        q = 0
        report(
            "match, 16-17 word messages only",
            try await measureAsync(repetitions: 5_000) {
                _ = try await matcher.match(long[q % long.count])
                q += 1
            })

        // 3. Loading and embedding 10,000 paraphrases (from a JSONL file on disk).
        let big = syntheticCorpus(entries: 2_000, paraphrases: 5, random: &random)
        let path = NSTemporaryDirectory() + "intent-bench-\(getpid()).jsonl"
        try writeJSONL(big, to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let start = DispatchTime.now().uptimeNanoseconds
        let loaded = try CorpusLoader.load(path)
        let loadedAt = DispatchTime.now().uptimeNanoseconds
        let bigMatcher = try await Matcher.build(corpus: loaded, embedder: embedder)
        let end = DispatchTime.now().uptimeNanoseconds
        print(
            String(
                format: "load + embed + index 10,000 paraphrases: %.3f s (load %.3f s, embed and index %.3f s)",
                Double(end - start) / 1e9, Double(loadedAt - start) / 1e9, Double(end - loadedAt) / 1e9))

        // 4. Memory: the index holds at most `dimension` floats per paraphrase, whatever the vocabulary.
        let bytes = bigMatcher.index.vectorBytes / bigMatcher.index.count + MemoryLayout<Int32>.size
        print("index bytes per paraphrase: \(bytes) (vectors of dimension \(bigMatcher.index.dimension), stored sparse where sparse)")
        print("resident memory now: \(residentMegabytes()) MB")
    }

    // MARK: - Synthetic data

    static let words = """
        order parcel package shipping delivery refund return exchange payment card coupon discount account password \
        size colour jacket shoes bag warranty repair store hours agent customs duty tax invoice address country \
        express tracking cancel change wrong damaged broken late fast free price sale gift balance wholesale cotton \
        wash dryer stock available week month day today tomorrow please help need want know when where how what \
        my the a is can i you do we it to for of in on with and or not why which again still already
        """.split(separator: " ").map(String.init)
    static let hanzi = Array("订单包裹物流快递退款退货换货付款优惠码账号密码尺码颜色保修维修门店客服关税发票地址国家加急取消修改破损价格礼品卡批发棉洗烘干库存")

    /// The vocabulary of synthetic text: the domain words above, then 3,000 pseudo-words
    /// built from syllables, so that a corpus has a realistic long tail of rare words.
    static let vocabulary: [String] = {
        let syllables = ["ka", "lo", "mi", "ren", "sto", "vel", "dar", "pin", "qua", "zeb", "tor", "ish", "ung", "ble", "fra"]
        var random = SplitMix64(seed: 3)
        var seen = Set(words)
        var list = words
        while list.count < words.count + 3_000 {
            let n = 2 + Int(random.next() % 3)
            let word = (0..<n).map { _ in syllables[Int(random.next() % UInt64(syllables.count))] }.joined()
            if seen.insert(word).inserted { list.append(word) }
        }
        return list
    }()

    /// Cumulative Zipf (s = 1) weights over `vocabulary`: word frequencies as in natural text.
    static let zipf: [Double] = {
        var total = 0.0
        return vocabulary.indices.map { rank in
            total += 1 / Double(rank + 1)
            return total
        }
    }()

    static func sentence(words count: Int, random: inout SplitMix64) -> String {
        if random.next() % 5 == 0 {
            return String((0..<(count + 4)).map { _ in hanzi[Int(random.next() % UInt64(hanzi.count))] })
        }
        return (0..<count).map { _ in
            let x = Double(random.next() % 1_000_000) / 1_000_000 * zipf[zipf.count - 1]
            var low = 0
            var high = zipf.count - 1
            while low < high {
                let mid = (low + high) / 2
                if zipf[mid] < x { low = mid + 1 } else { high = mid }
            }
            return vocabulary[low]
        }.joined(separator: " ")
    }

    static func syntheticCorpus(entries: Int, paraphrases: Int, random: inout SplitMix64) -> Corpus {
        var seen: Set<String> = []
        let list = (0..<entries).map { e in
            var questions: [String] = []
            while questions.count < paraphrases {
                let s = sentence(words: 5 + Int(random.next() % 8), random: &random) + " \(e)"
                if seen.insert(s).inserted { questions.append(s) }
            }
            return FAQEntry(id: "faq\(e)", questions: questions, answer: "answer \(e)")
        }
        return Corpus(entries: list)
    }

    static func writeJSONL(_ corpus: Corpus, to path: String) throws {
        var text = ""
        for entry in corpus.entries {
            let object: [String: Any] = ["id": entry.id, "questions": entry.questions, "answer": entry.answer]
            text += String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    // MARK: - Timing

    static func measure(repetitions: Int, _ body: () -> Void) -> [Double] {
        for _ in 0..<min(repetitions / 10, 1_000) { body() }
        return (0..<repetitions).map { _ in
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000
        }
    }

    static func measureAsync(repetitions: Int, _ body: () async throws -> Void) async rethrows -> [Double] {
        for _ in 0..<min(repetitions / 10, 500) { try await body() }
        var times: [Double] = []
        for _ in 0..<repetitions {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try await body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
        }
        return times
    }

    static func report(_ label: String, _ microseconds: [Double]) {
        let sorted = microseconds.sorted()
        let median = sorted[sorted.count / 2]
        let p99 = sorted[Int(Double(sorted.count - 1) * 0.99)]
        print(String(format: "%@: median %.1f µs, p99 %.1f µs (n=%d)", label, median, p99, sorted.count))
    }

    static func residentMegabytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kb = Int(line.split(separator: " ")[1])
        else { return -1 }
        return kb / 1024
    }
}

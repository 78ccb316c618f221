// intent-bench: speed, memory and accuracy-tuning figures for the matching core.
//
//   swift run -c release intent-bench speed [DIMENSION] core speed and memory targets (lexical dimension)
//   swift run -c release intent-bench tune CORPUS QUESTIONS [CORPUS QUESTIONS ...]
//                                                      lexical parameter sweep (top-1, best accuracy)
//   swift run -c release intent-bench corpus ENTRIES PARAPHRASES FILE
//                                                      write a synthetic JSONL corpus (load tests)
//   swift run -c release intent-bench neural [MODEL_DIR [KERNEL]]
//                                                      neural embedder speed and memory, every linear kernel
//                                                      (or only KERNEL: blas, lanes, int8)
//   swift run -c release intent-bench encode CORPUS [COUNT]
//                                                      the default embedder's models at batch speed on a
//                                                      corpus's paraphrases (what import should reach per core)
//                                                      this CPU runs side by side (default models/all-MiniLM-L6-v2)
//   swift run -c release intent-bench review QUESTIONS COUNT [MULTILINGUAL_DIR ENGLISH_DIR]
//                                                      the review queue's clustering: time, purity, splits
//   swift run -c release intent-bench index [ROWS [DIMENSION]]
//                                                      the vector index at 5,000 and 100,000 paraphrases (or ROWS):
//                                                      exact column scan against the pruned search, side by side
//                                                      (time per query, recall@10, bytes per paraphrase)
//   swift run -c release intent-bench floor DATA [MULTILINGUAL_DIR ENGLISH_DIR]
//                                                      the own-score floor with the default embedder: HWU64
//                                                      out-of-scope tuned with and without it, every set at the defaults
//   swift run -c release intent-bench index-real MULTILINGUAL_DIR ENGLISH_DIR CORPUS QUESTIONS [CORPUS QUESTIONS ...]
//                                                      the approximate index search against the exact one on real
//                                                      vectors: labeled corpora cut into entries of 3-5 wordings
//   swift run -c release intent-bench messages COUNT   print synthetic messages, one per line
//   swift run -c release intent-bench labeled CORPUS COUNT
//                                                      print labeled questions for a synthetic corpus
//
// Run it pinned to one core for the "one core" figures: `taskset -c 0 .build/release/intent-bench speed`.
import Foundation
import IntentCore
import IntentNeural

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "speed":
    try await SpeedBenchmark.run(dimension: arguments.count > 1 ? Int(arguments[1]) : nil)
case "index":
    IndexBenchmark.run(rows: arguments.count > 1 ? Int(arguments[1]) : nil, dimension: arguments.count > 2 ? Int(arguments[2]) : nil)
case "index-real":
    try await RealIndexBenchmark.run(Array(arguments.dropFirst()))
case "neural":
    try NeuralBenchmark.run(
        directory: arguments.count > 1 ? arguments[1] : NeuralEmbedder.defaultDirectory,
        only: arguments.count > 2 ? LinearKernel(rawValue: arguments[2]) : nil)
case "encode" where arguments.count >= 2:
    try EncodeBenchmark.run(Array(arguments.dropFirst()))
case "tune":
    try await TuneBenchmark.run(Array(arguments.dropFirst()))
case "review":
    try await ReviewBenchmark.run(Array(arguments.dropFirst()))
case "floor" where arguments.count >= 2:
    try await FloorBenchmark.run(Array(arguments.dropFirst()))
case "corpus" where arguments.count == 4:
    var random = SplitMix64(seed: 7)
    let corpus = SpeedBenchmark.syntheticCorpus(entries: Int(arguments[1])!, paraphrases: Int(arguments[2])!, random: &random)
    try SpeedBenchmark.writeJSONL(corpus, to: arguments[3])
case "labeled" where arguments.count == 3:
    // Questions for the corpus written by `corpus`: paraphrases with one word dropped, and
    // one in ten out of scope (fresh synthetic text, expected null).
    var random = SplitMix64(seed: 13)
    let corpus = try CorpusLoader.load(arguments[1])
    var lines = ""
    for i in 0..<Int(arguments[2])! {
        var object: [String: Any] = [:]
        if i % 10 == 9 {
            object = ["question": SpeedBenchmark.sentence(words: 6, random: &random), "expected": NSNull()]
        } else {
            let entry = corpus.entries[Int(random.next() % UInt64(corpus.entries.count))]
            var words = entry.questions[Int(random.next() % UInt64(entry.questions.count))].split(separator: " ")
            if words.count > 3 { words.remove(at: Int(random.next() % UInt64(words.count))) }
            object = ["question": words.joined(separator: " "), "expected": entry.id]
        }
        lines += String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
    }
    print(lines, terminator: "")
case "messages" where arguments.count == 2:
    var random = SplitMix64(seed: 11)
    for _ in 0..<Int(arguments[1])! { print(SpeedBenchmark.sentence(words: 4 + Int(random.next() % 12), random: &random)) }
default:
    print(
        "usage: intent-bench speed [DIMENSION] | neural [MODEL_DIR [KERNEL]] | encode CORPUS [COUNT] | tune CORPUS QUESTIONS [CORPUS QUESTIONS ...] | review QUESTIONS COUNT [MULTILINGUAL_DIR ENGLISH_DIR] | floor DATA [MULTILINGUAL_DIR ENGLISH_DIR] | index [ROWS [DIMENSION]] | index-real MULTILINGUAL_DIR ENGLISH_DIR CORPUS QUESTIONS [CORPUS QUESTIONS ...] | corpus ENTRIES PARAPHRASES FILE | messages COUNT | labeled CORPUS COUNT"
    )
    exit(64)
}

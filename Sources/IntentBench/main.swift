// intent-bench: speed, memory and accuracy-tuning figures for the matching core.
//
//   swift run -c release intent-bench speed [DIMENSION] core speed and memory targets (lexical dimension)
//   swift run -c release intent-bench tune CORPUS QUESTIONS [CORPUS QUESTIONS ...]
//                                                      lexical parameter sweep (top-1, best accuracy)
//   swift run -c release intent-bench corpus ENTRIES PARAPHRASES FILE
//                                                      write a synthetic JSONL corpus (load tests)
//   swift run -c release intent-bench messages COUNT   print synthetic messages, one per line
//
// Run it pinned to one core for the "one core" figures: `taskset -c 0 .build/release/intent-bench speed`.
import Foundation
import IntentCore

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "speed":
    try await SpeedBenchmark.run(dimension: arguments.count > 1 ? Int(arguments[1]) : nil)
case "tune":
    try await TuneBenchmark.run(Array(arguments.dropFirst()))
case "corpus" where arguments.count == 4:
    var random = SplitMix(seed: 7)
    let corpus = SpeedBenchmark.syntheticCorpus(entries: Int(arguments[1])!, paraphrases: Int(arguments[2])!, random: &random)
    try SpeedBenchmark.writeJSONL(corpus, to: arguments[3])
case "messages" where arguments.count == 2:
    var random = SplitMix(seed: 11)
    for _ in 0..<Int(arguments[1])! { print(SpeedBenchmark.sentence(words: 4 + Int(random.next() % 12), random: &random)) }
default:
    print(
        "usage: intent-bench speed [DIMENSION] | tune CORPUS QUESTIONS [CORPUS QUESTIONS ...] | corpus ENTRIES PARAPHRASES FILE | messages COUNT")
    exit(64)
}

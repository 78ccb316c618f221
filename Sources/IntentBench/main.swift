// intent-bench: speed, memory and accuracy-tuning figures for the matching core.
//
//   swift run -c release intent-bench speed            core speed and memory targets
//   swift run -c release intent-bench tune CORPUS QUESTIONS [CORPUS QUESTIONS ...]
//                                                      lexical parameter sweep (top-1, best accuracy)
//
// Run it pinned to one core for the "one core" figures: `taskset -c 0 .build/release/intent-bench speed`.
import Foundation
import IntentCore

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "speed":
    try await SpeedBenchmark.run()
case "tune":
    try await TuneBenchmark.run(Array(arguments.dropFirst()))
default:
    print("usage: intent-bench speed | intent-bench tune CORPUS QUESTIONS [CORPUS QUESTIONS ...]")
    exit(64)
}

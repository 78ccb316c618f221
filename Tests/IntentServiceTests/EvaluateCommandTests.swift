import Foundation
import Testing

/// `intent-service evaluate` end to end on the shipped corpus and evaluation set.
@Suite struct EvaluateCommandTests {
    let cli = MatchCommandTests()

    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "intent-eval-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func jsonHasTheStableTopLevelKeys() async throws {
        let r = try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in [
            "questions", "accuracy", "in_scope_accuracy", "top1", "top3", "mrr", "macro_f1", "oos_recall", "oos_precision",
            "false_accept_rate", "threshold", "margin", "recommended", "per_entry", "latency_ms",
        ] {
            #expect(report.keys.contains(key), "missing \(key)")
        }
        #expect(report["questions"] as? Int ?? 0 >= 200)
        let recommended = try #require(report["recommended"] as? [String: Any])
        #expect(recommended.keys.contains("best_accuracy"))
        #expect((recommended["config_snippet"] as? String)?.contains("threshold:") == true)
    }

    @Test func minAccuracyIsAQualityGate() async throws {
        #expect(try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl", "--min-accuracy", "0.5"]).status == 0)
        let failing = try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl", "--min-accuracy", "0.999"])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("is below --min-accuracy 0.999"))
    }

    @Test func reportDirectoryHoldsAllFourFiles() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl", "--report", dir])
        #expect(r.status == 0, "\(r.stderr)")
        for file in ["report.json", "report.md", "errors.jsonl", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file)"), "missing \(file)")
        }
        let errors = try String(contentsOfFile: "\(dir)/errors.jsonl", encoding: .utf8).split(separator: "\n")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(errors[0].utf8)) as? [String: Any])
        #expect(first.keys.contains("question") && first.keys.contains("expected") && first.keys.contains("score"))

        // The same report as a baseline: nothing changed, nothing regressed.
        let again = try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl", "--baseline", "\(dir)/report.json"])
        #expect(again.stdout.contains("0 questions went from right to wrong, 0 from wrong to right"))
    }

    @Test func tuneSplitChoosesThePolicyAndSaysSo() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lines = try String(contentsOfFile: MatchCommandTests.root.path + "/corpus/eval/questions.jsonl", encoding: .utf8)
            .split(separator: "\n")
        try lines.enumerated().filter { $0.offset % 2 == 0 }.map { String($0.element) }.joined(separator: "\n")
            .write(toFile: "\(dir)/tune.jsonl", atomically: true, encoding: .utf8)
        try lines.enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }.joined(separator: "\n")
            .write(toFile: "\(dir)/test.jsonl", atomically: true, encoding: .utf8)
        let r = try await cli.run(["evaluate", "--questions", "\(dir)/test.jsonl", "--tune", "\(dir)/tune.jsonl", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((report["thresholds_from"] as? String)?.contains("tune.jsonl") == true)
        let best = try #require((report["recommended"] as? [String: Any])?["best_accuracy"] as? [String: Any])
        #expect(best["threshold"] as? Double == report["threshold"] as? Double)
    }

    @Test func applyWritesTheRecommendationIntoTheConfig() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "# mine\nport: 9000\nthreshold: 0.9\n".write(toFile: "\(dir)/c.yaml", atomically: true, encoding: .utf8)
        let r = try await cli.run(["evaluate", "--questions", "corpus/eval/questions.jsonl", "--config", "\(dir)/c.yaml", "--apply"])
        #expect(r.status == 0, "\(r.stderr)")
        let config = try String(contentsOfFile: "\(dir)/c.yaml", encoding: .utf8)
        #expect(config.hasPrefix("# mine\nport: 9000\nthreshold: "))
        #expect(!config.contains("threshold: 0.9\n"))
        #expect(config.contains("margin: "))
    }

    @Test func anInvalidFlowFileStopsBeforeAnythingRuns() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = "\(dir)/corpus"
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
        try #"{"id": "hours", "questions": ["when are you open"], "answer": "9-18"}"#.write(
            toFile: "\(corpus)/faq.jsonl", atomically: true, encoding: .utf8)
        try "flows:\n  f:\n    trigger: {api: true}\n    start: nowhere\n    steps:\n      s: {say: Hi, end: true}\n".write(
            toFile: "\(corpus)/flows.yaml", atomically: true, encoding: .utf8)
        try #"{"question": "open?", "expected": "hours"}"#.write(toFile: "\(dir)/q.jsonl", atomically: true, encoding: .utf8)
        let r = try await cli.run(["evaluate", "--questions", "\(dir)/q.jsonl", "--corpus", corpus, "--embedder", "lexical"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("flows.yaml:2: flows.f.start: 'nowhere' is not a step of the flow; steps: s"), "\(r.stderr)")
    }

    @Test func unknownExpectedIDsStopBeforeAnythingRuns() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"question": "hi", "expected": "no_such_entry"}"#.write(toFile: "\(dir)/q.jsonl", atomically: true, encoding: .utf8)
        let r = try await cli.run(["evaluate", "--questions", "\(dir)/q.jsonl"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("q.jsonl:1: expected: 'no_such_entry' is not an entry id of the corpus"))
    }
}

import ArgumentParser
import Foundation
import IntentCore

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure how well the corpus answers labeled questions, and calibrate the policy.",
        discussion: """
            Questions are JSONL {"question": "...", "expected": "<faq id>" | null} (null: the \
            right outcome is no answer) or CSV with a question,expected header. Every question \
            takes the same decision path as POST /match.

            Reports accuracy (null questions count as correct when unanswered), in-scope \
            accuracy, top-1/top-3 recall, MRR, macro precision/recall/F1, out-of-scope recall \
            and precision, the false-accept rate, outcome and method shares, latency, per-entry \
            figures, the most confused pairs, a threshold/margin calibration sweep with \
            recommendations, the answered-right against answered-wrong curve of that sweep, \
            and a corpus lint.

            Exit status: 0; 1 when --min-accuracy is not reached; 2 when the corpus, its flow \
            file (flows.yaml), the questions or the configuration are invalid.
            """
    )

    @OptionGroup(title: "Corpus and policy") var options: MatcherOptions

    @Option(name: .long, help: ArgumentHelp("Labeled questions (.jsonl or .csv).", valueName: "file"))
    var questions: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Calibrate threshold, margin and own-score floor on these labeled questions (best accuracy) and report --questions with them.",
            valueName: "file"))
    var tune: String?

    @Option(name: .long, help: ArgumentHelp("Write report.json, report.md, errors.jsonl and report.html here.", valueName: "dir"))
    var report: String?

    @Flag(name: .long, help: "Print the report as JSON on standard output.")
    var json = false

    @Option(name: .customLong("min-accuracy"), help: ArgumentHelp("Exit 1 when accuracy is below this (0-1).", valueName: "x"))
    var minAccuracy: Double?

    @Option(
        name: .long,
        help: ArgumentHelp("A previous report.json to compare with (its answer curve is drawn dashed in report.html).", valueName: "file"))
    var baseline: String?

    @Flag(name: .long, help: "Write the recommended threshold, margin and own-score floor (best accuracy) into the --config file.")
    var apply = false

    func validate() throws {
        if let minAccuracy, !(0...1).contains(minAccuracy) { throw ValidationError("--min-accuracy must be between 0 and 1") }
        if apply && options.config == nil { throw ValidationError("--apply needs --config FILE to write to") }
    }

    func run() async throws {
        let configuration = try options.configuration()
        // The own-score spread is measured whatever the policy, so the sweep can try the floor.
        let base = try await configuration.makeServiceOrExit(printWarnings: !json, measuringOwnScores: true)
        let labeled = try await loadQuestions(questions, corpus: base.corpus)
        var tuning: [LabeledQuestion]?
        // A tuning question that is an example stays: the sweep replays every policy without the
        // examples (`Calibration.sweep`), so it is an off-topic message the threshold must turn away.
        if let tune { tuning = try await loadQuestions(tune, corpus: base.corpus, excludingExamples: false) }
        let names = options.provider.isEmpty ? [configuration.providers.provider.rawValue] : options.provider

        var reports: [(String, EvaluationReport)] = []
        for name in names {
            let configured =
                name == configuration.providers.provider.rawValue
                ? base
                : try await options.configuration(extra: [.provider: name]).makeServiceOrExit(printWarnings: false, measuringOwnScores: true)
            // Measured at load; the rules-only fallback (no vectors) is measured here, at no cost.
            var service = try await configured.measuringOwnScores()
            var thresholdsFrom = "configuration"
            var calibrationResults: [QuestionResult]?
            if let tuning, let tune {
                let tuneResults = try await run(service, tuning, label: "tuning (\(name))")
                let best = Calibration.sweep(tuneResults, matcher: service.matcher).recommendation.bestAccuracy
                var policy = service.matcher.policy
                policy.threshold = Float(best.threshold)
                policy.margin = Float(best.margin)
                policy.ownScoreFloor = best.ownScoreFloor.map(Float.init)
                service = service.with(policy: policy)
                thresholdsFrom = "tune file \(tune) (best accuracy)"
                calibrationResults = tuneResults
            }
            let results = try await run(service, labeled, label: "evaluating (\(name))")
            let matcher = service.matcher
            let calibration = Calibration.sweep(calibrationResults ?? results, matcher: matcher)
            let lint = try await CorpusLint.run(matcher)
            reports.append(
                (
                    name,
                    EvaluationReport(
                        results: results, matcher: matcher, questionsFile: questions, thresholdsFrom: thresholdsFrom,
                        calibration: calibration, lint: lint)
                ))
        }

        if json {
            if reports.count == 1 {
                print(String(decoding: try EvaluationReport.encoder.encode(reports[0].1), as: UTF8.self))
            } else {
                let all = Dictionary(uniqueKeysWithValues: reports.map { ($0.0, $0.1) })
                print(String(decoding: try EvaluationReport.encoder.encode(["providers": all]), as: UTF8.self))
            }
        } else if reports.count == 1 {
            print(EvaluationSummary.render(reports[0].1))
        } else {
            print(EvaluationSummary.sideBySide(reports))
        }
        var old: EvaluationReport?
        if let baseline {
            do {
                old = try EvaluationReport.decoder.decode(EvaluationReport.self, from: Data(contentsOf: URL(fileURLWithPath: baseline)))
            } catch {
                printError("--baseline \(baseline): not a report.json of intent-service evaluate (\(error))")
                throw ExitCode(2)
            }
        }
        if let report {
            for (name, result) in reports {
                let dir = reports.count == 1 ? report : "\(report)/\(name)"
                try ReportFiles.write(result, to: dir, baseline: old)
                printError("report written to \(dir)/report.html (and report.json, report.md, errors.jsonl)")
            }
        }
        if let old {
            let comparison = EvaluationSummary.compare(reports[0].1, with: old)
            if json { printError(comparison) } else { print(comparison) }
        }
        if apply, let path = options.config {
            let best = reports[0].1.recommended.bestAccuracy
            let floor = best.ownScoreFloor.map { "\($0)" } ?? "off"
            try ConfigFileEditor.set(["threshold": "\(best.threshold)", "margin": "\(best.margin)", "own_score_floor": floor], in: path)
            printError("wrote threshold \(best.threshold), margin \(best.margin) and own_score_floor \(floor) to \(path)")
        }
        if let minAccuracy {
            let failing = reports.filter { $0.1.accuracy < minAccuracy }
            for (name, r) in failing {
                printError("accuracy \(r.accuracy) of \(name) is below --min-accuracy \(minAccuracy)")
            }
            if !failing.isEmpty { throw ExitCode(1) }
        }
    }

    private func loadQuestions(_ path: String, corpus: Corpus, excludingExamples: Bool = true) async throws -> [LabeledQuestion] {
        do {
            let loaded = try await BlockingIO.run { try LabeledQuestions.load(path, corpus: corpus) }
            let (questions, excluded) = excludingExamples ? LabeledQuestions.excludingExamples(loaded, of: corpus) : (loaded, 0)
            if excluded > 0 {
                printError(
                    "\(path): \(excluded) out-of-scope question\(excluded == 1 ? " is an example" : "s are examples") of an out-of-scope entry and not counted (an example is turned away by construction)"
                )
            }
            if questions.isEmpty {
                printError("\(path): no question left to evaluate: every one is an example of an out-of-scope entry")
                throw ExitCode(2)
            }
            return questions
        } catch let error as CorpusValidationError {
            printError(error.description.replacingOccurrences(of: "corpus rejected", with: "questions rejected"))
            throw ExitCode(2)
        }
    }

    private func run(_ service: MatchService, _ questions: [LabeledQuestion], label: String) async throws -> [QuestionResult] {
        let progress = ProgressLine(label: label, total: questions.count)
        let results = try await Evaluator.run(service, questions: questions) { progress.update($0) }
        progress.finish()
        return results
    }
}

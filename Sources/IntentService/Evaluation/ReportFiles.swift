import Foundation
import IntentCore

/// The files of `--report DIR`.
enum ReportFiles {
    static func write(_ report: EvaluationReport, to directory: String, baseline: EvaluationReport? = nil) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try EvaluationReport.encoder.encode(report).write(to: URL(fileURLWithPath: "\(directory)/report.json"), options: .atomic)
        try MarkdownReport.render(report).write(toFile: "\(directory)/report.md", atomically: true, encoding: .utf8)
        try HTMLReport.render(report, baseline: baseline).write(toFile: "\(directory)/report.html", atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines = ""
        for error in report.errors { lines += String(decoding: try encoder.encode(error), as: UTF8.self) + "\n" }
        try lines.write(toFile: "\(directory)/errors.jsonl", atomically: true, encoding: .utf8)
    }
}

import Foundation
import IntentCore

/// Corpus files in every format, rules files and labeled questions: what `import`, `match`,
/// `serve` and `evaluate` read from users.
enum CorpusTargets {
    static let all: [FuzzTarget] =
        ["jsonl", "json", "yaml", "csv"].map { format in
            FuzzTarget(name: "corpus-\(format)") { bytes in
                _ = try? CorpusLoader.load(Scratch.write(bytes, to: "faq.\(format)"))
            }
        } + [
            FuzzTarget(name: "rules") { bytes in
                let rules = Scratch.write(bytes, to: "rules.yaml", in: "rules")
                let faq = Scratch.directory + "/rules/faq.jsonl"
                _ = FileManager.default.createFile(atPath: faq, contents: Data(fixedEntries.utf8))
                _ = try? CorpusLoader.load(faq, rulesFile: rules)
            },
            FuzzTarget(name: "questions") { bytes in
                let path = Scratch.write(bytes, to: "questions.jsonl", in: "questions")
                _ = try? LabeledQuestions.load(path, corpus: fixedCorpus)
            },
        ]

    static let fixedEntries = """
        {"id": "refund", "questions": ["I want a refund", "我想退款"], "answer": "Refunds take 5 days."}
        {"id": "track", "questions": ["where is my parcel"], "answer": "Track it online."}

        """

    static let fixedCorpus = Corpus(entries: [
        FAQEntry(id: "refund", questions: ["I want a refund", "我想退款"], answer: "Refunds take 5 days."),
        FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it online."),
    ])
}

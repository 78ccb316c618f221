import Foundation
import Testing

@testable import IntentCore

/// The shipped sample corpus and evaluation set keep their promises.
@Suite struct SampleCorpusTests {
    let corpusPath = packageRoot + "/corpus"

    @Test func loadsCleanlyWithBilingualParaphrases() throws {
        let corpus = try CorpusLoader.load(corpusPath)
        #expect(corpus.warnings.isEmpty, "\(corpus.warnings)")
        #expect(corpus.entries.count >= 40)
        for entry in corpus.entries {
            let chinese = entry.questions.filter(Script.containsCJK).count
            #expect(chinese >= 3, "\(entry.id) has \(chinese) Chinese paraphrases")
            #expect(entry.questions.count - chinese >= 3, "\(entry.id) has too few English paraphrases")
        }
        #expect(corpus.rules.contains { $0.stage == .before })
    }

    @Test func evaluationSetIsLabeledWithKnownIDs() throws {
        let corpus = try CorpusLoader.load(corpusPath)
        let text = try String(contentsOfFile: corpusPath + "/eval/questions.jsonl", encoding: .utf8)
        var total = 0
        var outOfScope = 0
        for line in text.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            total += 1
            if let expected = object["expected"] as? String {
                #expect(corpus.entry(id: expected) != nil, "unknown id \(expected)")
            } else {
                outOfScope += 1
            }
        }
        #expect(total >= 200)
        #expect(outOfScope >= 40)
    }

    @Test func humanHandoverAlwaysWins() async throws {
        let matcher = try await Matcher.build(corpus: try CorpusLoader.load(corpusPath), embedder: LexicalEmbedder())
        for message in ["我要退款，转人工", "I want a refund, get me a human agent", "人工客服"] {
            let d = try await matcher.match(message)
            #expect(d.rule == "human_handover", "\(message): \(d.reason)")
            #expect(d.id == "contact_human")
        }
    }
}

import Foundation
import IntentCore
import Testing

/// Corpus edits: checked strictly when made, replayed leniently over whatever corpus they meet.
@Suite struct CorpusEditTests {
    let corpus = Corpus(entries: [
        FAQEntry(id: "refund", questions: ["I want a refund", "退款"], answer: "Refunds take 5 days."),
        FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it.", keywords: ["tracking"]),
    ])

    func error(_ edit: CorpusEdit) -> CorpusEditError? {
        do {
            _ = try corpus.validate(edit)
            return nil
        } catch {
            return error
        }
    }

    @Test func aNewEditIsCheckedAsAnImportWould() throws {
        #expect(error(CorpusEdit(kind: .paraphrases, entry: "nope", questions: ["x y"], by: "a"))?.field == "entry")
        #expect(
            error(CorpusEdit(kind: .paraphrases, entry: "refund", questions: ["我想把钱要回来", "Where is my parcel?"], by: "a"))?.field == "questions[1]")
        #expect(error(CorpusEdit(kind: .paraphrases, entry: "refund", questions: ["!!!"], by: "a"))?.field == "questions[0]")
        #expect(error(CorpusEdit(kind: .paraphrases, entry: "refund", questions: ["I want a refund!"], by: "a"))?.field == "questions")
        #expect(error(CorpusEdit(kind: .entry, entry: "track", questions: ["x"], answer: "y", by: "a"))?.field == "id")
        #expect(error(CorpusEdit(kind: .entry, entry: "new", questions: ["x"], answer: " ", by: "a"))?.field == "answer")
        #expect(error(CorpusEdit(kind: .outOfScope, entry: nil, questions: ["退款"], by: "a"))?.field == "messages[0]")
        #expect(error(CorpusEdit(kind: .entry, entry: "new", questions: ["x"], answer: "y", by: "  "))?.field == "by")
        // Trimmed, and repeats (of each other or of the entry) dropped.
        let valid = try corpus.validate(CorpusEdit(kind: .paraphrases, entry: "refund", questions: [" 我想把钱要回来 ", "我想把钱要回来。", "退款"], by: "Lena"))
        #expect(valid.questions == ["我想把钱要回来"])
    }

    @Test func storedEditsReplayOverTheCorpus() throws {
        let edits = [
            CorpusEdit(number: 1, kind: .paraphrases, entry: "refund", questions: ["我想把钱要回来"], by: "a"),
            CorpusEdit(number: 2, kind: .entry, entry: "gift", questions: ["gift cards?"], answer: "Yes.", by: "a"),
            CorpusEdit(number: 3, kind: .outOfScope, entry: nil, questions: ["meaning of life"], by: "a"),
        ]
        let edited = corpus.applying(edits)
        #expect(edited.entries.map(\.id) == ["refund", "track", "gift"])
        #expect(edited.entry(id: "refund")?.questions == ["I want a refund", "退款", "我想把钱要回来"])
        #expect(edited.version != corpus.version)
        #expect(edited.rules.map(\.id) == ["keywords:track"], "entries' keyword rules rebuilt, once")
        #expect(edited.warnings.isEmpty)
        // Replayed over a corpus that already has them (an export re-imported): nothing changes.
        #expect(edited.applying(edits).version == edited.version)
        // Over a corpus that moved on: skipped with a warning, never an error.
        let moved = Corpus(entries: [FAQEntry(id: "track", questions: ["where is my parcel", "我想把钱要回来"], answer: "Track it.")])
        let replayed = moved.applying(edits)
        #expect(replayed.entries.map(\.id) == ["track", "gift"])
        #expect(
            replayed.warnings.map(\.description) == [
                "corpus edit:1: warning: entry: 'refund' is no longer in the corpus; edit skipped"
            ])
    }
}

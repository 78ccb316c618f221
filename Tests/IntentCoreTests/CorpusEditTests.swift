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
        #expect(edited.entries.map(\.id) == ["refund", "track", "gift", "not_ours"])
        #expect(edited.entry(id: "not_ours")?.isOutOfScope == true && edited.entry(id: "not_ours")?.questions == ["meaning of life"])
        #expect(edited.entry(id: "refund")?.questions == ["I want a refund", "退款", "我想把钱要回来"])
        #expect(edited.version != corpus.version)
        #expect(edited.rules.map(\.id) == ["keywords:track"], "entries' keyword rules rebuilt, once")
        #expect(edited.warnings.isEmpty)
        // Replayed over a corpus that already has them (an export re-imported): nothing changes.
        #expect(edited.applying(edits).version == edited.version)
        // Over a corpus that moved on: skipped with a warning, never an error.
        let moved = Corpus(entries: [FAQEntry(id: "track", questions: ["where is my parcel", "我想把钱要回来"], answer: "Track it.")])
        let replayed = moved.applying(edits)
        #expect(replayed.entries.map(\.id) == ["track", "gift", "not_ours"])
        #expect(
            replayed.warnings.map(\.description) == [
                "corpus edit:1: warning: entry: 'refund' is no longer in the corpus; edit skipped"
            ])
    }

    /// The console's "out of scope": the messages become examples of the corpus's out-of-scope
    /// entry (one is made when there is none), so that their neighbours are turned away too.
    @Test func outOfScopeMessagesBecomeExamplesThatTurnTheirNeighboursAway() async throws {
        let jokes = CorpusEdit(number: 1, kind: .outOfScope, entry: nil, questions: ["tell me a joke about parcels"], by: "Lena")
        let edited = corpus.applying([jokes])
        #expect(
            edited.entries.last
                == FAQEntry(
                    id: "not_ours", questions: ["tell me a joke about parcels"], answer: "", tags: [FAQEntry.outOfScopeTag],
                    location: SourceLocation(file: "corpus edit", line: 1)))
        let policy = MatchPolicy(threshold: 0.2, margin: 0.01)
        let before = try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder(), policy: policy).match("tell me a joke about my parcel")
        let after = try await Matcher.build(corpus: edited, embedder: LexicalEmbedder(), policy: policy).match("tell me a joke about my parcel")
        #expect(before.id == "track", "without the example the nearest answer is given")
        #expect(after.status == .unmatched && after.outOfScope == "not_ours")

        // Marked again: nothing new, a conflict naming the entry; new ones join the same entry.
        #expect(throws: CorpusEditError(field: "messages", "nothing new: every message is already an example of 'not_ours'", conflicts: true)) {
            try edited.validate(CorpusEdit(kind: .outOfScope, entry: nil, questions: ["Tell me a joke about parcels!"], by: "a"))
        }
        let more = CorpusEdit(number: 2, kind: .outOfScope, entry: nil, questions: ["sing me a song"], by: "a")
        #expect(try edited.validate(more).questions == ["sing me a song"])
        #expect(corpus.applying([jokes, more]).entry(id: "not_ours")?.questions == ["tell me a joke about parcels", "sing me a song"])

        // A corpus with an out-of-scope entry of its own collects them there; a taken id is not reused.
        let own = Corpus(entries: corpus.entries + [FAQEntry(id: "off_topic", questions: ["weather?"], answer: "", tags: [FAQEntry.outOfScopeTag])])
        #expect(own.applying([jokes]).entry(id: "off_topic")?.questions == ["weather?", "tell me a joke about parcels"])
        let taken = Corpus(entries: corpus.entries + [FAQEntry(id: "not_ours", questions: ["who are you"], answer: "A shop.")])
        #expect(taken.applying([jokes]).entries.last?.id == "not_ours_2")
    }

    @Test func evaluationLeavesOutQuestionsThatAreExamples() throws {
        let edited = corpus.applying([CorpusEdit(number: 1, kind: .outOfScope, entry: nil, questions: ["tell me a joke"], by: "a")])
        let at = SourceLocation(file: "q.jsonl", line: 1)
        let questions = [
            LabeledQuestion(question: "Tell me a joke!", expected: nil, location: at),
            LabeledQuestion(question: "what is the meaning of life", expected: nil, location: at),
            LabeledQuestion(question: "退款", expected: "refund", location: at),
        ]
        let (kept, excluded) = LabeledQuestions.excludingExamples(questions, of: edited)
        #expect(excluded == 1)
        #expect(kept.map(\.question) == ["what is the meaning of life", "退款"])
        #expect(LabeledQuestions.excludingExamples(questions, of: corpus).excluded == 0)
    }
}

import Foundation
import IntentTestSupport
import Testing

@testable import IntentCore

/// Answers in the customer's language: detection, every corpus format, edits, and the decision.
@Suite struct AnswersByLanguageTests {
    @Test(arguments: [
        ("Hi, where is my order? I paid last week", "en"),
        ("Buenas tardes, quiero saber cuándo llega mi paquete", "es"),
        ("olá, meu pedido ainda não chegou, podem me ajudar?", "pt"),
        ("bonjour, je voudrais savoir où est ma commande", "fr"),
        ("Hallo, ich möchte meine Bestellung stornieren", "de"),
        ("ciao, vorrei sapere quando arriva il mio ordine", "it"),
        ("hoi, ik wil mijn bestelling annuleren", "nl"),
        ("halo kak, pesanan saya belum sampai, gimana ya?", "id"),
        ("merhaba, siparişim nerede acaba?", "tr"),
        ("xin chào, đơn hàng của tôi đâu rồi?", "vi"),
        ("dzień dobry, gdzie jest moja paczka?", "pl"),
        ("我的包裹到哪里了？", "zh"),
        ("我想refund", "zh"),
        ("注文はいつ届きますか", "ja"),
        ("주문이 언제 도착하나요", "ko"),
        ("أين طلبي؟", "ar"),
        ("سفارش من کجاست؟ پیگیری می‌خواهم", "fa"),
        ("где мой заказ?", "ru"),
        ("де моє замовлення? Скільки ще чекати", "uk"),
        ("πού είναι η παραγγελία μου;", "el"),
        ("พัสดุของฉันอยู่ที่ไหน", "th"),
        ("मेरा ऑर्डर कहाँ है", "hi"),
    ])
    func tellsTheLanguage(_ message: String, _ expected: String) {
        #expect(LanguageDetector.language(of: message) == expected, "\(message)")
    }

    @Test func saysNothingRatherThanGuess() {
        for message in ["ok", "LM12345678", "pedido", "😀😀", "", "iPhone 15"] {
            #expect(LanguageDetector.language(of: message) == nil, "\(message)")
        }
    }

    @Test func languageCodesAreISO639One() {
        #expect(LanguageDetector.isLanguageCode("es") && LanguageDetector.isLanguageCode("zh"))
        #expect(!LanguageDetector.isLanguageCode("sp") && !LanguageDetector.isLanguageCode("ES") && !LanguageDetector.isLanguageCode("spa"))
    }

    @Test func everyFormatReadsAnswersByLanguage() throws {
        let dir = try ScratchDirectory([
            "a.yaml": """
            entries:
              - id: track
                questions: [where is my parcel]
                answer:
                  en: Track it online.
                  es: Síguelo en línea.
                  zh: 在线查询。
            """,
            "b.jsonl":
                #"{"id": "refund", "questions": ["refund please"], "answer": {"default": "Refunds take 5 days.", "es": "Reembolso en 5 días."}}"#
                + "\n",
            "c.csv": "id,question,answer,answer_es\nhours,when are you open,9 to 5,de 9 a 5\nhours,opening hours,,\n",
        ])
        let corpus = try CorpusLoader.load(dir.path)
        #expect(corpus.warnings.isEmpty)
        let track = try #require(corpus.entry(id: "track"))
        #expect(track.answer == "Track it online.", "without default, English is the default")
        #expect(track.answers == ["en": "Track it online.", "es": "Síguelo en línea.", "zh": "在线查询。"])
        #expect(corpus.entry(id: "refund")?.answer == "Refunds take 5 days.")
        #expect(corpus.entry(id: "refund")?.answers == ["es": "Reembolso en 5 días."])
        #expect(corpus.entry(id: "hours")?.answer == "9 to 5" && corpus.entry(id: "hours")?.answers == ["es": "de 9 a 5"])
        // Which answer a customer gets, and in which language it is.
        #expect(track.answer(in: "zh") == ("在线查询。", "zh"))
        #expect(track.answer(in: "fr") == ("Track it online.", "en"))
        #expect(track.answer(in: nil) == ("Track it online.", "en"))
        #expect(corpus.entry(id: "refund")!.answer(in: "de") == ("Refunds take 5 days.", nil))
        // Answers are part of the corpus's version: a changed translation is re-imported.
        var changed = corpus.entries
        changed[0].answers["es"] = "Otra respuesta."
        #expect(Corpus(entries: changed).version != Corpus(entries: corpus.entries).version)
    }

    @Test func aMapWithoutADefaultOrABadLanguageIsRefusedWithItsLine() throws {
        func rejection(_ yaml: String) throws -> [String] {
            let dir = try ScratchDirectory(["faq.yaml": yaml])
            do {
                _ = try CorpusLoader.load(dir.path)
                return []
            } catch {
                return error.issues.map { $0.description.replacingOccurrences(of: dir.path + "/", with: "") }
            }
        }
        #expect(
            try rejection("entries:\n  - id: a\n    questions: [x]\n    answer: {zh: 你好, es: hola}\n") == [
                "faq.yaml:4: answer: no answer for other languages: add 'default' (or 'en'), sent to customers writing in a language without its own answer"
            ])
        #expect(
            try rejection("entries:\n  - id: a\n    questions: [x]\n    answer: {en: hi, spanish: hola}\n") == [
                "faq.yaml:4: answer: 'spanish' is not a language: name each answer by an ISO 639-1 code (en, zh, es) or 'default'"
            ])
        #expect(
            try rejection("entries:\n  - id: a\n    questions: [x]\n    answer: {en: hi, es: [hola]}\n") == [
                "faq.yaml:4: answer: the 'es' answer is a list; give a text"
            ])
    }

    @Test func theDecisionAnswersInTheMessagesLanguage() async throws {
        let corpus = Corpus(entries: [
            FAQEntry(
                id: "track", questions: ["where is my parcel", "dónde está mi paquete", "我的包裹在哪里", "wo ist mein paket"],
                answer: "Track it online.",
                answers: ["es": "Síguelo en línea.", "zh": "在线查询。"])
        ])
        let matcher = try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder())
        let spanish = try await matcher.match("hola, ¿dónde está mi paquete?")
        #expect(spanish.id == "track" && spanish.language == "es")
        #expect(spanish.answer == "Síguelo en línea." && spanish.answerLanguage == "es")
        let chinese = try await matcher.match("我的包裹在哪里？")
        #expect(chinese.answer == "在线查询。" && chinese.language == "zh" && chinese.answerLanguage == "zh")
        let german = try await matcher.match("Hallo, wo ist mein Paket?")
        #expect(german.language == "de" && german.answer == "Track it online." && german.answerLanguage == nil)
    }

    /// `evaluate` tells per language how often the language was told and the answer was in it.
    @Test func evaluationCountsAnswersInTheQuestionsLanguage() async throws {
        let corpus = Corpus(entries: [
            FAQEntry(
                id: "track", questions: ["where is my parcel", "dónde está mi paquete", "wo ist mein paket"], answer: "Track it.",
                answers: ["en": "Track it.", "es": "Síguelo."])
        ])
        let matcher = try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder(), policy: MatchPolicy(threshold: 0.2, margin: 0))
        let location = SourceLocation(file: "q.jsonl", line: 1)
        let questions = [
            LabeledQuestion(question: "hola, ¿dónde está mi paquete?", expected: "track", location: location, language: "es"),
            LabeledQuestion(question: "¿dónde está mi paquete, por favor?", expected: "track", location: location, language: "es"),
            LabeledQuestion(question: "Hallo, wo ist mein Paket?", expected: "track", location: location, language: "de"),
            LabeledQuestion(question: "paket", expected: "track", location: location, language: "de"),
        ]
        let report = try await EvaluationFixture.report(questions, matcher: matcher)
        let spanish = try #require(report.perLanguage?.first { $0.language == "es" })
        #expect(spanish.detected == 1 && spanish.answeredInLanguage == 1)
        let german = try #require(report.perLanguage?.first { $0.language == "de" })
        #expect(german.detected == 0.5, "'paket' alone names no language")
        #expect(german.answeredInLanguage == 0, "the entry has no German answer")
    }

    @Test func anAnswerEditSetsOneLanguageAndReplays() throws {
        let corpus = Corpus(entries: [FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it.")])
        func error(_ edit: CorpusEdit) -> CorpusEditError? {
            do {
                _ = try corpus.validate(edit)
                return nil
            } catch {
                return error
            }
        }
        #expect(error(CorpusEdit(kind: .answer, entry: "nope", questions: [], answer: "x", language: "es", by: "a"))?.field == "entry")
        #expect(error(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: "x", language: "xx", by: "a"))?.field == "language")
        #expect(error(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: " ", language: "es", by: "a"))?.field == "answer")
        #expect(error(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: "Track it.", by: "a"))?.conflicts == true)
        let spanish = try corpus.validate(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: " Síguelo. ", language: "es", by: "a"))
        #expect(spanish.answer == "Síguelo.")
        var numbered = spanish
        numbered.number = 1
        var fallback = try corpus.validate(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: "Track it online.", by: "a"))
        fallback.number = 2
        #expect(fallback.basis == "Track it.")
        let edited = corpus.applying([numbered, fallback])
        #expect(edited.entry(id: "track")?.answers == ["es": "Síguelo."])
        #expect(edited.entry(id: "track")?.answer == "Track it online.")
        #expect(edited.version != corpus.version && edited.warnings.isEmpty)
        // The entry gone: skipped with a warning.
        #expect(Corpus(entries: []).applying([numbered]).warnings.count == 1)
    }

    /// Replayed over a file that changed the text since, an edit gives way to the newer text, and
    /// a translation of an older default answer is dropped (to be translated afresh).
    @Test func editsGiveWayToATextThatChangedSince() throws {
        let corpus = Corpus(entries: [
            FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it.", answers: ["en": "Track it."])
        ])
        var person = try corpus.validate(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: "Síguelo.", language: "es", by: "a"))
        person.number = 1
        #expect(person.basis == nil)
        var model = try corpus.validate(
            CorpusEdit(kind: .translation, entry: "track", questions: [], answer: "Suivez-le.", language: "fr", basis: "Track it.", by: "t"))
        model.number = 2
        let edited = corpus.applying([person, model])
        #expect(edited.entry(id: "track")?.answers == ["en": "Track it.", "es": "Síguelo.", "fr": "Suivez-le."] && edited.warnings.isEmpty)

        // The file now has its own Spanish answer and a new default answer.
        let moved = Corpus(entries: [
            FAQEntry(
                id: "track", questions: ["where is my parcel"], answer: "Track it online.", answers: ["en": "Track it online.", "es": "Rastréalo."])
        ])
        let replayed = moved.applying([person, model])
        #expect(replayed.entry(id: "track")?.answers == ["en": "Track it online.", "es": "Rastréalo."])
        #expect(
            replayed.warnings.map(\.message).sorted() == [
                "the es answer of 'track' changed since this edit; edit skipped",
                "the translation of 'track' into fr is of an earlier answer; skipped (it is translated again when asked)",
            ])
        // A translation is refused when made against another answer, or when the language is answered.
        #expect(throws: CorpusEditError.self) {
            try corpus.validate(CorpusEdit(kind: .translation, entry: "track", questions: [], answer: "x", language: "fr", basis: "Old.", by: "t"))
        }
        #expect(throws: CorpusEditError.self) {
            try edited.validate(
                CorpusEdit(kind: .translation, entry: "track", questions: [], answer: "x", language: "fr", basis: "Track it.", by: "t"))
        }
    }

    /// Without `default`, the default answer is the English one: editing either changes both.
    @Test func theEnglishAnswerAndTheDefaultChangeTogether() throws {
        let corpus = Corpus(entries: [
            FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it.", answers: ["en": "Track it.", "zh": "查询。"])
        ])
        var english = try corpus.validate(
            CorpusEdit(kind: .answer, entry: "track", questions: [], answer: "Track it online.", language: "en", by: "a"))
        english.number = 1
        let afterEnglish = try #require(corpus.applying([english]).entry(id: "track"))
        #expect(afterEnglish.answer == "Track it online." && afterEnglish.answers["en"] == "Track it online.")
        var fallback = try corpus.validate(CorpusEdit(kind: .answer, entry: "track", questions: [], answer: "See the site.", by: "a"))
        fallback.number = 1
        let afterDefault = try #require(corpus.applying([fallback]).entry(id: "track"))
        #expect(afterDefault.answer == "See the site." && afterDefault.answers["en"] == "See the site." && afterDefault.answers["zh"] == "查询。")
    }

    @Test func csvRowsMergeTheirAnswersByLanguage() throws {
        let dir = try ScratchDirectory([
            "faq.csv": "id,question,answer,answer_es,answer_zh\n"
                + "a,first question,One.,Uno.,\n"
                + "a,second question,One.,,一。\n"
        ])
        let corpus = try CorpusLoader.load(dir.path)
        #expect(corpus.entry(id: "a")?.answer == "One." && corpus.entry(id: "a")?.answers == ["es": "Uno.", "zh": "一。"])
        #expect(corpus.entry(id: "a")?.questions == ["first question", "second question"])
        // Only a Spanish answer: no default for other languages, refused with its line.
        let bad = try ScratchDirectory(["faq.csv": "id,question,answer,answer_es\nb,third question,,Tres.\nb,again,,Cuatro.\n"])
        do {
            _ = try CorpusLoader.load(bad.path)
            Issue.record("a corpus without a default answer was accepted")
        } catch {
            let problems = error.issues.map(\.description)
            #expect(
                problems.contains {
                    $0.hasSuffix("faq.csv:3: answer_es: differs from the answer_es given for 'b' at line 2; give it once or repeat it exactly")
                }, "\(problems)")
            #expect(problems.contains { $0.contains("faq.csv:2: answer: no answer for other languages") }, "\(problems)")
        }
    }
}

/// The translator's contract with the chat model: the answer quoted as data, a JSON reply, and
/// nothing half-done accepted.
@Suite struct AnswerTranslatorTests {
    struct ScriptedModel: ChatModel {
        let reply: String
        let prompts = Locked<[String]>([])
        var name: String { "scripted" }
        func complete(system: String, user: String) async throws -> String {
            prompts.withLock { $0.append(user) }
            return reply
        }
    }

    @Test func asksForTheLanguageByNameAndReadsTheJSONReply() async throws {
        let model = ScriptedModel(reply: "```json\n{\"translation\": \" Síguelo en lumen.example/track. \"}\n```")
        let text = try await AnswerTranslator(model: model).translate("Track it at lumen.example/track.", into: "es")
        #expect(text == "Síguelo en lumen.example/track.")
        let prompt = try #require(model.prompts.current.first)
        #expect(prompt.contains("Spanish") && prompt.contains(#""Track it at lumen.example/track.""#))
    }

    @Test func refusesWhatIsNotATranslation() async {
        for reply in ["Sure! Here it is: Síguelo.", #"{"text": "Síguelo."}"#, #"{"translation": "  "}"#, #"{"translation": "Track it."}"#] {
            await #expect(throws: AnswerTranslator.Refused.self, "\(reply)") {
                try await AnswerTranslator(model: ScriptedModel(reply: reply)).translate("Track it.", into: "es")
            }
        }
    }
}

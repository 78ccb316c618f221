import Foundation
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
        let fallback = CorpusEdit(number: 2, kind: .answer, entry: "track", questions: [], answer: "Track it online.", by: "a")
        let edited = corpus.applying([numbered, fallback])
        #expect(edited.entry(id: "track")?.answers == ["es": "Síguelo."])
        #expect(edited.entry(id: "track")?.answer == "Track it online.")
        #expect(edited.version != corpus.version && edited.warnings.isEmpty)
        // The entry gone: skipped with a warning.
        #expect(Corpus(entries: []).applying([numbered]).warnings.count == 1)
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
